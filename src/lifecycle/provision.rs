//! Creating a tenant: the input checked, the password hashed, then one
//! transaction for a `pool` tenant on PostgreSQL (`tenancy::NewPoolTenant`)
//! or, for the placements that need DDL first, step by step with every step
//! undone if a later one fails.

use crate::audit;
use crate::branding;
use crate::catalog::tenants::{find_in, parse_name, set_state, summary, NewTenant, TenantSummary};
use crate::entities::catalog::tenant;
use crate::error::{violated_unique_constraint, Error, Result};
use crate::events::{outbox, EventKind};
use crate::identity::members::{self, HashedMember, NewMember};
use crate::identity::{invitations, verification, Actor, Email, Role};
use crate::tenancy::directory::{self, Queue};
use crate::tenancy::{
    fleet, CatalogScope, Engine, NewPoolTenant, Placement, PlatformUse, Slug, TenantCtx, TenantDb,
    TenantId, TenantRecord, TenantState,
};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

/// Creates a tenant, its storage and its first owner (its branding is the
/// default until its admins set one). Without a password, the owner is
/// invited: the tenant starts with a pending invitation of the owner's
/// address (its email queued) instead of an account.
/// All input is validated before anything is written; the password is hashed
/// before any connection is taken. A `pool` tenant on PostgreSQL is written
/// in one transaction (`tenancy::NewPoolTenant`); the placements that need
/// DDL first take a unit made ahead if one is warm
/// ([`super::warm_units`]), else make theirs, and are written step by
/// step; if provisioning fails part-way, what was written is removed again.
pub async fn create(engine: &Engine, input: NewTenant, actor: &str) -> Result<TenantSummary> {
    // Fields in the order the forms show them: slug and name, then owner.
    Slug::parse(&input.slug)?;
    parse_name(&input.name)?;
    let owner = FirstOwner::parse(&input)?;
    let planned = Planned::parse(engine, &input, None).await?;
    create_planned(engine, planned, owner, actor).await
}

/// A self-serve signup's tenant: `pending` until its owner confirms their
/// address (the confirmation link is mailed in the same transaction as the
/// owner), lapsing at `expires_at` otherwise.
pub(crate) async fn create_for_signup(
    engine: &Engine,
    input: NewTenant,
    expires_at: chrono::DateTime<chrono::Utc>,
    actor: &str,
) -> Result<TenantSummary> {
    Slug::parse(&input.slug)?;
    parse_name(&input.name)?;
    let owner = match FirstOwner::parse(&input)? {
        FirstOwner::Member(member) => FirstOwner::Confirming(member),
        other => other,
    };
    let planned = Planned::parse(engine, &input, Some(expires_at)).await?;
    create_planned(engine, planned, owner, actor).await
}

