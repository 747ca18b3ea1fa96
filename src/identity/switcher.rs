//! The tenant switcher: a person whose address is a member of several
//! tenants sees the others' names and hosts. Each still signs in on its own
//! host; no session crosses tenants.
//!
//! Memberships live in each tenant's plane, so the platform keeps a
//! directory of which tenants an address belongs to (`member_directory`,
//! the address as a digest keyed by the platform's key-encryption key, so
//! a copy of the catalog cannot tell whether an address it guesses is a
//! member anywhere). A tenant notes and withdraws its own
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

/// The directory keys an address may be entered under, the one new
/// entries get first: keyed by the current KEK, then by each retired one,
/// then the unkeyed SHA-256 entries were written as before (replaced at the
/// member's next sign-in).
async fn keys_of(engine: &Engine, email: &str) -> Result<Vec<String>> {
    let address = email.trim().to_lowercase();
    let mut keys = engine
        .platform_digests(DIRECTORY_PURPOSE, address.as_bytes())
        .await?;
    keys.push(hex::encode(Sha256::digest(address.as_bytes())));
    Ok(keys)
}

const DIRECTORY_PURPOSE: &str = "member-directory";

/// Notes that `email` is a member of `ctx`'s tenant. Best effort: the
/// switcher is a convenience, so a failure is logged, never the caller's.
pub async fn note(ctx: &TenantCtx, email: &str) {
    let noted = async {
        let keys = keys_of(ctx.engine(), email).await?;
        ctx.on_records(async |records| {
            // Entries under an older key go; the current one is noted.
            records
                .delete::<entry::Entity>()
                .filter(entry::Column::EmailKey.is_in(keys[1..].to_vec()))
                .exec(records)
                .await?;
            let row = records.stamp(entry::ActiveModel {
                email_key: Set(keys[0].clone()),
                noted_at: Set(chrono::Utc::now()),
                ..Default::default()
            });
            entry::Entity::insert(row)
                .on_conflict_do_nothing()
                .exec_without_returning(records)
                .await?;
            Ok(())
        })
        .await
    }
    .await;
    if let Err(e) = noted {
        tracing::warn!(error = %e, "a member could not be noted in the switcher's directory");
    }
}

/// Withdraws `email` from `ctx`'s tenant's entries (the member was removed).
pub async fn forget(ctx: &TenantCtx, email: &str) -> Result<()> {
    let keys = keys_of(ctx.engine(), email).await?;
    ctx.on_records(async |records| {
        records
            .delete::<entry::Entity>()
            .filter(entry::Column::EmailKey.is_in(keys.clone()))
            .exec(records)
            .await?;
        Ok(())
    })
    .await
}

/// The active tenants other than `ctx`'s that `email` belongs to, by name.
pub async fn others(engine: &Engine, ctx: &TenantCtx, email: &str) -> Result<Vec<OtherTenant>> {
    let keys = keys_of(engine, email).await?;
    let here = ctx.id().uuid();
    let ids: Vec<uuid::Uuid> = engine
        .on_platform(PlatformUse::Directory, async |db| {
            Ok(entry::Entity::find()
                .filter(entry::Column::EmailKey.is_in(keys.clone()))
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
