//! The keyring: each tenant's data keys, wrapped by a KEK, in a database of
//! their own (`[encryption] keyring_url`; by default `<catalog>_keyring` on
//! PostgreSQL, `<data_dir>/keyring.db` on SQLite). Apart from the data on
//! purpose: a backup of the catalog and the tenants' databases holds no key
//! to read their encrypted values with, so destroying a tenant's rows here
//! makes every copy of its data unreadable (crypto-shredding).

use super::super::engine::connect_pool;
use super::super::postgres;
use crate::config::{Backend, Settings};
use crate::error::Result;
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryOrder};
use secrecy::ExposeSecret;

/// One generation of one tenant's data key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub generation: i32,
    /// The id of the KEK that wrapped it.
    pub kek: String,
    /// base64 of the wrapped key.
    pub wrapped: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The keyring database's name on PostgreSQL, by default.
fn default_database(settings: &Settings) -> String {
    format!("{}_keyring", settings.catalog_database())
}

/// Where the runtime reaches the keyring.
fn runtime_url(settings: &Settings) -> String {
    match (&settings.encryption.keyring_url, settings.backend()) {
        (Some(url), _) => url.expose_secret().to_owned(),
        (None, Backend::Postgres) => settings.runtime_url_for(&default_database(settings)),
        (None, Backend::Sqlite) => format!(
            "sqlite://{}/keyring.db?mode=rwc",
            settings.data_dir.display()
        ),
    }
}

fn backend_of(url: &str) -> Backend {
    if url.starts_with("postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

pub(super) async fn connect(settings: &Settings) -> Result<DatabaseConnection> {
    let url = runtime_url(settings);
    if backend_of(&url) == Backend::Sqlite {
        std::fs::create_dir_all(&settings.data_dir).map_err(anyhow::Error::from)?;
    }
    connect_pool(&url, backend_of(&url), 4).await
}

/// Creates the keyring (its database on PostgreSQL when it is the default
/// one, then its table) and lets the runtime role read, add and remove keys.
pub(crate) async fn migrate(settings: &Settings, runtime_role: Option<&str>) -> Result<()> {
    let owner_url = match (&settings.encryption.keyring_url, settings.backend()) {
        (Some(url), _) => url.expose_secret().to_owned(),
        (None, Backend::Postgres) => {
            let database = default_database(settings);
            let server = connect_pool(&settings.owner_url(), Backend::Postgres, 1).await?;
            if !postgres::database_exists(&server, &database).await? {
                postgres::create_database_from_template(&server, &database, "template1").await?;
            }
            server.close().await?;
            settings.owner_url_for(&database)
        }
        (None, Backend::Sqlite) => runtime_url(settings),
    };
    let backend = backend_of(&owner_url);
    if backend == Backend::Sqlite {
        std::fs::create_dir_all(&settings.data_dir).map_err(anyhow::Error::from)?;
    }
    let db = connect_pool(&owner_url, backend, 1).await?;
    let ddl = match backend {
        Backend::Postgres => {
            "CREATE TABLE IF NOT EXISTS tenant_keys (
                tenant uuid NOT NULL, generation integer NOT NULL,
                kek text NOT NULL, wrapped text NOT NULL,
                created_at timestamptz NOT NULL,
                PRIMARY KEY (tenant, generation))"
        }
        Backend::Sqlite => {
            "CREATE TABLE IF NOT EXISTS tenant_keys (
                tenant BLOB NOT NULL, generation INTEGER NOT NULL,
                kek TEXT NOT NULL, wrapped TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (tenant, generation))"
        }
    };
    db.execute_unprepared(ddl).await?;
    if let (Backend::Postgres, Some(role)) = (backend, runtime_role) {
        let role = postgres::quote_ident(role);
        db.execute_unprepared(&format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_keys TO {role}"
        ))
        .await?;
    }
    db.close().await?;
    Ok(())
}

/// Every generation of a tenant's key, oldest first.
pub(super) async fn generations(db: &DatabaseConnection, tenant: Uuid) -> Result<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::Tenant.eq(tenant))
        .order_by_asc(Column::Generation)
        .all(db)
        .await?)
}

/// Adds a generation; false when another process added it first.
pub(super) async fn add(db: &DatabaseConnection, row: Model) -> Result<bool> {
    let inserted = Entity::insert(ActiveModel::from(row))
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await?;
    Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// Destroys the given generations of a tenant's key, or all of them.
pub(super) async fn destroy(
    db: &DatabaseConnection,
    tenant: Uuid,
    generations: Option<&[i32]>,
) -> Result<u64> {
    let mut delete = Entity::delete_many().filter(Column::Tenant.eq(tenant));
    if let Some(generations) = generations {
        delete = delete.filter(Column::Generation.is_in(generations.iter().copied()));
    }
    Ok(delete.exec(db).await?.rows_affected)
}

/// Every key wrapped by another KEK than `current`, for a re-wrap.
pub(super) async fn wrapped_by_others(
    db: &DatabaseConnection,
    current: &str,
) -> Result<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::Kek.ne(current))
        .order_by_asc(Column::Tenant)
        .all(db)
        .await?)
}

/// Replaces one key's wrapping (same key, new KEK).
pub(super) async fn rewrap(
    db: &DatabaseConnection,
    row: &Model,
    kek: &str,
    wrapped: String,
) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Kek, kek.into())
        .col_expr(Column::Wrapped, wrapped.into())
        .filter(Column::Tenant.eq(row.tenant))
        .filter(Column::Generation.eq(row.generation))
        .exec(db)
        .await?;
    Ok(())
}
