//! The sign-in flow. `begin` makes the provider's authorization URL with a
//! fresh `state`, `nonce` and PKCE verifier, kept in the browser's session
//! together with the tenant they belong to; `finish` accepts the provider's
//! answer only in that same session, on that same tenant, within ten
//! minutes, exchanges the code, checks the ID token and finds (or, with
//! just-in-time provisioning, creates) the member.
//!
//! A member may link their identity at the provider (a sign-in started while
//! signed in, `link_user`). A linked member is signed in only as that
//! identity, and an owner only once linked: whoever configures the provider
//! cannot take an owner's account with an identity of their own making.

use super::{config, http, id_token};
use crate::audit;
use crate::entities::tenant::sso_identity;
use crate::error::{Error, Result};
use crate::identity::members::{self, Member, NewMember};
use crate::identity::{secret_token, Email, Role};
use crate::plans::registry;
use crate::tenancy::{RequestScope, TenantCtx};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long the provider may take to send the browser back.
const PENDING_SECS: i64 = 600;

/// What a sign-in in progress keeps in the browser's session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The tenant's session scope (`tenant:<id>`): the answer is accepted only
    /// on that tenant.
    pub scope: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub next: String,
    pub started_at: i64,
    /// Set when a signed-in member links their identity rather than signs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_user: Option<Uuid>,
}

/// The token response, with the `id_token` OpenID Connect adds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type TokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;
type OidcClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

fn refused(why: &str) -> Error {
    Error::forbidden("sso_failed", format!("single sign-on failed: {why}"))
}

async fn client(
    ctx: &TenantCtx,
    cfg: &crate::entities::tenant::sso_config::Model,
    origin: &str,
) -> Result<OidcClient> {
    let bad = |_| refused("the provider's endpoints are not valid URLs");
    let mut client = oauth2::Client::new(ClientId::new(cfg.client_id.clone()))
        .set_auth_uri(AuthUrl::new(cfg.authorization_endpoint.clone()).map_err(bad)?)
        .set_token_uri(TokenUrl::new(cfg.token_endpoint.clone()).map_err(bad)?)
        .set_redirect_uri(
            RedirectUrl::new(format!("{}/sso/callback", origin.trim_end_matches('/')))
                .map_err(|_| refused("this host's callback address is not valid"))?,
        );
    if let Some(sealed) = &cfg.client_secret_sealed {
        let secret = ctx
            .keys()
            .await?
            .open_column(&crate::tenancy::keys::SSO_CLIENT_SECRET, sealed)?;
        client = client.set_client_secret(ClientSecret::new(secret));
    }
    Ok(client)
}

/// Whether this tenant offers single sign-on.
pub async fn available(ctx: &TenantCtx) -> Result<bool> {
    // From the record (no database read: the sign-in page stays off it).
    Ok(ctx.tenant().sso_configured)
}

/// Starts a sign-in: the provider's URL to send the browser to, and what to
/// keep in its session. `login_hint` is passed on to the provider.
pub async fn begin(
    ctx: &TenantCtx,
    origin: &str,
    next: &str,
    login_hint: Option<&str>,
    link_user: Option<Uuid>,
) -> Result<(String, Pending)> {
    ctx.ensure_active()?;
    ctx.require_feature(registry::SSO).await?;
    let cfg = config::load(ctx).await?.ok_or(Error::NotFound)?;
    let client = client(ctx, &cfg, origin).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = secret_token::random();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .add_extra_param("nonce", nonce.clone());
    if let Some(hint) = login_hint.map(str::trim).filter(|h| !h.is_empty()) {
        request = request.add_extra_param("login_hint", hint.to_owned());
    }
    let (url, state) = request.url();
    let pending = Pending {
        scope: RequestScope::Tenant(ctx.clone()).session_key(),
        state: state.secret().clone(),
        nonce,
        verifier: verifier.secret().clone(),
        next: safe_next(next),
        started_at: chrono::Utc::now().timestamp(),
        link_user,
    };
    Ok((url.to_string(), pending))
}

/// Finishes a sign-in with the provider's answer: the member signed in.
pub async fn finish(
    ctx: &TenantCtx,
    origin: &str,
    pending: Option<Pending>,
    code: &str,
    state: &str,
) -> Result<Member> {
    ctx.ensure_active()?;
    let pending = pending.ok_or_else(|| refused("this browser has no sign-in in progress here"))?;
    if pending.scope != RequestScope::Tenant(ctx.clone()).session_key() {
        return Err(refused("the sign-in was started for another organisation"));
    }
    if chrono::Utc::now().timestamp() - pending.started_at > PENDING_SECS {
        return Err(refused("the sign-in took too long; start again"));
    }
    if !secret_token::same_text(state, &pending.state) {
        return Err(refused(
            "the answer does not belong to this sign-in (state)",
        ));
    }
    ctx.require_feature(registry::SSO).await?;
    let cfg = config::load(ctx).await?.ok_or(Error::NotFound)?;
    let client = client(ctx, &cfg, origin).await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
        .request_async(http(ctx.engine().settings()))
        .await
        .map_err(|_| refused("the provider did not accept the code"))?;
    let token = tokens
        .extra_fields()
        .id_token
        .clone()
        .ok_or_else(|| refused("the provider sent no ID token"))?;
    let keys = id_token::fetch_keys(ctx.engine().settings(), &cfg.jwks_uri).await?;
    let claims = id_token::verify(&keys, &cfg.issuer, &cfg.client_id, &pending.nonce, &token)?;
    if claims.email_verified == Some(false) {
        return Err(refused("the provider has not verified this email address"));
    }
    let email = claims
        .email
        .as_deref()
        .ok_or_else(|| refused("the provider sent no email address"))
        .and_then(|e| {
            Email::parse("email", e).map_err(|_| refused("the email address is not valid"))
        })?;
    let domain = email.as_str().rsplit('@').next().unwrap_or_default();
    if !config::split_domains(&cfg.allowed_domains)
        .iter()
        .any(|d| d == domain)
    {
        return Err(refused("this email domain may not sign in here"));
    }
    let member = match pending.link_user {
        Some(user) => link(ctx, &cfg.issuer, user, &email, &claims.sub).await?,
        None => member_for(ctx, &cfg, email, &claims.sub).await?,
    };
    // The provider vouched for the address (it did not say otherwise).
    ctx.run(true, async |db| {
        crate::identity::verification::mark_verified(db, &member).await
    })
    .await?;
    Ok(member)
}

