//! Bearer credentials on a tenant host: an API key or a platform token. Both
//! name their tenant; presented on another tenant's host they are refused
//! exactly like an unknown credential, so the answer reveals nothing.

use super::{access_tokens, api_keys, impersonation, Caller, TokenGrant};
use crate::error::{Error, Result};
use crate::tenancy::{Engine, RequestScope, TenantCtx};

/// The caller a bearer credential stands for on `ctx`'s host. A key is
/// looked up inside this tenant only; a token names its tenant and is
/// refused before anything is read when that is another one, and a member's
/// token only while what issued it lives (see [`access_tokens`]).
pub async fn caller_for(engine: &Engine, ctx: &TenantCtx, presented: &str) -> Result<Caller> {
    if !access_tokens::looks_like_token(presented) {
        return Ok(Caller::Key(api_keys::authenticate(ctx, presented).await?));
    }
    let (tenant, claim) = access_tokens::verify(engine, presented)?;
    if tenant != ctx.id() {
        tracing::warn!(
            host_tenant = %ctx.id(),
            "a credential of another tenant was presented on this host"
        );
        return Err(Error::Unauthenticated);
    }
    match claim {
        access_tokens::Subject::User {
            id,
            session,
            role,
            impersonation,
        } => {
            let scope = RequestScope::Tenant(ctx.clone());
            if !crate::session::is_live(engine, &scope, id, session).await? {
                return Err(Error::Unauthenticated);
            }
            let impersonation = match impersonation {
                Some(id) => Some(
                    impersonation::active(ctx, id)
                        .await?
                        .ok_or(Error::Unauthenticated)?,
                ),
                None => None,
            };
            Ok(Caller::Token(TokenGrant {
                user: id,
                role,
                impersonation,
            }))
        }
        access_tokens::Subject::Key(id) => Ok(Caller::Key(api_keys::grant_by_id(ctx, id).await?)),
    }
}
