//! Sessions: a tower-sessions store in the catalog database, and the typed
//! view of what we keep in a session. A session is bound to the scope (the
//! console, or one tenant) it was signed in on; on any other host it reads as
//! anonymous, even if someone carries the cookie there by hand.
//!
//! A session expires after [`IDLE_DAYS`] without use. Its expiry moves
//! forward only when it is saved, so reading the signed-in subject also
//! "touches" the session when the last touch is more than [`TOUCH_EVERY_SECS`]
//! old: at most one write every few minutes per session, not one per request.
//!
//! Each signed-in session has a public handle (a random id, never the cookie's
//! secret id): platform tokens issued from the session name it and stop
//! working as soon as the session ends.

use crate::entities::catalog::session as row;
use crate::tenancy::{Engine, RequestScope};
use sea_orm::sea_query::{ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::Session;
use uuid::Uuid;

mod cache;
mod second_factor;
pub use cache::SessionCache;
pub use second_factor::{
    await_second_factor, complete_second_factor, factor_is_fresh, mark_factor, pending_sign_in,
    PendingSignIn,
};

const AUTH_KEY: &str = "auth";

/// How long a session lasts without being used.
pub const IDLE_DAYS: i64 = 7;
/// How often, at most, a session in use is written to move its expiry.
pub const TOUCH_EVERY_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionAuth {
    /// [`RequestScope::session_key`] of the host it was created on.
    scope: String,
    subject: Uuid,
    /// Set when a superadmin acts as `subject` (the impersonation's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    impersonation: Option<Uuid>,
    /// The session's public handle (see the module's note). Sessions signed
    /// in before handles existed get one when a token is first asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    handle: Option<Uuid>,
    /// When the session was last written because it was used (unix seconds).
    #[serde(default)]
    touched: i64,
    /// When it was signed in (unix seconds; 0 for sessions older than this).
    #[serde(default)]
    since: i64,
    /// Where it was signed in from, for its owner's list of sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    /// When a second factor was last proven in this session (unix seconds;
    /// 0: never). Impersonation and other sensitive acts ask for a recent one.
    #[serde(default)]
    factor_at: i64,
}

/// Where a sign-in comes from: the browser's own description and the
/// client's address, kept with the session so that its owner can tell their
/// sessions apart.
#[derive(Debug, Clone, Default)]
pub struct Arrival {
    pub device: Option<String>,
    pub address: Option<String>,
}

/// The longest device description kept (a User-Agent can be kilobytes).
const DEVICE_MAX_CHARS: usize = 200;

impl Arrival {
    pub fn new(user_agent: Option<&str>, address: Option<std::net::IpAddr>) -> Self {
        let device = user_agent
            .map(|ua| ua.trim().chars().take(DEVICE_MAX_CHARS).collect::<String>())
            .filter(|ua| !ua.is_empty());
        Self {
            device,
            address: address.map(|ip| ip.to_string()),
        }
    }
}

/// One of a person's sessions on one scope, as their account page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveSession {
    /// Its public handle: what revoking names (never the cookie's id).
    pub handle: Uuid,
    pub device: Option<String>,
    pub address: Option<String>,
    pub signed_in_at: Option<chrono::DateTime<chrono::Utc>>,
    /// To within [`TOUCH_EVERY_SECS`].
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The session the list was asked from.
    pub current: bool,
}

/// The signed-in session a platform token is issued from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIn {
    pub subject: Uuid,
    pub handle: Uuid,
    pub impersonation: Option<Uuid>,
}

/// Signs `subject` in on this scope, with a fresh session id (no fixation).
pub async fn sign_in(
    session: &Session,
    scope: &RequestScope,
    subject: Uuid,
    arrival: Arrival,
) -> anyhow::Result<()> {
    start(session, scope, subject, None, arrival, 0).await
}

/// Signs `subject` in on this scope on behalf of a superadmin: the session
/// names the impersonation, which the gateway checks on every request.
pub async fn sign_in_impersonating(
    session: &Session,
    scope: &RequestScope,
    subject: Uuid,
    impersonation: Uuid,
) -> anyhow::Result<()> {
    start(
        session,
        scope,
        subject,
        Some(impersonation),
        Arrival::default(),
        0,
    )
    .await
}

