//! Error policy: every service returns [`Error`]. The variants other than
//! [`Error::Unexpected`] carry only messages that are safe to show to the
//! caller; `Unexpected` keeps the cause chain for the logs and is shown to the
//! caller as a generic failure. Another tenant's row is always
//! [`Error::NotFound`], never a permission error, so that its existence is not
//! revealed. Constraint violations are mapped by constraint name, never by
//! matching message text.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// A rejected input: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A request the tenant's plan does not allow.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanRefusal {
    /// [`PlanRefusal::FEATURE`], [`PlanRefusal::LIMIT`] or [`PlanRefusal::QUOTA`].
    pub code: &'static str,
    /// The entitlement, e.g. `max_projects`.
    pub entitlement: &'static str,
    pub message: String,
}

impl PlanRefusal {
    pub const FEATURE: &'static str = "plan_feature_missing";
    pub const LIMIT: &'static str = "plan_limit_reached";
    pub const QUOTA: &'static str = "quota_exhausted";
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("{}: {}", .0.field, .0.message)]
    Invalid(FieldError),
    #[error("{}: {}", .0.field, .0.message)]
    Conflict(FieldError),
    #[error("sign-in required")]
    Unauthenticated,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("this organisation is suspended")]
    Suspended,
    /// The tenant's plan does not allow this: which entitlement, and a message
    /// that says how to raise it.
    #[error("{}", .0.message)]
    Plan(PlanRefusal),
    /// Sign-in throttled after repeated failures.
    #[error("too many sign-in attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    /// An API key sent more requests than its own limit allows.
    #[error("this API key's rate limit is exceeded; retry in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("unexpected error")]
    Unexpected(#[source] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldError::new(field, message))
    }

    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict(FieldError::new(field, message))
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            message: message.into(),
        }
    }

    /// A stable machine-readable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound => "not_found",
            Error::Invalid(_) => "invalid",
            Error::Conflict(_) => "conflict",
            Error::Unauthenticated => "unauthenticated",
            Error::Forbidden { code, .. } => code,
            Error::Suspended => "tenant_suspended",
            Error::Plan(refusal) => refusal.code,
            Error::TooManyAttempts { .. } => "too_many_attempts",
            Error::RateLimited { .. } => "rate_limited",
            Error::Unexpected(_) => "internal",
        }
    }

    /// The HTTP status that goes with the error.
    pub fn status(&self) -> u16 {
        match self {
            Error::NotFound => 404,
            Error::Invalid(_) => 422,
            Error::Conflict(_) => 409,
            Error::Unauthenticated => 401,
            Error::Forbidden { .. } | Error::Suspended => 403,
            Error::Plan(refusal) if refusal.code == PlanRefusal::QUOTA => 429,
            Error::Plan(_) => 403,
            Error::TooManyAttempts { .. } | Error::RateLimited { .. } => 429,
            Error::Unexpected(_) => 500,
        }
    }

    /// The field the error is about, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid(f) | Error::Conflict(f) => Some(f.field),
            _ => None,
        }
    }

    /// The message that may be shown to the caller (never internals).
    pub fn public_message(&self) -> String {
        match self {
            Error::Unexpected(_) => "something went wrong; please try again".into(),
            Error::Invalid(f) | Error::Conflict(f) => f.message.clone(),
            other => other.to_string(),
        }
    }

    /// What the caller is told, the same way by server functions, the JSON
    /// API and the gateway: status, code, message, the field at fault and
    /// the entitlement that refused the request.
    pub fn public(&self) -> PublicError {
        PublicError {
            status: self.status(),
            code: self.code(),
            message: self.public_message(),
            field: self.field(),
            entitlement: match self {
                Error::Plan(refusal) => Some(refusal.entitlement),
                _ => None,
            },
        }
    }
}

/// An error as a client sees it (see [`Error::public`]); serialised as
/// `{"code", "message", "field"?, "entitlement"?}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublicError {
    #[serde(skip)]
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entitlement: Option<&'static str>,
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        Error::Unexpected(err.into())
    }
}

impl From<anyhow::Error> for Error {
    fn from(err: anyhow::Error) -> Self {
        Error::Unexpected(err)
    }
}

/// The name of the unique constraint an insert or update violated, if that is
/// what happened. Postgres reports the name; SQLite reports the columns, so the
/// SQLite message's column list is mapped back to our constraint names.
pub fn violated_unique_constraint(err: &DbErr) -> Option<String> {
    if !matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        return None;
    }
    let source = match err {
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => e,
        _ => return None,
    };
    let db_error = source.as_database_error()?;
    if let Some(name) = db_error.constraint() {
        return Some(name.to_owned());
    }
    // SQLite: "UNIQUE constraint failed: users.tenant_id, users.email"
    let columns = db_error.message().rsplit(": ").next()?.to_owned();
    SQLITE_UNIQUE_COLUMNS
        .iter()
        .find(|(cols, _)| *cols == columns)
        .map(|(_, name)| (*name).to_owned())
}

/// SQLite names no constraint in its error, only the columns; this maps them.
const SQLITE_UNIQUE_COLUMNS: &[(&str, &str)] = &[
    ("tenants.slug", "tenants_slug_key"),
    ("platform_admins.email", "platform_admins_email_key"),
    ("users.tenant_id, users.email", "users_email_key"),
    (
        "tenant_domains.tenant_id, tenant_domains.hostname",
        "tenant_domains_hostname_key",
    ),
];
