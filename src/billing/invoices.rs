//! Invoices: the preview of the current period (rated on demand, never
//! stored) and final invoices for ended periods (stored once, frozen).
//!
//! About 465 lines: an invoice's whole life (the plan history it rates, the
//! frozen final invoice, payment, retention past a purge), each step reading
//! what the one before wrote.

use super::accounts;
use super::period::Period;
use super::platform_usage::seat_changes;
use super::rating::{self, Line, Rated, SeatSpan, Segment};
use super::usage;
use crate::entities::catalog::{plan_assignment, retained_invoice, tenant};
use crate::entities::search::{chosen, filter_word, in_time_order, Page, Place};
use crate::entities::tenant::invoice;
use crate::error::{Error, Result};
use crate::events::relay::{self, Raised};
use crate::plans::prices::Charge;
use crate::policy::Policy;
use crate::tenancy::directory::{self, Queue};
use crate::tenancy::{
    CatalogScope, Engine, PlatformDb, PlatformUse, TenantCtx, TenantDb, TenantId, TenantRecord,
    TenantRecords,
};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use std::collections::BTreeMap;
use tenantry_vocab::InvoiceStatus;
use uuid::Uuid;

/// Records that the tenant is on `plan` from `since` on (in the caller's
/// platform transaction, which creates the tenant or changes its plan).
pub async fn record_plan(
    conn: &impl CatalogScope,
    tenant: TenantId,
    plan: &str,
    since: DateTime<Utc>,
) -> Result<()> {
    // Whole seconds, like usage timestamps: an event sent in the second of
    // the change counts under the new plan. A second change in the same
    // second replaces the first.
    let assignment = plan_assignment::ActiveModel {
        since: Set(since.trunc_subsecs(0)),
        plan: Set(plan.to_owned()),
        ..Default::default()
    };
    plan_assignment::Entity::insert(conn.stamp_about(tenant, assignment)?)
        .on_conflict(
            PlatformDb::conflict::<plan_assignment::Entity>([plan_assignment::Column::Since])
                .update_column(plan_assignment::Column::Plan)
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// `[from, to)` stretches of the period with the plan in force, in order.
async fn plan_spans(
    records: &TenantRecords,
    ctx: &TenantCtx,
    period: Period,
) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>, String)>> {
    let assignments = records
        .find::<plan_assignment::Entity>()
        .order_by_asc(plan_assignment::Column::Since)
        .all(records)
        .await?;
    // A tenant from before plans were recorded: its current plan covers the
    // whole period.
    if assignments.is_empty() {
        return Ok(vec![(period.start, period.end, ctx.tenant().plan.clone())]);
    }
    // Before its first assignment the tenant did not exist: nothing to rate.
    let assignments = assignments.into_iter().filter(|a| a.since < period.end);
    let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>, String)> = Vec::new();
    for a in assignments {
        let from = a.since.max(period.start);
        if let Some(last) = spans.last_mut() {
            if from <= last.0 {
                // A later assignment at or before the period's start
                // replaces the one before it.
                *last = (from, period.end, a.plan);
                continue;
            }
            last.1 = from;
        }
        spans.push((from, period.end, a.plan));
    }
    Ok(spans)
}

