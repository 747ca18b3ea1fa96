use super::{Engine, Placement, Slug, TenantDb, TenantId, TenantState};
use crate::entities::catalog::tenant;
use crate::entities::tenant::branding;
use crate::error::{Error, Result};

/// A tenant as the gateway resolved it from the catalog.
#[derive(Debug, Clone)]
pub struct TenantRecord {
    pub id: TenantId,
    pub slug: Slug,
    pub name: String,
    pub state: TenantState,
    pub placement: Placement,
    /// The schema or database name of a `schema` / `database` placement on
    /// Postgres.
    pub location: Option<String>,
    /// The PostgreSQL cluster holding its rows (`None`: the home cluster).
    pub cluster: Option<String>,
    /// Read from its plane when the record is loaded (a tenant that is not
    /// live carries the defaults).
    pub branding: branding::Model,
    /// A verified custom domain chosen as the tenant's host: sign-in and
    /// links use it.
    pub primary_host: Option<String>,
    /// The key of the tenant's plan.
    pub plan: String,
    /// Superadmin overrides of the plan's entitlements (expired ones too;
    /// see `crate::plans::overrides`).
    pub overrides: Vec<PlanOverride>,
    /// Since when its account with the platform is past due, if it is.
    pub past_due_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether it has an SSO configuration (its sign-in page offers SSO).
    pub sso_configured: bool,
    /// What requests learned from the tenant's plane while this record is
    /// current (see [`RecordMemo`]).
    pub memo: RecordMemo,
}

/// Values read from a tenant's plane and kept for as long as its record is
/// the current one: a change that raises `Raised::record_changed` makes
/// every instance load a new record, with an empty memo. One value per type;
/// the module that owns a type is the only one that reads or fills it.
#[derive(Clone, Default)]
pub struct RecordMemo(std::sync::Arc<std::sync::Mutex<MemoValues>>);

type MemoValues =
    std::collections::HashMap<std::any::TypeId, std::sync::Arc<dyn std::any::Any + Send + Sync>>;

impl RecordMemo {
    /// This record's `T`, created empty on first use.
    pub fn get<T: Default + Send + Sync + 'static>(&self) -> std::sync::Arc<T> {
        let mut values = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let value = values
            .entry(std::any::TypeId::of::<T>())
            .or_insert_with(|| std::sync::Arc::new(T::default()))
            .clone();
        value
            .downcast::<T>()
            .unwrap_or_else(|_| unreachable!("stored under its own type id"))
    }
}

impl std::fmt::Debug for RecordMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordMemo")
    }
}

impl TenantRecord {
    pub(crate) fn from_models(t: tenant::Model, branding: branding::Model) -> Result<Self> {
        let state = TenantState::parse(&t.state)
            .ok_or_else(|| anyhow::anyhow!("tenant {} has unknown state {:?}", t.id, t.state))?;
        let placement = Placement::parse(&t.placement).ok_or_else(|| {
            anyhow::anyhow!("tenant {} has unknown placement {:?}", t.id, t.placement)
        })?;
        Ok(Self {
            id: TenantId::from_uuid(t.id),
            slug: Slug::parse(&t.slug).map_err(|_| anyhow::anyhow!("stored slug invalid"))?,
            name: t.name,
            state,
            placement,
            location: t.location,
            cluster: t.cluster,
            branding,
            primary_host: None,
            plan: t.plan,
            overrides: Vec::new(),
            past_due_since: None,
            sso_configured: false,
            memo: RecordMemo::default(),
        })
    }
}

/// A superadmin's exception to the tenant's plan, as its record carries it:
/// data only here; `crate::plans` loads, checks and applies it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlanOverride {
    /// The entitlement's key, from the plans' registry.
    pub key: &'static str,
    pub value: serde_json::Value,
    pub reason: String,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl PlanOverride {
    pub fn in_force(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// The tenant a request is running inside. Only the engine makes one, and the
/// only way from it to tenant data is [`TenantCtx::db`].
#[derive(Clone)]
pub struct TenantCtx {
    tenant: std::sync::Arc<TenantRecord>,
    engine: Engine,
}

impl std::fmt::Debug for TenantCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantCtx")
            .field("tenant", &self.tenant.id)
            .finish()
    }
}

impl TenantCtx {
    pub(crate) fn new(tenant: std::sync::Arc<TenantRecord>, engine: Engine) -> Self {
        Self { tenant, engine }
    }

