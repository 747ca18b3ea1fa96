//! The full tenant record the engine serves from (its catalog row and what
//! the platform keeps about it in the tenant's plane: branding, primary
//! host, plan overrides, billing standing, single sign-on), loaded here for
//! the engine's [`RecordLoader`]: the loader reads across the domains, so it
//! sits above them rather than in the catalog.

use crate::entities::catalog::tenant;
use crate::entities::tenant::branding;
use crate::error::Result;
use crate::tenancy::{
    Engine, RecordFuture, RecordLoader, Slug, TenantId, TenantRecord, TenantState,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Full records read from the catalog and the tenant's plane.
pub(super) struct CatalogRecords;

impl RecordLoader for CatalogRecords {
    fn by_id<'a>(&'a self, engine: &'a Engine, id: TenantId) -> RecordFuture<'a> {
        Box::pin(load_record_by_id(engine, id))
    }
    fn by_slug<'a>(&'a self, engine: &'a Engine, slug: &'a Slug) -> RecordFuture<'a> {
        Box::pin(load_record(engine, slug))
    }
}

/// A tenant's catalog record by slug, in any state.
async fn load_record(engine: &Engine, slug: &Slug) -> Result<Option<TenantRecord>> {
    let found = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.as_str()))
        .one(engine.platform_tables())
        .await?;
    with_branding(engine, found).await
}

/// A tenant's catalog record by id, in any state.
async fn load_record_by_id(engine: &Engine, id: TenantId) -> Result<Option<TenantRecord>> {
    let found = tenant::Entity::find_by_id(id.uuid())
        .one(engine.platform_tables())
        .await?;
    with_branding(engine, found).await
}

async fn with_branding(
    engine: &Engine,
    found: Option<tenant::Model>,
) -> Result<Option<TenantRecord>> {
    let Some(t) = found else {
        return Ok(None);
    };
    let defaults = crate::branding::default_for(t.id, &t.name);
    let mut record = TenantRecord::from_models(t, defaults)?;
    // What its admins manage is in its plane, read for a live tenant only
    // (a pending one may not be provisioned yet; a deleted one serves
    // nothing).
    if matches!(record.state, TenantState::Active | TenantState::Suspended) {
        let plane = engine.read_as_recorded(&record).await?;
        let stored = branding::Entity::find().one(&plane).await?;
        record.primary_host = crate::domains::primary_host(&plane).await?;
        record.overrides = crate::plans::overrides::load(&plane).await?;
        let account = crate::billing::accounts::platform_account(&plane).await?;
        record.past_due_since = account
            .as_ref()
            .and_then(crate::billing::accounts::past_due_since);
        record.sso_configured = crate::identity::sso::config::configured(&plane).await?;
        plane.commit().await?;
        if let Some(stored) = stored {
            record.branding = stored;
        }
    }
    Ok(Some(record))
}
