//! Verifiable deletion. Purging a tenant removes its rows in every
//! tenant-plane table (or its file, schema or database), its catalog rows
//! (every catalog table naming it, enumerated from the database: its
//! records, directory entries, the platform endpoints' deliveries of its
//! events, moves, fleet units, its earlier lifecycle events), its sessions and its
//! in-memory map entry and its Stripe customer — after destroying its data
//! key first (crypto-shredding, `tenancy::keys`) — pseudonymises its people in
//! the platform audit ([`super::pseudonyms`]), then writes a **deletion receipt** — what each
//! store held before and after — to the platform audit log with the
//! `tenant.purged` event.

use super::pseudonyms::Pseudonyms;
use crate::audit;
use crate::entities::catalog::{lifecycle_event, session, tenant};
use crate::entities::tenant::{invitation, user};
use crate::error::{Error, Result};
use crate::events::{outbox, EventKind};
use crate::tenancy::keys::personal::{INVITATION_EMAIL, USER_EMAIL, USER_NAME};
use crate::tenancy::{Engine, PlatformUse, Slug, TenantRecord, TenantState};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Serialize;
use serde_json::json;

/// One store's count of the tenant's records, before and after the purge.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoreCount {
    pub store: String,
    pub before: u64,
    pub after: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeletionReceipt {
    pub tenant: uuid::Uuid,
    pub slug: String,
    pub purged_at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    /// When its data key was destroyed, first of all: what was sealed with
    /// it is unreadable in every copy from then on.
    pub data_key_destroyed_at: chrono::DateTime<chrono::Utc>,
    pub stores: Vec<StoreCount>,
}

impl DeletionReceipt {
    /// Whether every store is empty of the tenant afterwards, but for what
    /// is deliberately retained (its final invoices, see
    /// `invoice_retention_days`).
    pub fn complete(&self) -> bool {
        self.stores
            .iter()
            .filter(|s| !s.store.starts_with(RETAINED))
            .all(|s| s.after == 0)
    }
}

/// How a receipt names what a purge keeps on purpose.
const RETAINED: &str = "retained: ";

fn session_marker(record: &TenantRecord) -> String {
    // Sessions are bound to the scope they were made on (`crate::session`).
    format!("\"scope\":\"tenant:{}\"", record.id)
}

/// What every store holds of the tenant now.
async fn census(engine: &Engine, record: &TenantRecord) -> Result<Vec<(String, u64)>> {
    let id = record.id.uuid();
    // The platform path: the event log and the platform's deliveries are
    // behind the wall, visible to the platform scope only.
    let platform = engine.platform(PlatformUse::Purge).await?;
    let catalog = &platform;
    let mut counts: Vec<(String, u64)> = engine
        .tenant_plane_rows(record)
        .await?
        .into_iter()
        .map(|(table, n)| (format!("tenant plane: {table}"), n))
        .collect();
    let catalog_counts = [
        (
            "tenants",
            tenant::Entity::find_by_id(id).count(catalog).await?,
        ),
        (
            "sessions",
            session::Entity::find()
                .filter(session::Column::Data.contains(session_marker(record)))
                .count(catalog)
                .await?,
        ),
    ];
    // Every other catalog table naming the tenant, enumerated from the
    // database: the directory entries and the platform's records about it.
    // The platform audit is kept, its people pseudonymised (see `purge`).
    let named = crate::tenancy::directory::catalog_rows_of(&platform, record.id)
        .await?
        .into_iter()
        .filter(|(table, _)| table != "platform_audit" && table != "retained_invoices");
    platform.commit().await?;
    counts.extend(
        catalog_counts
            .into_iter()
            .map(|(store, n)| (store.to_owned(), n))
            .chain(named)
            .map(|(store, n)| (format!("catalog: {store}"), n)),
    );
    let objects = engine.storage().tenant(record.id).count().await?;
    counts.push(("object storage".into(), objects));
    let keys = engine.keyring_rows(record.id).await?.len() as u64;
    counts.push(("keyring: data keys".into(), keys));
    let cached = u64::from(engine.tenant_cache().holds(record.id.uuid()));
    counts.push(("tenant map".into(), cached));
    Ok(counts)
}

