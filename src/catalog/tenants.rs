//! Tenant lifecycle: create (pending → active), suspend, resume, delete (kept
//! for a grace period, then purged). Every transition writes its platform
//! audit entry and its lifecycle event (the outbox, see [`crate::events`]) in
//! the same transaction as the change.

use crate::audit;
use crate::entities::catalog::tenant;
use crate::entities::tenant::branding as tenant_branding;
use crate::error::{Error, Result};
use crate::events::{outbox, EventKind};
use crate::tenancy::{Engine, Placement, PlatformUse, Slug, TenantId, TenantState};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::json;

mod overview;
mod page;
pub use overview::{overview, Overview, Week, WEEKS};
pub use page::{page, TenantFilters, TenantPage, TenantQuery, TenantSort, MAX_PAGE};

/// Input for a new tenant and its first owner.
#[derive(Debug, Clone, Default)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub admin_email: String,
    pub admin_password: String,
    /// `pool`, `schema` or `database`; empty for the deployment's default.
    pub placement: String,
    /// The region the tenant's data stays in (its cluster is the region's
    /// default); empty for the home cluster's region.
    pub region: String,
    /// Provision ahead and leave it `pending`, to be activated (instantly) on
    /// signup with [`activate`].
    pub pending: bool,
    /// The plan's key; empty for the deployment's default.
    pub plan: String,
}

/// A tenant as callers see it.
#[derive(Debug, Clone, Serialize)]
pub struct TenantSummary {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub state: TenantState,
    pub placement: Placement,
    pub location: Option<String>,
    /// The cluster holding its rows (`None`: the home cluster).
    pub cluster: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The key of the tenant's plan.
    pub plan: String,
}

pub(crate) fn summary(t: tenant::Model) -> Result<TenantSummary> {
    Ok(TenantSummary {
        id: TenantId::from_uuid(t.id),
        state: TenantState::parse(&t.state)
            .ok_or_else(|| anyhow::anyhow!("bad state {:?}", t.state))?,
        placement: Placement::parse(&t.placement)
            .ok_or_else(|| anyhow::anyhow!("bad placement {:?}", t.placement))?,
        slug: t.slug,
        name: t.name,
        location: t.location,
        cluster: t.cluster,
        created_at: t.created_at,
        deleted_at: t.deleted_at,
        plan: t.plan,
    })
}

pub(crate) fn parse_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "is required"));
    }
    if name.chars().count() > 100 {
        return Err(Error::invalid("name", "must be at most 100 characters"));
    }
    Ok(name.to_owned())
}

pub(crate) async fn find_in(conn: &impl ConnectionTrait, slug: &Slug) -> Result<TenantSummary> {
    let t = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.as_str()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    summary(t)
}

/// Tenants (not deleted, unless `state` asks for deleted ones) whose slug or
/// name contains `query`, newest first.
pub async fn list(
    engine: &Engine,
    query: &str,
    state: Option<TenantState>,
) -> Result<Vec<TenantSummary>> {
    let mut select = tenant::Entity::find().order_by_desc(tenant::Column::CreatedAt);
    select = match state {
        Some(state) => select.filter(tenant::Column::State.eq(state.as_str())),
        None => select.filter(tenant::Column::State.ne(TenantState::Deleted.as_str())),
    };
    let query = query.trim().to_lowercase();
    if !query.is_empty() {
        select = select.filter(
            Condition::any()
                .add(tenant::Column::Slug.contains(&query))
                .add(tenant::Column::Name.contains(&query)),
        );
    }
    select
        .all(engine.platform_tables())
        .await?
        .into_iter()
        .map(summary)
        .collect()
}

pub async fn get(
    engine: &Engine,
    raw_slug: &str,
) -> Result<(TenantSummary, tenant_branding::Model)> {
    let slug = Slug::parse(raw_slug).map_err(|_| Error::NotFound)?;
    let t = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.as_str()))
        .one(engine.platform_tables())
        .await?
        .ok_or(Error::NotFound)?;
    let record = engine
        .record_by_id(TenantId::from_uuid(t.id))
        .await?
        .ok_or(Error::NotFound)?;
    Ok((summary(t)?, record.branding))
}

