//! The step between a right password and a session, for people with a
//! second factor (or who must set one up): the session holds who proved
//! their password, on which host and until when, but signs nobody in. Only
//! a right code (or a first code of a new factor) completes the sign-in,
//! with a fresh session id. And the age of the last code proven in a
//! session, which sensitive acts ask to be recent.

use super::{auth_on, now, start, Arrival, AUTH_KEY};
use crate::tenancy::RequestScope;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

const PENDING_KEY: &str = "pending_sign_in";
/// How long after the password the code may come.
const PENDING_SECS: i64 = 5 * 60;

/// A sign-in waiting for its second factor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    scope: String,
    pub subject: Uuid,
    pub email: String,
    /// The person has no factor yet and must set one up first.
    pub must_enrol: bool,
    until: i64,
    device: Option<String>,
    address: Option<String>,
}

/// Records a right password for `subject` that still needs a code; any
/// earlier sign-in of this session ends.
pub async fn await_second_factor(
    session: &Session,
    scope: &RequestScope,
    subject: Uuid,
    email: &str,
    must_enrol: bool,
    arrival: Arrival,
) -> anyhow::Result<()> {
    session.cycle_id().await?;
    session.remove_value(AUTH_KEY).await?;
    session
        .insert(
            PENDING_KEY,
            PendingSignIn {
                scope: scope.session_key(),
                subject,
                email: email.to_owned(),
                must_enrol,
                until: now() + PENDING_SECS,
                device: arrival.device,
                address: arrival.address,
            },
        )
        .await?;
    Ok(())
}

/// The sign-in waiting on this host for a code, unless it has lapsed.
pub async fn pending_sign_in(session: &Session, scope: &RequestScope) -> Option<PendingSignIn> {
    let pending: PendingSignIn = session.get(PENDING_KEY).await.ok().flatten()?;
    (pending.scope == scope.session_key() && pending.until >= now()).then_some(pending)
}

/// Signs the pending person in, their second factor just proven.
pub async fn complete_second_factor(
    session: &Session,
    scope: &RequestScope,
    pending: PendingSignIn,
) -> anyhow::Result<()> {
    session.remove_value(PENDING_KEY).await?;
    let arrival = Arrival {
        device: pending.device,
        address: pending.address,
    };
    start(session, scope, pending.subject, None, arrival, now()).await
}

/// Notes that the signed-in person just proved their second factor again.
pub async fn mark_factor(session: &Session, scope: &RequestScope) -> anyhow::Result<()> {
    let mut auth = auth_on(session, scope)
        .await
        .ok_or_else(|| anyhow::anyhow!("nobody is signed in"))?;
    auth.factor_at = now();
    session.insert(AUTH_KEY, &auth).await?;
    Ok(())
}

/// Whether this session proved a second factor in the last `minutes`.
pub async fn factor_is_fresh(session: &Session, scope: &RequestScope, minutes: u32) -> bool {
    auth_on(session, scope)
        .await
        .is_some_and(|auth| auth.factor_at > 0 && now() - auth.factor_at <= i64::from(minutes) * 60)
}