/// The member with this email — if their linked identity (when they have
/// one) is this one, and never an owner who has not linked one — or a new
/// member, linked to this identity, when provisioning is on.
async fn member_for(
    ctx: &TenantCtx,
    cfg: &crate::entities::tenant::sso_config::Model,
    email: Email,
    subject: &str,
) -> Result<Member> {
    let jit = cfg.jit_provisioning;
    let role = Role::parse(&cfg.default_role).unwrap_or(Role::Member);
    ctx.run(true, async |db| {
        if let Some(member) = members::find_by_email(db, &email).await? {
            match linked_subject(db, member.id, &cfg.issuer).await? {
                Some(linked) if linked == subject => return Ok(member),
                Some(_) => {
                    return Err(refused(
                        "this account is linked to another identity at the provider",
                    ))
                }
                None if member.role == Role::Owner => {
                    return Err(refused(
                        "an owner signs in through single sign-on only after linking their \
                         identity: sign in with your password, then link it on the SSO page",
                    ))
                }
                None => return Ok(member),
            }
        }
        if !jit {
            return Err(refused(
                "there is no account for this email here; ask an admin to invite you",
            ));
        }
        ctx.check_limit(registry::MAX_MEMBERS, members::count(db).await?)
            .await?;
        // A password nobody knows: this person signs in through the provider
        // (or sets one with a reset link).
        let new = NewMember::parse(email.as_str(), "", &secret_token::random(), role.as_str())?;
        let member = members::create(db, new).await?;
        store_link(db, member.id, &cfg.issuer, subject).await?;
        Ok(member)
    })
    .await
}

/// Links the signed-in member `user` to this identity, which must carry
/// their own email address and be linked to no one else here.
async fn link(
    ctx: &TenantCtx,
    issuer: &str,
    user: Uuid,
    email: &Email,
    subject: &str,
) -> Result<Member> {
    ctx.run(true, async |db| {
        let member = members::find(db, user)
            .await?
            .ok_or_else(|| refused("sign in again to link your identity"))?;
        if member.email != email.as_str() {
            return Err(refused(
                "the provider's identity has another email address than your account",
            ));
        }
        let taken = sso_identity::Entity::find()
            .filter(sso_identity::Column::Issuer.eq(issuer))
            .filter(sso_identity::Column::Subject.eq(subject))
            .filter(sso_identity::Column::UserId.ne(user))
            .one(db)
            .await?;
        if taken.is_some() {
            return Err(refused("this identity is linked to another account here"));
        }
        sso_identity::Entity::delete_many()
            .filter(sso_identity::Column::UserId.eq(user))
            .filter(sso_identity::Column::Issuer.eq(issuer))
            .exec(db)
            .await?;
        store_link(db, user, issuer, subject).await?;
        let label = format!("member:{}", member.email);
        audit::record_tenant(db, &label, "sso.identity_linked", issuer).await?;
        Ok(member)
    })
    .await
}

async fn linked_subject(
    db: &crate::tenancy::TenantDb,
    user: Uuid,
    issuer: &str,
) -> Result<Option<String>> {
    Ok(sso_identity::Entity::find()
        .filter(sso_identity::Column::UserId.eq(user))
        .filter(sso_identity::Column::Issuer.eq(issuer))
        .one(db)
        .await?
        .map(|l| l.subject))
}

async fn store_link(
    db: &crate::tenancy::TenantDb,
    user: Uuid,
    issuer: &str,
    subject: &str,
) -> Result<()> {
    db.insert(sso_identity::ActiveModel {
        user_id: Set(user),
        issuer: Set(issuer.to_owned()),
        subject: Set(subject.to_owned()),
        linked_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .await?;
    Ok(())
}

/// `next` if it is a path on this same host (`/projects/…`), else `/`.
pub fn safe_next(next: &str) -> String {
    let same_host = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control());
    if same_host {
        next.to_owned()
    } else {
        "/".into()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_only_ever_a_path_on_this_host() {
        assert_eq!(safe_next("/projects/1?tab=a"), "/projects/1?tab=a");
        for bad in [
            "https://evil.test/",
            "//evil.test/x",
            "/\\evil.test",
            "evil",
            "",
            "/\nx",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
