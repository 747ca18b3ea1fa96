//! Tenant lifecycle: create (pending → active), suspend, resume, delete (kept
//! for a grace period, then purged). Every transition writes its platform
//! audit entry and its lifecycle event (the outbox, see [`crate::events`]) in
//! the same transaction as the change.

use super::{audit, resolve};
use crate::entities::catalog::tenant;
use crate::entities::tenant::branding as tenant_branding;
use crate::error::{violated_unique_constraint, Error, Result};
use crate::events::{outbox, EventKind};
use crate::identity::members::{self, HashedMember, NewMember};
use crate::identity::{invitations, Actor, Email, Role};
use crate::tenancy::directory::{self, Queue};
use crate::tenancy::{
    fleet, CatalogScope, Engine, NewPoolTenant, Placement, PlatformUse, Slug, TenantCtx, TenantDb,
    TenantId, TenantRecord, TenantState,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;

/// Input for a new tenant and its first owner.
#[derive(Debug, Clone, Default)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub admin_email: String,
    pub admin_password: String,
    /// `pool`, `schema` or `database`; empty for the deployment's default.
    pub placement: String,
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
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The key of the tenant's plan.
    pub plan: String,
}

fn summary(t: tenant::Model) -> Result<TenantSummary> {
    Ok(TenantSummary {
        id: TenantId::from_uuid(t.id),
        state: TenantState::parse(&t.state)
            .ok_or_else(|| anyhow::anyhow!("bad state {:?}", t.state))?,
        placement: Placement::parse(&t.placement)
            .ok_or_else(|| anyhow::anyhow!("bad placement {:?}", t.placement))?,
        slug: t.slug,
        name: t.name,
        location: t.location,
        created_at: t.created_at,
        deleted_at: t.deleted_at,
        plan: t.plan,
    })
}

fn parse_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "is required"));
    }
    if name.chars().count() > 100 {
        return Err(Error::invalid("name", "must be at most 100 characters"));
    }
    Ok(name.to_owned())
}

/// Creates a tenant, its storage and its first owner (its branding is the
/// default until its admins set one). Without a password, the owner is
/// invited: the tenant starts with a pending invitation of the owner's
/// address (its email queued) instead of an account.
/// All input is validated before anything is written; the password is hashed
/// before any connection is taken. A `pool` tenant on PostgreSQL is written
/// in one transaction (`tenancy::NewPoolTenant`); the placements that need
/// DDL first are written step by step, and if provisioning fails part-way,
/// what was written is removed again.
pub async fn create(engine: &Engine, input: NewTenant, actor: &str) -> Result<TenantSummary> {
    let slug = Slug::parse(&input.slug)?;
    let name = parse_name(&input.name)?;
    let owner = FirstOwner::parse(&input)?;
    let placement = parse_placement(engine, &input.placement).await?;
    let plan = crate::plans::store::existing(engine, "plan", &input.plan).await?;
    if resolve::load_record(engine, &slug).await?.is_some() {
        return Err(Error::conflict("slug", "this slug is already taken"));
    }
    let owner = owner.hashed().await?;
    let id = TenantId::new();
    let now = chrono::Utc::now();
    let state = match input.pending {
        true => TenantState::Pending,
        false => TenantState::Active,
    };
    let row = tenant::ActiveModel {
        id: Set(id.uuid()),
        slug: Set(slug.to_string()),
        name: Set(name),
        state: Set(state.as_str().into()),
        placement: Set(placement.as_str().into()),
        location: Set(engine.location_for(id, placement)),
        created_at: Set(now),
        updated_at: Set(now),
        suspended_at: Set(None),
        deleted_at: Set(None),
        plan: Set(plan),
    };
    let invited = owner.is_invited();
    let created = match engine.begin_pool_creation(id, placement).await? {
        Some(txn) => create_in_one(engine, txn, row, owner, actor).await?,
        None => create_stepwise(engine, row, owner, actor).await?,
    };
    engine.tenant_changed(id);
    engine.events().wake();
    if invited {
        crate::mail::outbox::note_queued(engine, id).await?;
    }
    Ok(created)
}

/// The first owner: a member with a password, or an invited address.
enum FirstOwner<M> {
    Member(M),
    Invited(Email),
}

impl FirstOwner<NewMember> {
    fn parse(input: &NewTenant) -> Result<Self> {
        if input.admin_password.is_empty() {
            return Ok(Self::Invited(Email::parse(
                "admin_email",
                &input.admin_email,
            )?));
        }
        let owner = NewMember::parse(&input.admin_email, "", &input.admin_password, "owner")
            .map_err(|e| rename_field(e, "admin_"))?;
        Ok(Self::Member(owner))
    }