/// A new tenant's checked input.
struct Planned {
    slug: Slug,
    name: String,
    placement: Placement,
    /// `None`: the home cluster.
    cluster: Option<String>,
    plan: String,
    state: TenantState,
    signup_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Planned {
    async fn parse(
        engine: &Engine,
        input: &NewTenant,
        signup_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Self> {
        let pending = input.pending || signup_expires_at.is_some();
        Ok(Self {
            slug: Slug::parse(&input.slug)?,
            name: parse_name(&input.name)?,
            placement: parse_placement(engine, &input.placement).await?,
            cluster: parse_region(engine, &input.region)?,
            plan: crate::plans::store::existing(engine, "plan", &input.plan).await?,
            state: match pending {
                true => TenantState::Pending,
                false => TenantState::Active,
            },
            signup_expires_at,
        })
    }

    /// The catalog row, under `id` in `location`.
    fn row(&self, id: TenantId, location: Option<String>) -> tenant::ActiveModel {
        let now = chrono::Utc::now();
        tenant::ActiveModel {
            id: Set(id.uuid()),
            slug: Set(self.slug.to_string()),
            name: Set(self.name.clone()),
            state: Set(self.state.as_str().into()),
            placement: Set(self.placement.as_str().into()),
            location: Set(location),
            created_at: Set(now),
            updated_at: Set(now),
            suspended_at: Set(None),
            deleted_at: Set(None),
            plan: Set(self.plan.clone()),
            signup_expires_at: Set(self.signup_expires_at),
            cluster: Set(self.cluster.clone()),
        }
    }
}

async fn create_planned(
    engine: &Engine,
    planned: Planned,
    owner: FirstOwner<NewMember>,
    actor: &str,
) -> Result<TenantSummary> {
    // The catalog's unique constraint refuses a taken slug in any case;
    // reading it first only spares a password's hash (about 30 ms of CPU).
    if !owner.is_invited() && engine.record_by_slug(&planned.slug).await?.is_some() {
        return Err(Error::conflict("slug", "this slug is already taken"));
    }
    let owner = owner.hashed().await?;
    let mails = owner.mails();
    let id = TenantId::new();
    // A pool tenant's catalog row and first rows share one transaction on
    // the home cluster only; on another, every placement goes step by step.
    let in_one = match planned.cluster {
        None => engine.begin_pool_creation(id, planned.placement).await?,
        Some(_) => None,
    };
    let created = match in_one {
        Some(txn) => {
            let row = planned.row(id, engine.location_for(id, planned.placement));
            create_in_one(engine, txn, row, owner, actor).await?
        }
        None => create_stepwise(engine, &planned, owner, actor).await?,
    };
    engine.tenant_changed(created.id);
    engine.events().wake();
    if mails {
        crate::mail::outbox::note_queued(engine, created.id).await?;
    }
    Ok(created)
}

/// The first owner: a member with a password, an invited address, or (a
/// signup) a member whose address the confirmation link proves.
enum FirstOwner<M> {
    Member(M),
    Invited(Email),
    Confirming(M),
}

impl<M> FirstOwner<M> {
    fn is_invited(&self) -> bool {
        matches!(self, Self::Invited(_))
    }

    /// Whether writing this owner queues a mail.
    fn mails(&self) -> bool {
        !matches!(self, Self::Member(_))
    }
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
            Self::Confirming(m) => FirstOwner::Confirming(m.hashed().await?),
        })
    }
}

