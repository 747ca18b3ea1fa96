//! The tenant switcher: a person whose address is a member of several
//! tenants sees the others' names and hosts. Each still signs in on its own
//! host; no session crosses tenants.
//!
//! Memberships live in each tenant's plane, so the platform keeps a
//! directory of which tenants an address belongs to (`member_directory`,
//! the address as a SHA-256 digest). A tenant notes and withdraws its own
//! entries through its records (the wall keeps it to them); the switcher
//! reads across tenants through the platform path, for the signed-in
//! member's own address only.
//!
//! Entries are noted when a member is added (by an admin, an invitation, a
//! signup, single sign-on) and again at each sign-in, so one missed by a
//! failure is written the next time; they go when the member is removed,
//! and with their tenant.

use crate::entities::catalog::{member_directory as entry, tenant};
use crate::error::Result;
use crate::tenancy::{Engine, PlatformUse, TenantCtx, TenantState};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use sha2::{Digest, Sha256};

/// Another tenant the same address belongs to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OtherTenant {
    pub name: String,
    /// Where its members sign in.
    pub url: String,
}

fn key_of(email: &str) -> String {
    hex::encode(Sha256::digest(email.trim().to_lowercase().as_bytes()))
}

/// Notes that `email` is a member of `ctx`'s tenant. Best effort: the
/// switcher is a convenience, so a failure is logged, never the caller's.
pub async fn note(ctx: &TenantCtx, email: &str) {
    let key = key_of(email);
    let noted = ctx
        .on_records(async |records| {
            let row = records.stamp(entry::ActiveModel {
                email_key: Set(key.clone()),
                noted_at: Set(chrono::Utc::now()),
                ..Default::default()
            });
            entry::Entity::insert(row)
                .on_conflict_do_nothing()
                .exec_without_returning(records)
                .await?;
            Ok(())
        })
        .await;
    if let Err(e) = noted {
        tracing::warn!(error = %e, "a member could not be noted in the switcher's directory");
    }
}

/// Withdraws `email` from `ctx`'s tenant's entries (the member was removed).
pub async fn forget(ctx: &TenantCtx, email: &str) -> Result<()> {
    let key = key_of(email);
    ctx.on_records(async |records| {
        records
            .delete::<entry::Entity>()
            .filter(entry::Column::EmailKey.eq(key.clone()))
            .exec(records)
            .await?;
        Ok(())
    })
    .await
}

/// The active tenants other than `ctx`'s that `email` belongs to, by name.
pub async fn others(engine: &Engine, ctx: &TenantCtx, email: &str) -> Result<Vec<OtherTenant>> {
    let key = key_of(email);
    let here = ctx.id().uuid();
    let ids: Vec<uuid::Uuid> = engine
        .on_platform(PlatformUse::Directory, async |db| {
            Ok(entry::Entity::find()
                .filter(entry::Column::EmailKey.eq(key.clone()))
                .all(db)
                .await?
                .into_iter()
                .map(|e| e.tenant)
                .filter(|tenant| *tenant != here)
                .collect())
        })
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let tenants = tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(ids))
        .filter(tenant::Column::State.eq(TenantState::Active.as_str()))
        .order_by_asc(tenant::Column::Name)
        .all(engine.platform_tables())
        .await?;
    let mut found = Vec::with_capacity(tenants.len());
    for t in tenants {
        if let Some(crate::tenancy::RequestScope::Tenant(other)) =
            crate::catalog::resolve::by_slug(engine, &t.slug).await?
        {
            found.push(OtherTenant {
                name: other.tenant().branding.display_name.clone(),
                url: other.public_origin(),
            });
        }
    }
    Ok(found)
}