    async fn hashed(self) -> Result<FirstOwner<HashedMember>> {
        Ok(match self {
            Self::Member(m) => FirstOwner::Member(m.hashed().await?),
            Self::Invited(email) => FirstOwner::Invited(email),
        })
    }
}

impl FirstOwner<HashedMember> {
    fn is_invited(&self) -> bool {
        matches!(self, Self::Invited(_))
    }

    /// The tenant's first rows in its plane: the owner (or the owner's
    /// invitation) and its account with the platform (the billing page then
    /// reads, never writes).
    async fn write(self, db: &TenantDb, ctx: &TenantCtx, actor: &str) -> Result<()> {
        match self {
            Self::Member(owner) => {
                members::insert(db, owner).await?;
            }
            Self::Invited(email) => {
                let inviter = Actor {
                    role: Role::Owner,
                    member: None,
                    label: actor.to_owned(),
                };
                invitations::issue(db, ctx, &inviter, &email, Role::Owner).await?;
            }
        }
        db.insert(crate::billing::accounts::new_account()).await?;
        Ok(())
    }
}

/// A `pool` tenant on PostgreSQL: every row, the catalog's and the plane's,
/// in `txn`, with one commit. The summary is built from the inserted row.
async fn create_in_one(
    engine: &Engine,
    txn: NewPoolTenant,
    row: tenant::ActiveModel,
    owner: FirstOwner<HashedMember>,
    actor: &str,
) -> Result<TenantSummary> {
    let inserted = row.insert(&txn).await.map_err(slug_taken)?;
    let record = summary(inserted.clone())?;
    let (id, now) = (record.id, record.created_at);
    crate::billing::invoices::record_plan(&txn, id, &record.plan, now).await?;
    fleet::record_provisioned(&txn, id, record.placement, None).await?;
    let close = crate::billing::invoices::close_of(engine, now);
    directory::note_due_in(&txn, Queue::Invoices, id, close).await?;
    let branding = super::branding::default_for(id.uuid(), &record.name);
    let ctx = engine.ctx(TenantRecord::from_models(inserted, branding)?);
    owner.write(txn.plane(), &ctx, actor).await?;
    record_created(&txn, &record, actor).await?;
    txn.commit().await?;
    Ok(record)
}

/// The other placements: the catalog row (pending), then the storage, then
/// the plane's first rows, then activation; undone if a step fails.
async fn create_stepwise(
    engine: &Engine,
    row: tenant::ActiveModel,
    owner: FirstOwner<HashedMember>,
    actor: &str,
) -> Result<TenantSummary> {
    let pending = row.state.as_ref() == TenantState::Pending.as_str();
    let mut row = row;
    row.state = Set(TenantState::Pending.as_str().into());
    let txn = engine.platform(PlatformUse::Records).await?;
    let inserted = row.insert(&txn).await.map_err(slug_taken)?;
    let record = summary(inserted)?;
    crate::billing::invoices::record_plan(&txn, record.id, &record.plan, record.created_at).await?;
    txn.commit().await?;

    let slug = Slug::parse(&record.slug)?;
    if let Err(e) = provision(engine, &slug, owner, actor).await {
        tracing::error!(tenant_id = %record.id, error = ?e, "provisioning failed; rolling back");
        rollback_creation(engine, &slug).await;
        return Err(e);
    }
    match complete_creation(engine, &slug, pending, actor).await {
        Ok(record) => Ok(record),
        Err(e) => {
            tracing::error!(tenant_id = %record.id, error = ?e, "activation failed; rolling back");
            rollback_creation(engine, &slug).await;
            Err(e)
        }
    }
}

fn slug_taken(e: sea_orm::DbErr) -> Error {
    match violated_unique_constraint(&e).as_deref() {
        Some("tenants_slug_key") => Error::conflict("slug", "this slug is already taken"),
        _ => e.into(),
    }
}

/// The provisioned tenant becomes visible: activated unless it was asked to
/// stay pending, with its audit entry and lifecycle events, in one
/// transaction.
async fn complete_creation(
    engine: &Engine,
    slug: &Slug,
    pending: bool,
    actor: &str,
) -> Result<TenantSummary> {
    let txn = engine.platform(PlatformUse::Records).await?;
    let record = if pending {
        find_in(&txn, slug).await?
    } else {
        set_state(&txn, slug, &[TenantState::Pending], TenantState::Active)
            .await?
            .ok_or_else(|| anyhow::anyhow!("tenant left pending before activation"))?
    };
    record_created(&txn, &record, actor).await?;
    txn.commit().await?;
    Ok(record)
}

