//! Issuance from the ACME CA with HTTP-01: the key authorisation is stored in
//! the catalog (so whichever instance the CA reaches can answer at
//! `/.well-known/acme-challenge/<token>`), the order is finalised with a key
//! generated here, and the certificate and sealed key are stored. Only
//! verified custom domains are ever ordered, at most
//! `acme_issuances_per_hour` attempts per tenant.

use crate::domains;
use crate::entities::catalog::{acme_account, acme_challenge, tls_certificate, tls_issuance};
use crate::error::{Error, Result};
use crate::seal::Sealer;
use crate::tenancy::{Engine, PlatformUse, TenantId};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use std::time::Duration;

fn acme_error(e: instant_acme::Error) -> Error {
    Error::Unexpected(anyhow::anyhow!("ACME: {e}"))
}

/// The key authorisation for an HTTP-01 `token`, if one is pending.
pub async fn challenge_response(engine: &Engine, token: &str) -> Result<Option<String>> {
    Ok(acme_challenge::Entity::find_by_id(token.to_owned())
        .one(engine.platform_tables())
        .await?
        .map(|row| row.key_authorization))
}

/// Orders, validates and stores a certificate for a verified `host`.
pub async fn issue(engine: &Engine, host: &str) -> Result<()> {
    let tenant = domains::verified_tenant(engine, host)
        .await?
        .ok_or(Error::NotFound)?;
    let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    let recent = engine
        .on_records(tenant, async |records| {
            Ok(records
                .find::<tls_issuance::Entity>()
                .filter(tls_issuance::Column::At.gte(hour_ago))
                .count(records)
                .await?)
        })
        .await?;
    if recent >= u64::from(engine.settings().acme_issuances_per_hour) {
        return Err(Error::invalid(
            "hostname",
            "too many certificate requests for this workspace; try again within the hour",
        ));
    }
    let outcome = order(engine, host, tenant).await;
    let note = match &outcome {
        Ok(()) => "issued".to_owned(),
        Err(e) => format!("failed: {e}"),
    };
    let attempt = tls_issuance::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        hostname: Set(host.to_owned()),
        outcome: Set(note),
        at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    engine
        .on_records(tenant, async |records| {
            records.stamp(attempt).insert(records).await?;
            Ok(())
        })
        .await?;
    outcome
}

async fn account(engine: &Engine, sealer: &Sealer) -> Result<Account> {
    let settings = engine.settings();
    let directory = settings
        .acme_directory_url
        .clone()
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("acme_directory_url is not set")))?;
    // Every request to the CA goes out under the outbound policy.
    let builder = || -> Result<_> {
        let http = crate::outbound::AcmeHttp::new(settings).map_err(Error::Unexpected)?;
        Ok(Account::builder_with_http(Box::new(http)))
    };
    if let Some(row) = acme_account::Entity::find_by_id(directory.clone())
        .one(engine.platform_tables())
        .await?
    {
        let credentials: AccountCredentials =
            serde_json::from_slice(&sealer.open(&row.credentials_sealed)?)
                .map_err(anyhow::Error::from)?;
        return builder()?
            .from_credentials(credentials)
            .await
            .map_err(acme_error);
    }
    let new = NewAccount {
        contact: &[],
        terms_of_service_agreed: true,
        only_return_existing: false,
    };
    let (account, credentials) = builder()?
        .create(&new, directory.clone(), None)
        .await
        .map_err(acme_error)?;
    let sealed = sealer.seal(&serde_json::to_vec(&credentials).map_err(anyhow::Error::from)?)?;
    acme_account::Entity::insert(acme_account::ActiveModel {
        directory: Set(directory),
        credentials_sealed: Set(sealed),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::column(acme_account::Column::Directory)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(engine.platform_tables())
    .await?;
    Ok(account)
}

async fn order(engine: &Engine, host: &str, tenant: TenantId) -> Result<()> {
    let sealer = Sealer::from_settings(engine.settings())?;
    let account = account(engine, &sealer).await?;
    let identifiers = [Identifier::Dns(host.to_owned())];
    let mut order = account
        .new_order(&NewOrder::new(&identifiers))
        .await
        .map_err(acme_error)?;
    let mut tokens = Vec::new();
    let mut authorizations = order.authorizations();
    while let Some(authz) = authorizations.next().await {
        let mut authz = authz.map_err(acme_error)?;
        if authz.status == AuthorizationStatus::Valid {
            continue;
        }
        let mut challenge = authz.challenge(ChallengeType::Http01).ok_or_else(|| {
            Error::Unexpected(anyhow::anyhow!("the CA offers no http-01 challenge"))
        })?;
        let token = challenge.token.clone();
        acme_challenge::Entity::insert(acme_challenge::ActiveModel {
            token: Set(token.clone()),
            key_authorization: Set(challenge.key_authorization().as_str().to_owned()),
            hostname: Set(host.to_owned()),
            created_at: Set(chrono::Utc::now()),
        })
        .exec_without_returning(engine.platform_tables())
        .await?;
        tokens.push(token);
        challenge.set_ready().await.map_err(acme_error)?;
    }
    let retries = RetryPolicy::default()
        .initial_delay(Duration::from_millis(200))
        .timeout(Duration::from_secs(60));
    let status = order.poll_ready(&retries).await.map_err(acme_error);
    acme_challenge::Entity::delete_many()
        .filter(acme_challenge::Column::Token.is_in(tokens))
        .exec(engine.platform_tables())
        .await?;
    if status? != OrderStatus::Ready {
        return Err(Error::Unexpected(anyhow::anyhow!(
            "the CA did not validate {host}"
        )));
    }
    let key_pem = order.finalize().await.map_err(acme_error)?;
    let chain_pem = order.poll_certificate(&retries).await.map_err(acme_error)?;
    let not_after = expiry(&chain_pem)?;
    let row = tls_certificate::ActiveModel {
        hostname: Set(host.to_owned()),
        chain_pem: Set(chain_pem),
        key_sealed: Set(sealer.seal(key_pem.as_bytes())?),
        not_after: Set(not_after),
        issued_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    // Certificates are kept by host name: the new one replaces whatever the
    // name had, even a certificate of a tenant that held it before.
    engine
        .on_platform(PlatformUse::Maintenance("certificates"), async |db| {
            tls_certificate::Entity::delete_by_id(host.to_owned())
                .exec(db)
                .await?;
            db.stamp(tenant, row).insert(db).await?;
            Ok(())
        })
        .await?;
    tracing::info!(tenant_id = %tenant, hostname = host, %not_after, "certificate issued");
    Ok(())
}

/// The leaf certificate's expiry.
fn expiry(chain_pem: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    let mut reader = std::io::Cursor::new(chain_pem.as_bytes());
    let leaf = rustls_pemfile::certs(&mut reader)
        .next()
        .ok_or_else(|| anyhow::anyhow!("the CA returned no certificate"))?
        .map_err(anyhow::Error::from)?;
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf)
        .map_err(|e| anyhow::anyhow!("unreadable certificate: {e}"))?;
    let seconds = cert.validity().not_after.timestamp();
    Ok(chrono::DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| anyhow::anyhow!("certificate expiry out of range"))?)
}
