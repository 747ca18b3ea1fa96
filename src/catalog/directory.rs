//! Directory entries: what lets the platform find a tenant from something
//! presented to it, or find the tenants with work waiting, without reading
//! any tenant's rows. They hold no secret and no personal data; whatever they
//! point at is read inside that tenant's own `TenantDb`.

use crate::entities::catalog::{api_key_prefix, mail_due};
use crate::error::Result;
use crate::tenancy::{Engine, TenantId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// Records that the key with this visible prefix belongs to `tenant`.
pub async fn register_key_prefix(engine: &Engine, tenant: TenantId, prefix: &str) -> Result<()> {
    api_key_prefix::Entity::insert(api_key_prefix::ActiveModel {
        prefix: Set(prefix.to_owned()),
        tenant: Set(tenant.uuid()),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(engine.catalog())
    .await?;
    Ok(())
}

/// The tenant a key prefix belongs to, if any.
pub async fn tenant_of_key_prefix(engine: &Engine, prefix: &str) -> Result<Option<TenantId>> {
    Ok(api_key_prefix::Entity::find_by_id(prefix.to_owned())
        .one(engine.catalog())
        .await?
        .map(|row| TenantId::from_uuid(row.tenant)))
}

/// Notes that `tenant` has mail due now. Written beside the transaction that
/// queues the message, possibly before it commits: a delivery pass that
/// finds nothing leaves a young entry for a second look (see
/// [`mail_rescheduled`]), and the periodic sweep is the safety net.
pub async fn mail_due_now(engine: &Engine, tenant: TenantId) -> Result<()> {
    let mut upsert = OnConflict::column(mail_due::Column::Tenant);
    upsert.update_columns([mail_due::Column::DueAt, mail_due::Column::NotedAt]);
    let now = chrono::Utc::now();
    mail_due::Entity::insert(mail_due::ActiveModel {
        tenant: Set(tenant.uuid()),
        due_at: Set(now),
        noted_at: Set(now),
    })
    .on_conflict(upsert)
    .exec_without_returning(engine.catalog())
    .await?;
    Ok(())
}

/// How long a fresh mail entry may point at a message not yet committed.
const YOUNG_HINT_SECS: i64 = 30;

/// Tenants with mail due by `now`, earliest first, with when mail was last
/// queued for each.
pub async fn tenants_with_mail_due(
    engine: &Engine,
    now: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<(TenantId, chrono::DateTime<chrono::Utc>)>> {
    Ok(mail_due::Entity::find()
        .filter(mail_due::Column::DueAt.lte(now))
        .order_by_asc(mail_due::Column::DueAt)
        .limit(limit)
        .all(engine.catalog())
        .await?
        .into_iter()
        .map(|row| (TenantId::from_uuid(row.tenant), row.noted_at))
        .collect())
}

/// After a delivery pass over `tenant`: its next due time, or, with none,
/// the entry goes. Unless mail was queued since the pass read the entry
/// (`seen`, its `noted_at`), and unless that was so recent that the message
/// may not have committed yet: then it is looked at again shortly.
pub async fn mail_rescheduled(
    engine: &Engine,
    tenant: TenantId,
    seen: chrono::DateTime<chrono::Utc>,
    next: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<()> {
    let this = mail_due::Column::Tenant.eq(tenant.uuid());
    let unchanged = mail_due::Column::NotedAt.eq(seen);
    let now = chrono::Utc::now();
    let young = seen > now - chrono::Duration::seconds(YOUNG_HINT_SECS);
    let next = match (next, young) {
        (None, true) => Some(now + chrono::Duration::seconds(YOUNG_HINT_SECS)),
        (next, _) => next,
    };
    match next {
        Some(next) => {
            mail_due::Entity::update_many()
                .col_expr(
                    mail_due::Column::DueAt,
                    sea_orm::sea_query::Expr::value(next),
                )
                .filter(this)
                .filter(unchanged)
                .exec(engine.catalog())
                .await?;
        }
        None => {
            mail_due::Entity::delete_many()
                .filter(this)
                .filter(unchanged)
                .exec(engine.catalog())
                .await?;
        }
    }
    Ok(())
}
