//! Platform superadmins (control plane).

use super::{password, Email};
use crate::audit;
use crate::entities::catalog::platform_admin;
use crate::error::{violated_unique_constraint, Error, Result};
use crate::tenancy::Engine;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Admin {
    pub id: Uuid,
    pub email: String,
}

pub async fn create(
    engine: &Engine,
    email: &str,
    password_raw: &str,
    actor: &str,
) -> Result<Admin> {
    let email = Email::parse("email", email)?;
    password::check_policy("password", password_raw)?;
    let hash = password::hash_blocking(password_raw.to_owned()).await?;
    let row = platform_admin::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.as_str().to_owned()),
        password_hash: Set(hash),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(engine.platform_tables())
    .await
    .map_err(|e| match violated_unique_constraint(&e).as_deref() {
        Some("platform_admins_email_key") => {
            Error::conflict("email", "an admin with this email already exists")
        }
        _ => e.into(),
    })?;
    audit::record(
        engine,
        actor,
        "admin.created",
        None,
        &format!("email={}", row.email),
    )
    .await?;
    Ok(Admin {
        id: row.id,
        email: row.email,
    })
}

/// Generic `Unauthenticated` on any failure, in about the same time.
pub async fn authenticate(
    engine: &Engine,
    email: &str,
    password_attempt: &str,
    client: super::throttle::ClientIp,
) -> Result<Admin> {
    let attempt =
        super::throttle::begin(engine, super::throttle::Realm::Console, email, client).await?;
    let found = match Email::parse("email", email) {
        Ok(email) => {
            platform_admin::Entity::find()
                .filter(platform_admin::Column::Email.eq(email.as_str()))
                .one(engine.platform_tables())
                .await?
        }
        Err(_) => None,
    };
    let stored = found.as_ref().map(|a| a.password_hash.clone());
    if !password::verify_blocking(password_attempt.to_owned(), stored).await {
        attempt.failed().await;
        return Err(Error::Unauthenticated);
    }
    let admin = found.ok_or(Error::Unauthenticated)?;
    Ok(Admin {
        id: admin.id,
        email: admin.email,
    })
}

pub async fn find(engine: &Engine, id: Uuid) -> Result<Option<Admin>> {
    Ok(platform_admin::Entity::find_by_id(id)
        .one(engine.platform_tables())
        .await?
        .map(|a| Admin {
            id: a.id,
            email: a.email,
        }))
}

pub async fn count(engine: &Engine) -> Result<u64> {
    Ok(platform_admin::Entity::find()
        .count(engine.platform_tables())
        .await?)
}

/// Whether `email` is a superadmin's.
pub async fn is_superadmin_email(engine: &Engine, email: &Email) -> Result<bool> {
    Ok(platform_admin::Entity::find()
        .filter(platform_admin::Column::Email.eq(email.as_str()))
        .one(engine.platform_tables())
        .await?
        .is_some())
}
