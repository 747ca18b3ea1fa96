//! A tenant's SSO configuration: validated, the provider's endpoints found
//! by discovery (its `issuer` must match exactly), the client secret sealed
//! with `secret_key`. "Enforce SSO" turns password sign-in off for everyone
//! but one break-glass owner.

use super::http;
use crate::audit;
use crate::config::Settings;
use crate::entities::tenant::sso_config as row;
use crate::error::{Error, Result};
use crate::events::relay::{self, Raised};
use crate::identity::{members, Actor, Email, Role};
use crate::plans::registry;
use crate::tenancy::keys::SSO_CLIENT_SECRET;
use crate::tenancy::{TenantCtx, TenantDb};
use sea_orm::{EntityTrait, PaginatorTrait, Set};
use serde::{Deserialize, Serialize};

/// The form an admin submits. An empty `client_secret` keeps the stored one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SsoInput {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub allowed_domains: String,
    pub jit_provisioning: bool,
    pub default_role: String,
    pub enforce_sso: bool,
    pub break_glass_email: String,
}

/// The configuration as its admins see it (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct SsoView {
    pub issuer: String,
    pub client_id: String,
    pub has_client_secret: bool,
    pub allowed_domains: Vec<String>,
    pub jit_provisioning: bool,
    pub default_role: Role,
    pub enforce_sso: bool,
    pub break_glass_email: Option<String>,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// What discovery must answer.
