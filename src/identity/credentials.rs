//! Bearer credentials on a tenant host: an API key or a platform token. Both
//! name their tenant; presented on another tenant's host they are refused
//! exactly like an unknown credential, so the answer reveals nothing.

use super::{access_tokens, api_keys, Caller};
use crate::error::{Error, Result};
use crate::tenancy::{Engine, TenantCtx};

/// The caller a bearer credential stands for on `ctx`'s host.
pub async fn caller_for(engine: &Engine, ctx: &TenantCtx, presented: &str) -> Result<Caller> {
    let (tenant, caller) = if access_tokens::looks_like_token(presented) {
        access_tokens::verify(engine, presented).await?
    } else {
        let (tenant, grant) = api_keys::authenticate(engine, presented).await?;
        (tenant, Caller::Key(grant))
    };
    if tenant != ctx.id() {
        tracing::warn!(
            host_tenant = %ctx.id(),
            "a credential of another tenant was presented on this host"
        );
        return Err(Error::Unauthenticated);
    }
    Ok(caller)
}
