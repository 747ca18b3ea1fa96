//! Opening a connection pool, with errors that never repeat the URL's
//! credentials.

use crate::config::Backend;
use crate::error::Result;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use std::time::Duration;

pub(in crate::tenancy) async fn connect_pool(
    url: &str,
    backend: Backend,
    size: u32,
) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(match backend {
            Backend::Postgres => size.max(1),
            Backend::Sqlite => size.clamp(1, 4),
        })
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let conn = Database::connect(crate::tenancy::pools::tuned(&mut options))
        .await
        .map_err(|e| connect_error(e, url))?;
    if backend == Backend::Sqlite {
        conn.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    }
    Ok(conn)
}

/// A connection failure that never repeats the URL's credentials: SeaORM puts
/// the whole connection string in some of its errors.
fn connect_error(err: sea_orm::DbErr, url: &str) -> crate::Error {
    let message = err.to_string();
    let credentials = url
        .split_once("://")
        .and_then(|(_, rest)| rest.rsplit_once('@'))
        .map(|(creds, _)| creds);
    let leaks =
        message.contains(url) || credentials.is_some_and(|c| !c.is_empty() && message.contains(c));
    let detail = if leaks {
        "the database URL is invalid".to_owned()
    } else {
        message
    };
    anyhow::anyhow!(
        "cannot connect to the database at {}: {detail}",
        redacted(url)
    )
    .into()
}

/// `scheme://user:secret@host/db?opts` → `scheme://host/db`.
fn redacted(url: &str) -> String {
    let without_query = url.split('?').next().unwrap_or_default();
    match without_query.split_once("://") {
        Some((scheme, rest)) => {
            let location = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{location}")
        }
        None => "(unparseable URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_errors_never_repeat_credentials() {
        assert_eq!(
            redacted("postgres://app:s3cret@db:5432/x?password=p"),
            "postgres://db:5432/x"
        );
        let err = sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(
            "The connection string 'postgres://app:pa#ss@db/x' cannot be parsed".into(),
        ));
        let shown = format!(
            "{:#}",
            anyhow::Error::from(connect_error(err, "postgres://app:pa#ss@db/x"))
        );
        assert!(!shown.contains("pa#ss"), "{shown}");
        assert!(shown.contains("postgres://db/x"), "{shown}");
    }
}