async fn start(
    session: &Session,
    scope: &RequestScope,
    subject: Uuid,
    impersonation: Option<Uuid>,
    arrival: Arrival,
    factor_at: i64,
) -> anyhow::Result<()> {
    session.cycle_id().await?;
    session
        .insert(
            AUTH_KEY,
            SessionAuth {
                scope: scope.session_key(),
                subject,
                impersonation,
                handle: Some(Uuid::new_v4()),
                touched: now(),
                since: now(),
                device: arrival.device,
                address: arrival.address,
                factor_at,
            },
        )
        .await?;
    Ok(())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// This scope's sign-in, touched when it is due (see the module's note).
async fn auth_on(session: &Session, scope: &RequestScope) -> Option<SessionAuth> {
    let mut auth: SessionAuth = session.get(AUTH_KEY).await.ok().flatten()?;
    if auth.scope != scope.session_key() {
        return None;
    }
    if now() - auth.touched >= TOUCH_EVERY_SECS {
        auth.touched = now();
        // A changed value marks the session modified, so the layer saves it
        // with a fresh inactivity expiry (and re-sends the cookie).
        if let Err(e) = session.insert(AUTH_KEY, &auth).await {
            tracing::warn!(error = %e, "a session in use could not be touched");
        }
    }
    Some(auth)
}

/// The sign-in a token may be issued from, giving the session a handle if it
/// has none yet.
pub async fn signed_in(session: &Session, scope: &RequestScope) -> Option<SignedIn> {
    let mut auth = auth_on(session, scope).await?;
    let handle = match auth.handle {
        Some(handle) => handle,
        None => {
            let handle = Uuid::new_v4();
            auth.handle = Some(handle);
            // Saved by the session layer before the response (and the
            // token in it) leaves.
            session.insert(AUTH_KEY, &auth).await.ok()?;
            handle
        }
    };
    Some(SignedIn {
        subject: auth.subject,
        handle,
        impersonation: auth.impersonation,
    })
}

/// Whether the session with this handle is still signed in as `subject` on
/// `scope`: it has not been signed out, revoked or left to expire.
pub async fn is_live(
    engine: &Engine,
    scope: &RequestScope,
    subject: Uuid,
    handle: Uuid,
) -> crate::Result<bool> {
    let found = row::Entity::find()
        .filter(row::Column::Handle.eq(handle))
        .filter(row::Column::Scope.eq(scope.session_key()))
        .filter(row::Column::Subject.eq(subject))
        .filter(row::Column::ExpiresAt.gt(chrono::Utc::now()))
        .one(engine.platform_tables())
        .await?;
    Ok(found.is_some())
}

/// The impersonation this session on this scope belongs to, if any.
pub async fn impersonation(session: &Session, scope: &RequestScope) -> Option<Uuid> {
    auth_on(session, scope).await?.impersonation
}

/// Who is signed in on this scope, if anyone.
pub async fn subject(session: &Session, scope: &RequestScope) -> Option<Uuid> {
    Some(auth_on(session, scope).await?.subject)
}

pub async fn sign_out(session: &Session) -> anyhow::Result<()> {
    session.flush().await?;
    Ok(())
}

/// Ends every session of `subject` on `scope` (after a password reset, or
/// when a member is removed); returns how many there were.
pub async fn revoke_all(
    engine: &Engine,
    scope: &RequestScope,
    subject: Uuid,
) -> crate::Result<u64> {
    let res = row::Entity::delete_many()
        .filter(row::Column::Scope.eq(scope.session_key()))
        .filter(row::Column::Subject.eq(subject))
        .exec(engine.platform_tables())
        .await?;
    engine.session_cache().forget_subject(subject);
    Ok(res.rows_affected)
}

/// Every live session of `subject` on `scope`, newest first; `current` is
/// the handle of the session asking.
pub async fn list(
    engine: &Engine,
    scope: &RequestScope,
    subject: Uuid,
    current: Option<Uuid>,
) -> crate::Result<Vec<ActiveSession>> {
    let rows = row::Entity::find()
        .filter(row::Column::Scope.eq(scope.session_key()))
        .filter(row::Column::Subject.eq(subject))
        .filter(row::Column::ExpiresAt.gt(chrono::Utc::now()))
        .all(engine.platform_tables())
        .await?;
    let at = |secs: i64| chrono::DateTime::from_timestamp(secs, 0).filter(|_| secs > 0);
    let mut sessions: Vec<ActiveSession> = rows
        .iter()
        .filter_map(|row| {
            let record: Record = serde_json::from_str(&row.data).ok()?;
            let auth: SessionAuth =
                serde_json::from_value(record.data.get(AUTH_KEY)?.clone()).ok()?;
            // A support session is the superadmin's, not the member's.
            if auth.impersonation.is_some() {
                return None;
            }
            let handle = row.handle.or(auth.handle)?;
            Some(ActiveSession {
                handle,
                device: auth.device,
                address: auth.address,
                signed_in_at: at(auth.since),
                last_used_at: at(auth.touched),
                current: Some(handle) == current,
            })
        })
        .collect();
    sessions.sort_by_key(|s| std::cmp::Reverse(s.last_used_at));
    Ok(sessions)
}

/// Ends `subject`'s session `handle` on `scope`; anyone else's (or one gone
/// already) is not found.
pub async fn revoke(
    engine: &Engine,
    scope: &RequestScope,
    subject: Uuid,
    handle: Uuid,
) -> crate::Result<()> {
    let res = row::Entity::delete_many()
        .filter(row::Column::Scope.eq(scope.session_key()))
        .filter(row::Column::Subject.eq(subject))
        .filter(row::Column::Handle.eq(handle))
        .exec(engine.platform_tables())
        .await?;
    engine.session_cache().forget_subject(subject);
    match res.rows_affected {
        0 => Err(crate::Error::NotFound),
        _ => Ok(()),
    }
}

/// Ends every session of `subject` on `scope` but `keep` (after a password
/// change); returns how many ended.
pub async fn revoke_others(
    engine: &Engine,
    scope: &RequestScope,
    subject: Uuid,
    keep: Uuid,
) -> crate::Result<u64> {
    let res = row::Entity::delete_many()
        .filter(row::Column::Scope.eq(scope.session_key()))
        .filter(row::Column::Subject.eq(subject))
        .filter(
            row::Column::Handle
                .ne(keep)
                .or(row::Column::Handle.is_null()),
        )
        .exec(engine.platform_tables())
        .await?;
    engine.session_cache().forget_subject(subject);
    Ok(res.rows_affected)
}

/// Session records as JSON rows in the catalog's `sessions` table.
#[derive(Clone)]
pub struct CatalogSessionStore {
    engine: Engine,
}

impl std::fmt::Debug for CatalogSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CatalogSessionStore")
    }
}