/// The tenant's people as its plane knows them (addresses and names of its
/// users and invitees), read before the plane goes. Nothing when the plane
/// is gone already (a purge resumed after a failure): addresses are still
/// found in the text, names no longer.
async fn personal_values(engine: &Engine, record: &TenantRecord) -> Vec<String> {
    let ctx = engine.ctx(record.clone());
    let read = ctx
        .run(false, async |db| {
            let users = user::Entity::find().all(db).await?;
            let invited = invitation::Entity::find().all(db).await?;
            let personal = db.personal()?;
            let mut values = Vec::with_capacity(users.len() * 2 + invited.len());
            for u in users {
                values.push(personal.open(&USER_EMAIL, &u.email).await?);
                values.push(personal.open(&USER_NAME, &u.display_name).await?);
            }
            for i in invited {
                values.push(personal.open(&INVITATION_EMAIL, &i.email).await?);
            }
            Ok(values)
        })
        .await;
    read.unwrap_or_else(|e| {
        tracing::warn!(tenant_id = %record.id, error = %e, "tenant plane unreadable at purge; pseudonymising addresses only");
        Vec::new()
    })
}

/// Purges the tenant (already `deleted`) and returns its receipt.
pub(crate) async fn purge(
    engine: &Engine,
    record: &TenantRecord,
    actor: &str,
) -> Result<DeletionReceipt> {
    let before = census(engine, record).await?;
    let pseudonyms = Pseudonyms::new(personal_values(engine, record).await);
    // First, its data key: from here on nothing sealed with it opens, in
    // the live stores or in any backup of them (crypto-shredding).
    let shredded = engine.destroy_tenant_keys(record.id).await?;
    let data_key_destroyed_at = chrono::Utc::now();
    tracing::info!(tenant_id = %record.id, generations = shredded, "data key destroyed");
    // Then Stripe: a failure there stops the purge before its data is gone.
    let stripe_customer = crate::billing::stripe::delete_customer(engine, record.id).await?;
    // Its final invoices are copied aside before its plane goes, when the
    // setting keeps them: the deliberate exception, in the receipt below.
    let retained_until = crate::billing::invoices::retain(engine, record).await?;
    engine.purge(record).await?;
    engine.storage().tenant(record.id).delete_all().await?;
    let id = record.id.uuid();
    engine
        .on_records(record.id, async |records| {
            records
                .delete::<lifecycle_event::Entity>()
                .exec(records)
                .await?;
            Ok(())
        })
        .await?;
    let txn = engine.platform(PlatformUse::Records).await?;
    session::Entity::delete_many()
        .filter(session::Column::Data.contains(session_marker(record)))
        .exec(&txn)
        .await?;
    // Everything else in the catalog goes with the tenant row (ON DELETE CASCADE).
    tenant::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    engine.tenant_changed(record.id);
    engine.session_cache().clear();
    let rewritten = engine
        .rewrite_platform_audit(record.id, |a| pseudonyms.actor(a), |d| pseudonyms.text(d))
        .await?;
    tracing::info!(tenant_id = %record.id, entries = rewritten, "platform audit pseudonymised");

    // By name: the tenant plane's tables are listed by its database before
    // the purge and by the migrations once it is gone.
    let after: std::collections::HashMap<String, u64> =
        census(engine, record).await?.into_iter().collect();
    let mut stores: Vec<StoreCount> = before
        .into_iter()
        .map(|(store, before)| StoreCount {
            after: after.get(&store).copied().unwrap_or(0),
            store,
            before,
        })
        .collect();
    if let Some(customer) = stripe_customer {
        let remains = crate::billing::stripe::customer_remains(engine, &customer).await?;
        stores.push(StoreCount {
            store: "stripe: customer".into(),
            before: 1,
            after: u64::from(remains),
        });
    }
    if let Some(until) = retained_until {
        stores.push(StoreCount {
            store: format!("{RETAINED}invoices, until {}", until.format("%Y-%m-%d")),
            before: 0,
            after: crate::billing::invoices::retained(engine, record.id).await?,
        });
    }
    let receipt = DeletionReceipt {
        tenant: id,
        slug: record.slug.to_string(),
        purged_at: chrono::Utc::now(),
        actor: actor.to_owned(),
        data_key_destroyed_at,
        stores,
    };
    record_receipt(engine, record, &receipt, actor).await?;
    Ok(receipt)
}