/// Constant-headcount spans over `[from, to)` from the seat changes.
fn seat_spans(
    changes: &[(DateTime<Utc>, i64)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<SeatSpan> {
    let mut spans: Vec<SeatSpan> = Vec::new();
    for (at, seats) in changes {
        let at = (*at).clamp(from, to);
        if at >= to {
            break;
        }
        match spans.last_mut() {
            Some(last) if last.from == at => last.seats = *seats,
            Some(last) if last.seats == *seats => continue,
            Some(last) => {
                last.to = at;
                spans.push(SeatSpan {
                    from: at,
                    to,
                    seats: *seats,
                });
            }
            None => spans.push(SeatSpan {
                from: at,
                to,
                seats: *seats,
            }),
        }
    }
    spans.retain(|s| s.to > s.from);
    spans
}

/// Rates the period from what is stored now: plan history from the catalog,
/// usage and credit from the tenant's plane (`db`).
pub async fn rate_period(
    engine: &Engine,
    ctx: &TenantCtx,
    db: &TenantDb,
    period: Period,
) -> Result<Rated> {
    let policy: std::sync::Arc<Policy> = engine.policy().await?;
    let credits = match accounts::platform_account(db).await? {
        Some(account) => accounts::credit_balance(db, account.id).await?,
        None => 0,
    };
    let records = ctx.records().await?;
    let spans = plan_spans(&records, ctx, period).await?;
    records.commit().await?;
    let mut changes = seat_changes(db, period.start, period.end).await?;
    if changes.is_empty() {
        // A tenant from before seats were recorded: its headcount now.
        let seats = super::platform_usage::seats(db).await? as i64;
        changes.push((period.start, seats));
    }
    let mut segments = Vec::new();
    for (from, to, plan_key) in spans {
        let (plan_name, prices) = match policy.plan(&plan_key) {
            Some(plan) => (plan.name.clone(), plan.prices.clone()),
            None => (plan_key.clone(), Vec::new()),
        };
        let mut usage_totals = BTreeMap::new();
        for price in &prices {
            if let Charge::Usage { meter, .. } = &price.charge {
                let Some(definition) = policy.meters.get(meter) else {
                    continue;
                };
                let total = usage::total(db, definition, from, to).await?;
                usage_totals.insert(meter.clone(), total);
            }
        }
        segments.push(Segment {
            seats: seat_spans(&changes, from, to),
            from,
            to,
            plan_name,
            prices,
            usage: usage_totals,
        });
    }
    Ok(rating::rate(period, &segments, credits))
}

/// The current period's invoice as it stands (usage so far; fees and seats
/// for the whole period).
pub async fn preview(engine: &Engine, ctx: &TenantCtx, now: DateTime<Utc>) -> Result<Rated> {
    let db = ctx.read().await?;
    let rated = rate_period(engine, ctx, &db, Period::containing(now)).await?;
    db.commit().await?;
    Ok(rated)
}

/// Every final invoice of the tenant, newest first.
pub async fn list(ctx: &TenantCtx) -> Result<Vec<invoice::Model>> {
    ctx.run(false, async |db| {
        Ok(invoice::Entity::find()
            .order_by_desc(invoice::Column::PeriodStart)
            .all(db)
            .await?)
    })
    .await
}

/// The tenant's final invoices a page at a time by period, from the `place`
/// the reader stands at; only those in `status` when one is named.
pub async fn page(ctx: &TenantCtx, status: &str, place: &Place) -> Result<Page<invoice::Model>> {
    let status = filter_word("status", status, InvoiceStatus::parse, "open or paid")?;
    let select = invoice::Entity::find().filter(chosen(invoice::Column::Status, status));
    let select = in_time_order(
        select,
        invoice::Column::PeriodStart,
        invoice::Column::Id,
        place,
    )?;
    let rows = ctx.run(false, async |db| Ok(select.all(db).await?)).await?;
    Ok(Page::cut(rows, |r| (r.period_start, r.id)))
}

pub fn lines_of(model: &invoice::Model) -> Vec<Line> {
    serde_json::from_str(&model.lines).unwrap_or_default()
}

/// Finalizes the tenant's invoice for `period` (once: a second call returns
/// the stored one): rated, written and paid from prepaid credit in one
/// transaction of the tenant's plane.
pub async fn finalize(engine: &Engine, ctx: &TenantCtx, period: Period) -> Result<invoice::Model> {
    Ok(finalize_once(engine, ctx, period).await?.0)
}

/// [`finalize`], and whether this call wrote the invoice.
async fn finalize_once(
    engine: &Engine,
    ctx: &TenantCtx,
    period: Period,
) -> Result<(invoice::Model, bool)> {
    let db = ctx.db().await?;
    let of_period = || invoice::Entity::find().filter(invoice::Column::Period.eq(period.label()));
    if let Some(found) = of_period().one(&db).await? {
        db.commit().await?;
        return Ok((found, false));
    }
    let account = accounts::of_tenant(&db).await?;
    let rated = rate_period(engine, ctx, &db, period).await?;
    let now = Utc::now();
    let number = format!(
        "{}-{}",
        period.label(),
        &account.id.simple().to_string()[..8].to_uppercase()
    );
    let inserted = db
        .insert_new(vec![invoice::ActiveModel {
            id: Set(Uuid::now_v7()),
            account: Set(account.id),
            number: Set(number.clone()),
            period: Set(period.label()),
            period_start: Set(period.start),
            period_end: Set(period.end),
            currency: Set(rated.currency.clone()),
            subtotal: Set(rated.subtotal),
            credits_applied: Set(rated.credits_applied),
            total: Set(rated.total),
            lines: Set(serde_json::to_string(&rated.lines).map_err(anyhow::Error::from)?),
            status: Set(if rated.total == 0 {
                InvoiceStatus::Paid
            } else {
                InvoiceStatus::Open
            }
            .as_str()
            .into()),
            created_at: Set(now),
            paid_at: Set((rated.total == 0).then_some(now)),
            paid_by: Set((rated.total == 0).then(|| "nothing due".to_owned())),
            external_id: Set(None),
            ..Default::default()
        }])
        .await?;
    if inserted > 0 {
        accounts::consume_credit(&db, account.id, rated.credits_applied).await?;
        let detail = json!({ "number": number, "total": rated.total, "currency": rated.currency })
            .to_string();
        let event = Raised::audit("invoice.finalized", "billing", &detail);
        relay::raise(&db, event).await?;
    }
    let stored = of_period().one(&db).await?.ok_or(Error::NotFound)?;
    db.commit().await?;
    relay::relay_now(ctx).await;
    Ok((stored, inserted > 0))
}

/// Notes the tenant for the close of the period containing `now` (once its
/// late window has passed).
pub(crate) async fn close_due_after(
    engine: &Engine,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Result<()> {
    directory::work_due_at(engine, Queue::Invoices, tenant, close_of(engine, now)).await
}

/// When the period containing `now` is closed: its end, once its late
/// window has passed.
pub(crate) fn close_of(engine: &Engine, now: DateTime<Utc>) -> DateTime<Utc> {
    let late = Duration::hours(engine.settings().usage_late_hours.into());
    Period::containing(now).end + late
}

/// Finalizes the last period of every tenant whose close is due by `now`
/// (the directory notes each tenant for the close of its current period).
/// Returns how many invoices were written.
pub async fn finalize_due(engine: &Engine, now: DateTime<Utc>) -> Result<usize> {
    let late = Duration::hours(engine.settings().usage_late_hours.into());
    let current = Period::containing(now - late);
    let period = current.previous();
    let next_close = current.end + late;
    directory::visit_due_by(engine, Queue::Invoices, now, 200, |ctx| async move {
        if !matches!(
            ctx.tenant().state,
            crate::tenancy::TenantState::Active | crate::tenancy::TenantState::Suspended
        ) {
            return Ok((0, None));
        }
        // A tenant created after the period has nothing to pay for it.
        let created = tenant::Entity::find_by_id(ctx.id().uuid())
            .one(ctx.engine().platform_tables())
            .await?
            .map(|t| t.created_at);
        if created.is_none_or(|at| at >= period.end) {
            return Ok((0, Some(next_close)));
        }
        let (_, written) = finalize_once(ctx.engine(), &ctx, period).await?;
        Ok((usize::from(written), Some(next_close)))
    })
    .await
}

/// Without a payment provider, a superadmin records that an invoice was paid.
pub async fn mark_paid(
    engine: &Engine,
    tenant: TenantId,
    number: &str,
    actor: &str,
) -> Result<invoice::Model> {
    let ctx = engine.ctx_for(tenant).await?;
    let db = ctx.db().await?;
    let found = invoice::Entity::find()
        .filter(invoice::Column::Number.eq(number))
        .one(&db)
        .await?
        .ok_or(Error::NotFound)?;
    if found.status == InvoiceStatus::Paid.as_str() {
        return Err(Error::conflict("number", "this invoice is already paid"));
    }
    let mut row = found.into_active_model();
    row.status = Set(InvoiceStatus::Paid.as_str().into());
    row.paid_at = Set(Some(Utc::now()));
    row.paid_by = Set(Some(actor.to_owned()));
    let paid = row.update(&db).await?;
    let detail = json!({ "number": number }).to_string();
    relay::raise(&db, Raised::audit("invoice.paid", actor, &detail)).await?;
    let still_open = invoice::Entity::find()
        .filter(invoice::Column::Status.eq(InvoiceStatus::Open.as_str()))
        .one(&db)
        .await?;
    db.commit().await?;
    relay::relay_now(&ctx).await;
    if still_open.is_none() {
        accounts::mark_paid_up(engine, tenant, actor).await?;
    }
    Ok(paid)
}

/// Copies a purged tenant's final invoices for financial retention, in the
/// catalog, before its plane (and, with it, the originals) goes, to be kept
/// `invoice_retention_days` from now. Returns until when, or `None` when
/// the setting is 0 (they go with the tenant). A purge resumed after its
/// plane went finds the copies its first attempt made.
pub(crate) async fn retain(
    engine: &Engine,
    tenant: &TenantRecord,
) -> Result<Option<DateTime<Utc>>> {
    let days = engine.settings().invoice_retention_days;
    if days == 0 {
        return Ok(None);
    }
    let now = Utc::now();
    let until = now + Duration::days(days.into());
    let ctx = engine.ctx(tenant.clone());
    let read = ctx
        .run(false, async |db| {
            Ok(invoice::Entity::find().all(db).await?)
        })
        .await;
    let kept = match read {
        Ok(kept) => kept,
        Err(e) => {
            tracing::warn!(tenant_id = %tenant.id, error = %e, "tenant plane unreadable at purge; keeping the invoices copied before");
            return Ok(Some(until));
        }
    };
    let db = engine.platform(PlatformUse::Records).await?;
    copy_retained(&db, tenant, kept, now, until).await?;
    db.commit().await?;
    Ok(Some(until))
}

async fn copy_retained(
    db: &PlatformDb,
    tenant: &TenantRecord,
    kept: Vec<invoice::Model>,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<()> {
    for invoice in kept {
        let copy = retained_invoice::ActiveModel {
            id: Set(invoice.id),
            slug: Set(tenant.slug.to_string()),
            number: Set(invoice.number),
            period: Set(invoice.period),
            period_start: Set(invoice.period_start),
            period_end: Set(invoice.period_end),
            currency: Set(invoice.currency),
            subtotal: Set(invoice.subtotal),
            credits_applied: Set(invoice.credits_applied),
            total: Set(invoice.total),
            lines: Set(invoice.lines),
            status: Set(invoice.status),
            created_at: Set(invoice.created_at),
            paid_at: Set(invoice.paid_at),
            retained_at: Set(now),
            retain_until: Set(until),
            ..Default::default()
        };
        retained_invoice::Entity::insert(db.stamp_about(tenant.id, copy)?)
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// How many invoices of `tenant` are kept for retention.
pub async fn retained(engine: &Engine, tenant: TenantId) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    engine
        .on_records(tenant, async |records| {
            Ok(records
                .find::<retained_invoice::Entity>()
                .count(records)
                .await?)
        })
        .await
}

/// Removes retained invoices whose retention ended by `now`; returns how
/// many.
pub async fn expire_retained(engine: &Engine, now: DateTime<Utc>) -> Result<u64> {
    engine
        .on_platform(PlatformUse::Maintenance("billing"), async |db| {
            Ok(retained_invoice::Entity::delete_many()
                .filter(retained_invoice::Column::RetainUntil.lte(now))
                .exec(db)
                .await?
                .rows_affected)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn seat_changes_become_spans_of_constant_headcount() {
        let t = |d| {
            Utc.with_ymd_and_hms(2026, 11, d, 0, 0, 0)
                .single()
                .expect("a time")
        };
        let changes = vec![(t(1), 1), (t(5), 2), (t(5), 3), (t(9), 3), (t(20), 2)];
        let spans = seat_spans(&changes, t(2), t(25));
        let seen: Vec<_> = spans.iter().map(|s| (s.from, s.to, s.seats)).collect();
        assert_eq!(
            seen,
            vec![(t(2), t(5), 1), (t(5), t(20), 3), (t(20), t(25), 2)]
        );
        assert!(seat_spans(&[], t(2), t(25)).is_empty());
    }
}
