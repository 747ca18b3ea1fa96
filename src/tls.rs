//! Certificates for verified custom domains. The HTTPS listener asks for a
//! host's certificate by SNI; a verified domain without one gets one from
//! the ACME CA on demand (HTTP-01), rate-limited per tenant; anything else
//! gets nothing and causes no issuance. Keys are sealed at rest. See
//! `docs/custom-domains.md`.

pub mod acme;

use crate::domains;
use crate::entities::catalog::tls_certificate;
use crate::error::Result;
use crate::tenancy::{Engine, PlatformUse, TenantId};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// A certificate chain and its private key, both PEM.
pub struct CertifiedPem {
    pub chain_pem: String,
    pub key_pem: String,
}

/// The certificate to present for `sni`: the stored one, or a new one when
/// `sni` is a verified custom domain and issuance is configured. `None` for
/// any other name — those never reach the CA.
pub async fn certificate_for(engine: &Engine, sni: &str) -> Result<Option<CertifiedPem>> {
    let Some(host) = crate::catalog::resolve::normalise_host(sni) else {
        return Ok(None);
    };
    let Some(tenant) = domains::verified_tenant(engine, &host).await? else {
        return Ok(None);
    };
    if let Some(found) = stored(engine, tenant, &host).await? {
        return Ok(Some(found));
    }
    if engine.settings().acme_directory_url.is_none() {
        return Ok(None);
    }
    acme::issue(engine, &host).await?;
    stored(engine, tenant, &host).await
}

/// `tenant`'s stored certificate for `host`.
async fn stored(engine: &Engine, tenant: TenantId, host: &str) -> Result<Option<CertifiedPem>> {
    let found = engine
        .on_records(tenant, async |records| {
            Ok(records
                .find::<tls_certificate::Entity>()
                .filter(tls_certificate::Column::Hostname.eq(host))
                .one(records)
                .await?)
        })
        .await?;
    let Some(row) = found else {
        return Ok(None);
    };
    let key = crate::seal::Sealer::from_settings(engine.settings())?.open(&row.key_sealed)?;
    Ok(Some(CertifiedPem {
        chain_pem: row.chain_pem,
        key_pem: String::from_utf8(key).map_err(anyhow::Error::from)?,
    }))
}

/// Renews certificates that expire within `certificate_renew_days` (their
/// domain still verified); returns how many were renewed.
pub async fn renew_due(engine: &Engine) -> Result<usize> {
    if engine.settings().acme_directory_url.is_none() {
        return Ok(0);
    }
    let horizon = chrono::Utc::now()
        + chrono::Duration::days(i64::from(engine.settings().certificate_renew_days));
    let due = engine
        .on_platform(PlatformUse::Maintenance("certificates"), async |db| {
            Ok(tls_certificate::Entity::find()
                .filter(tls_certificate::Column::NotAfter.lte(horizon))
                .all(db)
                .await?)
        })
        .await?;
    let mut renewed = 0;
    for row in due {
        if domains::verified_tenant(engine, &row.hostname)
            .await?
            .is_none()
        {
            continue;
        }
        match acme::issue(engine, &row.hostname).await {
            Ok(()) => renewed += 1,
            Err(e) => tracing::error!(hostname = row.hostname, error = ?e, "renewal failed"),
        }
    }
    Ok(renewed)
}

/// Issuance attempts recorded for `host` (operators' view, tests).
pub async fn issuance_attempts(engine: &Engine, host: &str) -> Result<u64> {
    use crate::entities::catalog::tls_issuance;
    use sea_orm::PaginatorTrait;
    engine
        .on_platform(PlatformUse::Console, async |db| {
            Ok(tls_issuance::Entity::find()
                .filter(tls_issuance::Column::Hostname.eq(host))
                .count(db)
                .await?)
        })
        .await
}