impl FirstOwner<HashedMember> {
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
            Self::Confirming(owner) => {
                let owner = members::insert(db, owner).await?;
                verification::write_signup_confirmation(db, ctx, &owner).await?;
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
    fleet::record_provisioned(&txn, id, record.placement, None, None).await?;
    let close = crate::billing::invoices::close_of(engine, now);
    directory::note_due_in(&txn, Queue::Invoices, id, close).await?;
    let branding = branding::default_for(id.uuid(), &record.name);
    let ctx = engine.ctx(TenantRecord::from_models(inserted, branding)?);
    owner.write(txn.plane(), &ctx, actor).await?;
    record_created(&txn, &record, actor).await?;
    txn.commit().await?;
    Ok(record)
}

/// The other placements: the catalog row (pending), then the storage, then
/// the plane's first rows, then activation unless it is to stay `pending`;
/// undone if a step fails.
async fn create_stepwise(
    engine: &Engine,
    planned: &Planned,
    owner: FirstOwner<HashedMember>,
    actor: &str,
) -> Result<TenantSummary> {
    let (record, unit_ready) = insert_pending(engine, planned).await?;
    let slug = Slug::parse(&record.slug)?;
    if unit_ready {
        super::warm_units::refill_soon(engine);
    }
    if let Err(e) = provision(engine, &slug, owner, unit_ready, actor).await {
        tracing::error!(tenant_id = %record.id, error = ?e, "provisioning failed; rolling back");
        rollback_creation(engine, &slug).await;
        return Err(e);
    }
    let pending = planned.state == TenantState::Pending;
    match complete_creation(engine, &slug, pending, actor).await {
        Ok(record) => Ok(record),
        Err(e) => {
            tracing::error!(tenant_id = %record.id, error = ?e, "activation failed; rolling back");
            rollback_creation(engine, &slug).await;
            Err(e)
        }
    }
}

/// The catalog row, `pending` while its unit is readied, with its plan's
/// history; under a warm unit's id when one is taken in the same
/// transaction (then whether one was).
async fn insert_pending(engine: &Engine, planned: &Planned) -> Result<(TenantSummary, bool)> {
    // Another creation may take the unit picked here first; the next pick
    // then finds another or none.
    for _ in 0..3 {
        // Warm units are made on the home cluster.
        let unit = match planned.cluster {
            None => super::warm_units::pick(engine, planned.placement).await?,
            Some(_) => None,
        };
        let (id, location) = match &unit {
            Some(unit) => (unit.id, unit.location.clone()),
            None => {
                let id = TenantId::new();
                (id, engine.location_for(id, planned.placement))
            }
        };
        let mut row = planned.row(id, location);
        row.state = Set(TenantState::Pending.as_str().into());
        let txn = engine.platform(PlatformUse::Records).await?;
        if let Some(unit) = &unit {
            if !super::warm_units::take(&txn, unit).await? {
                continue;
            }
        }
        let inserted = row.insert(&txn).await.map_err(slug_taken)?;
        let record = summary(inserted)?;
        crate::billing::invoices::record_plan(&txn, record.id, &record.plan, record.created_at)
            .await?;
        txn.commit().await?;
        return Ok((record, unit.is_some()));
    }
    Err(anyhow::anyhow!("warm units: three picks were taken by other creations").into())
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
    let mut events = vec![(
        EventKind::Created,
        json!({ "name": record.name, "placement": placement, "state": record.state.as_str() }),
    )];
    if record.state == TenantState::Active {
        let data = json!({ "state": TenantState::Active.as_str() });
        events.push((EventKind::Activated, data));
    }
    // One statement for both.
    outbox::append_many(conn, id, slug, actor, events).await?;
    Ok(())
}

/// Readies the pending tenant's unit (made here unless `unit_ready`, a warm
/// one taken), records its version, and writes its first rows.
async fn provision(
    engine: &Engine,
    slug: &Slug,
    owner: FirstOwner<HashedMember>,
    unit_ready: bool,
    actor: &str,
) -> Result<()> {
    let record = engine.record_by_slug(slug).await?.ok_or(Error::NotFound)?;
    let location = record.location.clone();
    if !unit_ready {
        engine
            .provision(
                record.id,
                record.placement,
                location.as_deref(),
                record.cluster.as_deref(),
            )
            .await?;
    }
    let platform = engine.platform(PlatformUse::Records).await?;
    fleet::record_provisioned(
        &platform,
        record.id,
        record.placement,
        location.as_deref(),
        record.cluster.as_deref(),
    )
    .await?;
    platform.commit().await?;
    // The close of its first billing period.
    crate::billing::invoices::close_due_after(engine, record.id, chrono::Utc::now()).await?;
    let ctx = engine.ctx(record);
    let db = ctx.db().await?;
    owner.write(&db, &ctx, actor).await?;
    db.commit().await?;
    Ok(())
}

/// The cluster of the requested region: `None` (the home cluster) for an
/// empty one or the home cluster's own.
fn parse_region(engine: &Engine, raw: &str) -> Result<Option<String>> {
    let region = raw.trim();
    if region.is_empty() {
        return Ok(None);
    }
    engine.clusters().default_for(region)
}

/// The requested placement, checked against what this deployment can hold
/// before anything is written.
async fn parse_placement(engine: &Engine, raw: &str) -> Result<Placement> {
    if raw.trim().is_empty() {
        return Ok(engine.default_placement());
    }
    let placement = crate::tenancy::parse_placement(raw, "placement")?;
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

pub(super) async fn rollback_creation(engine: &Engine, slug: &Slug) {
    let Ok(Some(record)) = engine.record_by_slug(slug).await else {
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