/// The receipt goes to the platform audit and, as `tenant.purged`, to the
/// outbox, in one transaction.
async fn record_receipt(
    engine: &Engine,
    record: &TenantRecord,
    receipt: &DeletionReceipt,
    actor: &str,
) -> Result<()> {
    let detail = serde_json::to_string(receipt).map_err(anyhow::Error::from)?;
    let txn = engine.platform(PlatformUse::Records).await?;
    audit::record_in(&txn, actor, "tenant.purged", Some(record.id), &detail).await?;
    let data = json!({ "state": "purged", "complete": receipt.complete() });
    outbox::append(
        &txn,
        record.id,
        record.slug.as_str(),
        EventKind::Purged,
        actor,
        data,
    )
    .await?;
    txn.commit().await?;
    engine.events().wake();
    Ok(())
}

/// Hard-deletes tenants whose grace period has ended: their tenant-plane rows
/// (or file), then their catalog rows. Returns how many were purged.
pub async fn purge_expired(engine: &Engine, actor: &str) -> Result<usize> {
    let cutoff = chrono::Utc::now()
        - chrono::Duration::days(i64::from(engine.settings().deleted_grace_days));
    let expired = tenant::Entity::find()
        .filter(tenant::Column::State.eq(TenantState::Deleted.as_str()))
        .filter(tenant::Column::DeletedAt.lte(cutoff))
        .all(engine.platform_tables())
        .await?;
    // One tenant that fails to purge must not hold back the others: log it
    // and go on; it is retried on the next round.
    let mut purged = 0;
    for t in expired {
        match purge_one(engine, &t, actor).await {
            Ok(()) => purged += 1,
            Err(e) => tracing::error!(tenant_id = %t.id, error = ?e, "purge failed; will retry"),
        }
    }
    Ok(purged)
}

async fn purge_one(engine: &Engine, t: &tenant::Model, actor: &str) -> Result<()> {
    let slug =
        Slug::parse(&t.slug).map_err(|_| anyhow::anyhow!("stored slug {:?} invalid", t.slug))?;
    let record: TenantRecord = engine.record_by_slug(&slug).await?.ok_or(Error::NotFound)?;
    let receipt = purge(engine, &record, actor).await?;
    if !receipt.complete() {
        tracing::error!(tenant_id = %record.id, ?receipt, "purge left records behind");
    }
    Ok(())
}

/// Purges a deleted tenant now, without waiting for the grace period.
/// `confirm` must repeat the slug. Returns the deletion receipt.
pub async fn purge_now(
    engine: &Engine,
    raw_slug: &str,
    confirm: &str,
    actor: &str,
) -> Result<DeletionReceipt> {
    let slug = Slug::parse(raw_slug).map_err(|_| Error::NotFound)?;
    let record = engine.record_by_slug(&slug).await?.ok_or(Error::NotFound)?;
    if record.state != TenantState::Deleted {
        return Err(Error::invalid(
            "state",
            "only a deleted tenant can be purged; delete it first",
        ));
    }
    if confirm.trim() != slug.as_str() {
        return Err(Error::invalid(
            "confirm",
            "type the tenant's slug to confirm the purge",
        ));
    }
    purge(engine, &record, actor).await
}