#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// Saves the tenant's configuration after checking every field and asking
/// the provider for its endpoints. Only an owner may: whoever controls the
/// provider can sign members in, so an admin must not be able to point it
/// at a provider of their own.
pub async fn save(ctx: &TenantCtx, actor: &Actor, input: SsoInput) -> Result<SsoView> {
    crate::authz::check(
        crate::authz::Need::Owner,
        crate::authz::Principal::Member(actor.role),
    )?;
    ctx.require_feature(registry::SSO).await?;
    let settings = ctx.engine().settings();
    let issuer = parse_issuer(
        &input.issuer,
        crate::outbound::Destination::SsoProvider.private_allowed(settings),
    )?;
    let client_id = input.client_id.trim();
    if client_id.is_empty() || client_id.len() > 200 {
        return Err(Error::invalid(
            "client_id",
            "is required (at most 200 characters)",
        ));
    }
    let domains = parse_domains(&input.allowed_domains)?;
    if settings.sso_domains_need_proof {
        prove_domains(ctx, &domains).await?;
    }
    let default_role = match Role::parse(&input.default_role) {
        Some(role) if role != Role::Owner => role,
        _ => {
            return Err(Error::invalid(
                "default_role",
                "must be admin, member or viewer",
            ))
        }
    };
    let break_glass = break_glass(ctx, &input).await?;
    let existing = load(ctx).await?;
    let before = existing.clone();
    let secret_replaced = !input.client_secret.trim().is_empty();
    let sealed = match input.client_secret.trim() {
        "" => existing.and_then(|c| c.client_secret_sealed),
        // Sealed with the tenant's own data key (`tenancy::keys`).
        secret => Some(ctx.keys().await?.seal(SSO_CLIENT_SECRET.name, secret)?),
    };
    let found = discover(settings, &issuer).await?;
    let model = row::ActiveModel {
        issuer: Set(issuer),
        client_id: Set(client_id.to_owned()),
        client_secret_sealed: Set(sealed),
        authorization_endpoint: Set(found.authorization_endpoint),
        token_endpoint: Set(found.token_endpoint),
        jwks_uri: Set(found.jwks_uri),
        allowed_domains: Set(domains.join(",")),
        jit_provisioning: Set(input.jit_provisioning),
        default_role: Set(default_role.as_str().to_owned()),
        enforce_sso: Set(input.enforce_sso),
        break_glass_email: Set(break_glass),
        updated_by: Set(actor.label.clone()),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    let detail = sso_changes(before.as_ref(), &model, secret_replaced);
    // A tenant has one configuration: the new one replaces it.
    ctx.run(true, async |db| {
        row::Entity::delete_many().exec(db).await?;
        db.insert(model).await?;
        audit::record_tenant(db, &actor.label, "sso.configured", &detail).await?;
        relay::raise(db, Raised::record_changed(&actor.label)).await
    })
    .await?;
    relay::relay_now(ctx).await;
    view(ctx).await?.ok_or(Error::NotFound)
}

/// Each setting that differs from the stored configuration (the client
/// secret only as "replaced": it is never written anywhere readable).
fn sso_changes(before: Option<&row::Model>, after: &row::ActiveModel, secret: bool) -> String {
    // Every field of `after` is set by `save`; an unset one reads empty.
    let now = |v: &sea_orm::ActiveValue<String>| v.try_as_ref().cloned().unwrap_or_default();
    let flag =
        |v: &sea_orm::ActiveValue<bool>| v.try_as_ref().map(bool::to_string).unwrap_or_default();
    let was = |f: fn(&row::Model) -> String| before.map(f).unwrap_or_default();
    let break_glass = after.break_glass_email.try_as_ref().cloned().flatten();
    let pairs = [
        ("issuer", was(|m| m.issuer.clone()), now(&after.issuer)),
        (
            "client_id",
            was(|m| m.client_id.clone()),
            now(&after.client_id),
        ),
        (
            "allowed_domains",
            was(|m| m.allowed_domains.clone()),
            now(&after.allowed_domains),
        ),
        (
            "default_role",
            was(|m| m.default_role.clone()),
            now(&after.default_role),
        ),
        (
            "jit_provisioning",
            was(|m| m.jit_provisioning.to_string()),
            flag(&after.jit_provisioning),
        ),
        (
            "enforce_sso",
            was(|m| m.enforce_sso.to_string()),
            flag(&after.enforce_sso),
        ),
        (
            "break_glass_email",
            was(|m| m.break_glass_email.clone().unwrap_or_default()),
            break_glass.unwrap_or_default(),
        ),
    ];
    let listed = audit::changes(&pairs);
    match secret {
        true => format!("{listed}; client_secret replaced"),
        false => listed,
    }
}

/// Removes the configuration: password sign-in works again for everyone.
pub async fn remove(ctx: &TenantCtx, actor: &Actor) -> Result<()> {
    crate::authz::check(
        crate::authz::Need::Owner,
        crate::authz::Principal::Member(actor.role),
    )?;
    ctx.run(true, async |db| {
        row::Entity::delete_many().exec(db).await?;
        audit::record_tenant(db, &actor.label, "sso.removed", "").await?;
        relay::raise(db, Raised::record_changed(&actor.label)).await
    })
    .await?;
    relay::relay_now(ctx).await;
    Ok(())
}

/// Whether the bound tenant has a configuration: what its record carries
/// (`TenantRecord::sso_configured`), read when the record is loaded.
pub(crate) async fn configured(db: &TenantDb) -> Result<bool> {
    Ok(row::Entity::find().count(db).await? > 0)
}

/// The stored configuration of this tenant, if any.
pub async fn load(ctx: &TenantCtx) -> Result<Option<row::Model>> {
    ctx.run(false, async |db| Ok(row::Entity::find().one(db).await?))
        .await
}

pub async fn view(ctx: &TenantCtx) -> Result<Option<SsoView>> {
    Ok(load(ctx).await?.map(|c| SsoView {
        has_client_secret: c.client_secret_sealed.is_some(),
        allowed_domains: split_domains(&c.allowed_domains),
        default_role: Role::parse(&c.default_role).unwrap_or(Role::Member),
        issuer: c.issuer,
        client_id: c.client_id,
        jit_provisioning: c.jit_provisioning,
        enforce_sso: c.enforce_sso,
        break_glass_email: c.break_glass_email,
        updated_by: c.updated_by,
        updated_at: c.updated_at,
    }))
}

/// Whether this tenant enforces SSO, and whether password sign-in is
/// refused for `email` (everyone but the break-glass owner, when enforced).
pub async fn password_sign_in(ctx: &TenantCtx, email: &str) -> Result<(bool, bool)> {
    let enforced = load(ctx).await?.filter(|c| c.enforce_sso);
    let refused = enforced.as_ref().is_some_and(|c| {
        c.break_glass_email.as_deref() != Some(email.trim().to_lowercase().as_str())
    });
    Ok((enforced.is_some(), refused))
}

pub fn split_domains(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .collect()
}

/// The issuer URL: https (plain http only to loopback, and only where
/// private providers are allowed), no query or fragment.
fn parse_issuer(raw: &str, allow_private: bool) -> Result<String> {
    let issuer = raw.trim().trim_end_matches('/');
    let url = url::Url::parse(issuer)
        .map_err(|_| Error::invalid("issuer", "must be a URL such as https://login.example.com"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback && allow_private => {}
        _ => return Err(Error::invalid("issuer", "must use https")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            "issuer",
            "must not have a query or fragment",
        ));
    }
    Ok(issuer.to_owned())
}

/// The TXT record that proves this tenant may sign in addresses of `domain`
/// through SSO: its name and the value it must hold. The value names the
/// tenant, so one tenant's proof proves nothing for another.
pub fn domain_proof(ctx: &TenantCtx, domain: &str) -> (String, String) {
    let label = &ctx.engine().settings().domain_challenge_label;
    (
        format!("{label}.{domain}"),
        format!("tenantry-sso={}", ctx.id()),
    )
}

/// Refuses the first domain whose TXT record does not name this tenant:
/// otherwise an admin could let their provider sign in anyone's address at
/// any domain (an owner's included).
async fn prove_domains(ctx: &TenantCtx, domains: &[String]) -> Result<()> {
    let resolver = crate::outbound::dns::TxtResolver::new(ctx.engine().settings())
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("DNS resolver unavailable: {e}")))?;
    for domain in domains {
        let (name, value) = domain_proof(ctx, domain);
        let found = resolver.txt(&name).await.unwrap_or_default();
        if !found.iter().any(|v| v.trim() == value) {
            return Err(Error::invalid(
                "allowed_domains",
                format!("{domain} is not proven yet: add a TXT record at {name} holding {value}"),
            ));
        }
    }
    Ok(())
}

