//! Moving a tenant onto another plan: the catalog row, the plan history
//! invoicing reads, the audit entry and the lifecycle event, in one
//! transaction.

use crate::audit;
use crate::entities::catalog::tenant;
use crate::error::{Error, Result};
use crate::events::{outbox, EventKind};
use crate::tenancy::{Engine, PlatformUse, Slug};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

/// Moves a tenant onto another plan.
pub async fn assign(engine: &Engine, raw_slug: &str, plan_key: &str, actor: &str) -> Result<()> {
    let slug = Slug::parse(raw_slug).map_err(|_| Error::NotFound)?;
    let record = engine.record_by_slug(&slug).await?.ok_or(Error::NotFound)?;
    let plan_key = crate::plans::store::existing(engine, "plan", plan_key).await?;
    if record.plan == plan_key {
        return Ok(());
    }
    let txn = engine.platform(PlatformUse::Records).await?;
    tenant::ActiveModel {
        id: Set(record.id.uuid()),
        plan: Set(plan_key.clone()),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    crate::billing::invoices::record_plan(&txn, record.id, &plan_key, chrono::Utc::now()).await?;
    let data = json!({ "from": record.plan, "to": plan_key });
    audit::record_in(
        &txn,
        actor,
        "tenant.plan_changed",
        Some(record.id),
        &data.to_string(),
    )
    .await?;
    outbox::append(
        &txn,
        record.id,
        slug.as_str(),
        EventKind::PlanChanged,
        actor,
        data,
    )
    .await?;
    txn.commit().await?;
    engine.tenant_changed(record.id);
    engine.events().wake();
    Ok(())
}