/// A tenant provisioned ahead (`pending`) goes live: one statement, so it is
/// instant whatever its placement.
pub async fn activate(engine: &Engine, slug: &str, actor: &str) -> Result<TenantSummary> {
    transition(
        engine,
        slug,
        &[TenantState::Pending],
        TenantState::Active,
        actor,
        EventKind::Activated,
    )
    .await
}

pub async fn suspend(engine: &Engine, slug: &str, actor: &str) -> Result<TenantSummary> {
    transition(
        engine,
        slug,
        &[TenantState::Active],
        TenantState::Suspended,
        actor,
        EventKind::Suspended,
    )
    .await
}

pub async fn resume(engine: &Engine, slug: &str, actor: &str) -> Result<TenantSummary> {
    transition(
        engine,
        slug,
        &[TenantState::Suspended],
        TenantState::Active,
        actor,
        EventKind::Resumed,
    )
    .await
}

/// Soft-deletes: the tenant disappears from its host at once; its data is kept
/// for the grace period. `confirm` must repeat the slug.
pub async fn delete(
    engine: &Engine,
    slug: &str,
    confirm: &str,
    actor: &str,
) -> Result<TenantSummary> {
    if confirm.trim() != slug {
        return Err(Error::invalid(
            "confirm",
            "type the tenant's slug to confirm deletion",
        ));
    }
    transition(
        engine,
        slug,
        &[
            TenantState::Active,
            TenantState::Suspended,
            TenantState::Pending,
        ],
        TenantState::Deleted,
        actor,
        EventKind::Deleted,
    )
    .await
}

async fn transition(
    engine: &Engine,
    raw_slug: &str,
    from: &[TenantState],
    to: TenantState,
    actor: &str,
    kind: EventKind,
) -> Result<TenantSummary> {
    let slug = Slug::parse(raw_slug).map_err(|_| Error::NotFound)?;
    let txn = engine.platform(PlatformUse::Records).await?;
    let Some(updated) = set_state(&txn, &slug, from, to).await? else {
        drop(txn);
        return Err(refusal(engine, &slug, to).await?);
    };
    let detail = format!("slug={slug}");
    audit::record_in(&txn, actor, kind.as_str(), Some(updated.id), &detail).await?;
    let data = json!({ "state": to.as_str() });
    outbox::append(&txn, updated.id, slug.as_str(), kind, actor, data).await?;
    txn.commit().await?;
    engine.tenant_changed(updated.id);
    engine.events().wake();
    Ok(updated)
}

/// Why a transition did not apply: a missing or deleted tenant is not found;
/// any other state names itself.
async fn refusal(engine: &Engine, slug: &Slug, to: TenantState) -> Result<Error> {
    let current = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.as_str()))
        .one(engine.platform_tables())
        .await?
        .and_then(|t| TenantState::parse(&t.state));
    Ok(match current {
        None | Some(TenantState::Deleted) => Error::NotFound,
        Some(state) => Error::invalid(
            "state",
            format!("a {} tenant cannot become {}", state.as_str(), to.as_str()),
        ),
    })
}

/// Moves the tenant to `state` only if it is in one of `from`, and returns
/// it; `None` when it was not. The check and the write are one statement, so
/// two concurrent transitions cannot both apply (a deleted tenant is never
/// brought back by a late suspend).
pub(crate) async fn set_state(
    conn: &impl ConnectionTrait,
    slug: &Slug,
    from: &[TenantState],
    state: TenantState,
) -> Result<Option<TenantSummary>> {
    let now = chrono::Utc::now();
    let mut update = tenant::Entity::update_many()
        .col_expr(tenant::Column::State, state.as_str().into())
        .col_expr(tenant::Column::UpdatedAt, now.into());
    update = match state {
        TenantState::Suspended => update.col_expr(tenant::Column::SuspendedAt, Some(now).into()),
        TenantState::Active => update.col_expr(
            tenant::Column::SuspendedAt,
            Option::<chrono::DateTime<chrono::Utc>>::None.into(),
        ),
        TenantState::Deleted => update.col_expr(tenant::Column::DeletedAt, Some(now).into()),
        TenantState::Pending => update,
    };
    let result = update
        .filter(tenant::Column::Slug.eq(slug.as_str()))
        .filter(tenant::Column::State.is_in(from.iter().map(|s| s.as_str())))
        .exec(conn)
        .await?;
    if result.rows_affected == 0 {
        return Ok(None);
    }
    find_in(conn, slug).await.map(Some)
}