    pub fn tenant(&self) -> &TenantRecord {
        &self.tenant
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The tenant's own address as the platform configures it, never as a
    /// request's `Host` named it: its primary custom domain, else
    /// `<slug>.<base_domain>` (the base domain and `/t/<slug>` under
    /// path-prefix routing); https when cookies are secure; `public_port`
    /// when set. Mailed links start here.
    pub fn public_origin(&self) -> String {
        let settings = self.engine.settings();
        let scheme = if settings.secure_cookies {
            "https"
        } else {
            "http"
        };
        let port = settings
            .public_port
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        let slug = self.tenant.slug.as_str();
        match (&self.tenant.primary_host, settings.path_prefix_routing) {
            (Some(host), _) => format!("{scheme}://{host}{port}"),
            (None, true) => format!("{scheme}://{}{port}/t/{slug}", settings.base_domain),
            (None, false) => format!("{scheme}://{slug}.{}{port}", settings.base_domain),
        }
    }

    pub fn id(&self) -> TenantId {
        self.tenant.id
    }

    /// A read-write transaction bound to this tenant. Commit it to keep
    /// writes. While the tenant moves between placements, it waits for the
    /// short write freeze to end.
    pub async fn db(&self) -> Result<TenantDb> {
        self.engine.begin(&self.tenant, true).await
    }

    /// A read-only transaction bound to this tenant (on Postgres the database
    /// refuses writes in it). Never blocked by a move's write freeze.
    pub async fn read(&self) -> Result<TenantDb> {
        self.engine.begin(&self.tenant, false).await
    }

    /// Ok while the tenant is active: a suspended tenant serves no data and
    /// signs nobody in.
    pub fn ensure_active(&self) -> Result<()> {
        match self.tenant.state {
            TenantState::Active => Ok(()),
            TenantState::Suspended => Err(Error::Suspended),
            TenantState::Pending | TenantState::Deleted => Err(Error::NotFound),
        }
    }

    /// Like [`TenantCtx::db`], but refused while the tenant is not active.
    pub async fn db_for_write(&self) -> Result<TenantDb> {
        self.ensure_active()?;
        self.db().await
    }

    /// Runs `work` in one transaction of this tenant and commits it; with
    /// `writes`, refused while the tenant is not active.
    pub async fn run<T, F>(&self, writes: bool, work: F) -> Result<T>
    where
        F: AsyncFnOnce(&TenantDb) -> Result<T>,
    {
        let db = if writes {
            self.db_for_write().await?
        } else {
            self.read().await?
        };
        let out = work(&db).await?;
        db.commit().await?;
        Ok(out)
    }

    /// Runs `work` in one read-write transaction of this tenant, whatever
    /// its state, and commits it: the platform's own bookkeeping inside the
    /// tenant (delivery and export states, a superadmin's export of a
    /// suspended tenant), never a request of the tenant's people.
    pub async fn run_for_platform<T, F>(&self, work: F) -> Result<T>
    where
        F: AsyncFnOnce(&TenantDb) -> Result<T>,
    {
        let db = self.db().await?;
        let out = work(&db).await?;
        db.commit().await?;
        Ok(out)
    }
}

/// What the gateway resolved a request's host to.
#[derive(Debug, Clone)]
pub enum RequestScope {
    /// The superadmin console host.
    Console,
    /// A tenant's host.
    Tenant(TenantCtx),
    /// The platform's public site on the base host: signup, nothing else.
    /// No tenant and no superadmin is ever signed in here.
    Site,
}

impl RequestScope {
    /// The tenant, or a 404 when the request is not on a tenant host.
    pub fn tenant(&self) -> Result<&TenantCtx> {
        match self {
            RequestScope::Tenant(ctx) => Ok(ctx),
            RequestScope::Console | RequestScope::Site => Err(Error::NotFound),
        }
    }

    /// Ok on the console host, else a 404.
    pub fn console(&self) -> Result<()> {
        match self {
            RequestScope::Console => Ok(()),
            RequestScope::Tenant(_) | RequestScope::Site => Err(Error::NotFound),
        }
    }

    /// Ok on the public site, else a 404.
    pub fn site(&self) -> Result<()> {
        match self {
            RequestScope::Site => Ok(()),
            RequestScope::Tenant(_) | RequestScope::Console => Err(Error::NotFound),
        }
    }

    /// The session scope key: sessions are valid only where they were made.
    pub fn session_key(&self) -> String {
        match self {
            RequestScope::Console => "console".into(),
            RequestScope::Tenant(ctx) => format!("tenant:{}", ctx.id()),
            RequestScope::Site => "site".into(),
        }
    }
}

/// The address the request was made to, as a browser would write it
/// (`https://acme.example.com`, `http://acme.localhost:3000`): the base of
/// links that are mailed out. Set by the gateway from the resolved host, so
/// it always names a host of the request's own tenant (or the console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteOrigin(pub String);