/// A new tenant's platform audit entry and `tenant.created` event (and
/// `tenant.activated` unless it stays pending).
async fn record_created(
    conn: &impl CatalogScope,
    record: &TenantSummary,
    actor: &str,
) -> Result<()> {
    let (id, slug, placement) = (record.id, record.slug.as_str(), record.placement.as_str());
    let detail = format!("slug={slug} placement={placement}");
    audit::record_in(conn, actor, "tenant.created", Some(id), &detail).await?;
    let data =
        json!({ "name": record.name, "placement": placement, "state": record.state.as_str() });
    outbox::append(conn, id, slug, EventKind::Created, actor, data).await?;
    if record.state == TenantState::Active {
        let data = json!({ "state": TenantState::Active.as_str() });
        outbox::append(conn, id, slug, EventKind::Activated, actor, data).await?;
    }
    Ok(())
}

async fn find_in(conn: &impl ConnectionTrait, slug: &Slug) -> Result<TenantSummary> {
    let t = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.as_str()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound)?;
    summary(t)
}

async fn provision(
    engine: &Engine,
    slug: &Slug,
    owner: FirstOwner<HashedMember>,
    actor: &str,
) -> Result<()> {
    let record = resolve::load_record(engine, slug)
        .await?
        .ok_or(Error::NotFound)?;
    let location = record.location.clone();
    engine
        .provision(record.id, record.placement, location.as_deref())
        .await?;
    let platform = engine.platform(PlatformUse::Records).await?;
    fleet::record_provisioned(&platform, record.id, record.placement, location.as_deref()).await?;
    platform.commit().await?;
    // The close of its first billing period.
    crate::billing::invoices::close_due_after(engine, record.id, chrono::Utc::now()).await?;
    let ctx = engine.ctx(record);
    let db = ctx.db().await?;
    owner.write(&db, &ctx, actor).await?;
    db.commit().await?;
    Ok(())
}

/// The requested placement, checked against what this deployment can hold
/// before anything is written.
async fn parse_placement(engine: &Engine, raw: &str) -> Result<Placement> {
    if raw.trim().is_empty() {
        return Ok(engine.default_placement());
    }
    let placement = Placement::parse_field(raw, "placement")?;
    if !engine.supports(placement) {
        return Err(Error::invalid(
            "placement",
            "only database (one SQLite file per tenant) is available on the embedded SQLite backend",
        ));
    }
    if placement != Placement::Pool && engine.backend() == crate::config::Backend::Postgres {
        engine.owner_for_ddl().await?;
    }
    Ok(placement)
}

async fn rollback_creation(engine: &Engine, slug: &Slug) {
    let Ok(Some(record)) = resolve::load_record(engine, slug).await else {
        return;
    };
    if let Err(e) = engine.purge(&record).await {
        tracing::error!(tenant_id = %record.id, error = ?e, "rollback: purge failed");
    }
    engine.tenant_changed(record.id);
    if let Err(e) = tenant::Entity::delete_by_id(record.id.uuid())
        .exec(engine.platform_tables())
        .await
    {
        tracing::error!(tenant_id = %record.id, error = ?e, "rollback: catalog delete failed");
    }
}

fn rename_field(err: Error, prefix: &'static str) -> Error {
    let renamed = |field: &'static str| match (prefix, field) {
        ("admin_", "email") => "admin_email",
        ("admin_", "password") => "admin_password",
        (_, other) => other,
    };
    match err {
        Error::Invalid(mut f) => {
            f.field = renamed(f.field);
            Error::Invalid(f)
        }
        other => other,
    }
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

/// The ids of every tenant that is not deleted, oldest first: what the
/// platform's background passes visit.
pub async fn live_ids(engine: &Engine) -> Result<Vec<TenantId>> {
    Ok(tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .filter(tenant::Column::State.ne(TenantState::Deleted.as_str()))
        .order_by_asc(tenant::Column::Id)
        .into_tuple::<uuid::Uuid>()
        .all(engine.platform_tables())
        .await?
        .into_iter()
        .map(TenantId::from_uuid)
        .collect())
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
    let record = resolve::load_record_by_id(engine, TenantId::from_uuid(t.id))
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
async fn set_state(
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
    let record: TenantRecord = resolve::load_record(engine, &slug)
        .await?
        .ok_or(Error::NotFound)?;
    let receipt = super::purge::purge(engine, &record, actor).await?;
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
) -> Result<super::purge::DeletionReceipt> {
    let slug = Slug::parse(raw_slug).map_err(|_| Error::NotFound)?;
    let record = resolve::load_record(engine, &slug)
        .await?
        .ok_or(Error::NotFound)?;
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
    super::purge::purge(engine, &record, actor).await
}