fn parse_domains(raw: &str) -> Result<Vec<String>> {
    let domains: Vec<String> = split_domains(&raw.to_lowercase());
    if domains.is_empty() {
        return Err(Error::invalid(
            "allowed_domains",
            "list at least one email domain, such as example.com",
        ));
    }
    for d in &domains {
        let valid = d.contains('.')
            && !d.starts_with('.')
            && !d.ends_with('.')
            && d.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !valid {
            return Err(Error::invalid(
                "allowed_domains",
                format!("{d:?} is not a domain name"),
            ));
        }
    }
    Ok(domains)
}

/// With SSO enforced, one owner keeps password sign-in (in case the provider
/// is down); it must be an owner of this tenant.
async fn break_glass(ctx: &TenantCtx, input: &SsoInput) -> Result<Option<String>> {
    let raw = input.break_glass_email.trim();
    if raw.is_empty() {
        if input.enforce_sso {
            return Err(Error::invalid(
                "break_glass_email",
                "name an owner who keeps password sign-in while SSO is enforced",
            ));
        }
        return Ok(None);
    }
    let email = Email::parse("break_glass_email", raw)?;
    let db = ctx.read().await?;
    let member = members::find_by_email(&db, &email).await?;
    db.commit().await?;
    match member {
        Some(m) if m.role == Role::Owner => Ok(Some(email.as_str().to_owned())),
        _ => Err(Error::invalid(
            "break_glass_email",
            "must be an owner of this organisation",
        )),
    }
}

/// The provider's endpoints, from its discovery document. Every way this
/// can fail — a private or unreachable address, a refused connection, an
/// error status, a document that is not one — gets the same answer, so the
/// form cannot be used to probe what answers where.
async fn discover(settings: &Settings, issuer: &str) -> Result<Discovery> {
    let failed = || {
        Error::invalid(
            "issuer",
            format!(
                "no OpenID discovery document could be read at \
                 {issuer}/.well-known/openid-configuration from a public address"
            ),
        )
    };
    let url = url::Url::parse(issuer).map_err(|_| failed())?;
    let private = !crate::outbound::Destination::SsoProvider.private_allowed(settings);
    if private && crate::outbound::names_private_host(&url) {
        return Err(failed());
    }
    let res = http(settings)
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .map_err(|_| failed())?;
    if !res.status().is_success() {
        return Err(failed());
    }
    let body = res.bytes().await.map_err(|_| failed())?;
    let found: Discovery = serde_json::from_slice(&body).map_err(|_| failed())?;
    if found.issuer.trim_end_matches('/') != issuer {
        return Err(Error::invalid(
            "issuer",
            format!(
                "the discovery document names a different issuer ({})",
                found.issuer
            ),
        ));
    }
    for endpoint in [
        &found.authorization_endpoint,
        &found.token_endpoint,
        &found.jwks_uri,
    ] {
        let named = url::Url::parse(endpoint).map_err(|_| failed())?;
        if private && crate::outbound::names_private_host(&named) {
            return Err(failed());
        }
    }
    Ok(found)
}