impl CatalogSessionStore {
    pub fn new(engine: Engine) -> Self {
        Self { engine }
    }

    /// Deletes expired sessions; returns how many.
    pub async fn delete_expired(&self) -> crate::Result<u64> {
        let res = row::Entity::delete_many()
            .filter(row::Column::ExpiresAt.lt(chrono::Utc::now()))
            .exec(self.engine.platform_tables())
            .await?;
        Ok(res.rows_affected)
    }

    fn cache(&self) -> &SessionCache {
        self.engine.session_cache()
    }

    fn to_row(record: &Record) -> session_store::Result<row::ActiveModel> {
        let data = serde_json::to_string(record)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let expires = chrono::DateTime::from_timestamp(record.expiry_date.unix_timestamp(), 0)
            .ok_or_else(|| session_store::Error::Encode("expiry out of range".into()))?;
        let auth = record
            .data
            .get(AUTH_KEY)
            .and_then(|v| serde_json::from_value::<SessionAuth>(v.clone()).ok());
        Ok(row::ActiveModel {
            id: Set(record.id.to_string()),
            data: Set(data),
            expires_at: Set(expires),
            scope: Set(auth.as_ref().map(|a| a.scope.clone())),
            subject: Set(auth.as_ref().map(|a| a.subject)),
            handle: Set(auth.and_then(|a| a.handle)),
        })
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for CatalogSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Retry with a new id on the (astronomically unlikely) collision.
        for _ in 0..4 {
            let inserted = row::Entity::insert(Self::to_row(record)?)
                .on_conflict(OnConflict::column(row::Column::Id).do_nothing().to_owned())
                .exec_without_returning(self.engine.platform_tables())
                .await
                .map_err(backend)?;
            // A new id: nothing is held for it, so nothing to evict.
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(backend("could not allocate a session id"))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        row::Entity::insert(Self::to_row(record)?)
            .on_conflict(
                OnConflict::column(row::Column::Id)
                    .update_columns([
                        row::Column::Data,
                        row::Column::ExpiresAt,
                        row::Column::Scope,
                        row::Column::Subject,
                        row::Column::Handle,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(self.engine.platform_tables())
            .await
            .map_err(backend)?;
        self.cache().forget(&record.id);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(held) = self.cache().get(id) {
            return Ok(Some(held));
        }
        let generation = self.cache().generation();
        let found = row::Entity::find_by_id(id.to_string())
            .filter(row::Column::ExpiresAt.gt(chrono::Utc::now()))
            .one(self.engine.platform_tables())
            .await
            .map_err(backend)?;
        let Some(found) = found else {
            return Ok(None);
        };
        let record: Record = serde_json::from_str(&found.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        // Held under the id it was asked for: a row whose data names another
        // id is not served from memory.
        if record.id == *id {
            self.cache().put(&record, found.subject, generation);
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        row::Entity::delete_by_id(id.to_string())
            .exec(self.engine.platform_tables())
            .await
            .map_err(backend)?;
        self.cache().forget(id);
        Ok(())
    }
}
