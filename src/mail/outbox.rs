//! The durable queue. A message is a catalog row written in the transaction
//! of what it announces (an invitation exists exactly when its email does);
//! the worker leases due rows, sends them, and retries failures with
//! doubling delays until `mail_max_attempts`. Delivered bodies are blanked:
//! they hold single-use links, and the mail server has them now.

use super::transport::Transport;
use super::Letter;
use crate::entities::catalog::mail_message as row;
use crate::error::Result;
use crate::tenancy::{Engine, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use std::time::Duration;
use uuid::Uuid;

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
/// No SMTP server: kept for the dev mailbox.
pub const MAILBOX: &str = "mailbox";

/// Queues `letter` on `conn` (the caller's transaction).
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    engine: &Engine,
    tenant: Option<TenantId>,
    letter: Letter,
) -> Result<Uuid> {
    let now = chrono::Utc::now();
    let state = if engine.settings().smtp_url.is_some() {
        QUEUED
    } else {
        MAILBOX
    };
    let id = Uuid::now_v7();
    row::ActiveModel {
        id: Set(id),
        tenant: Set(tenant.map(TenantId::uuid)),
        to_address: Set(letter.to),
        from_name: Set(letter.from_name),
        subject: Set(letter.subject),
        text_body: Set(letter.text),
        html_body: Set(letter.html),
        state: Set(state.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Runs forever when SMTP is configured: sends what is due, then waits.
pub async fn run(engine: Engine) {
    let transport = match Transport::from_settings(engine.settings()) {
        Ok(Some(t)) => t,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "mail is not sent: smtp settings are invalid");
            return;
        }
    };
    loop {
        if let Err(e) = deliver_due(&engine, &transport).await {
            tracing::error!(error = ?e, "mail delivery pass failed");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// One pass: every due message, oldest first; returns how many were sent.
pub async fn deliver_due(engine: &Engine, transport: &Transport) -> Result<usize> {
    let now = chrono::Utc::now();
    let due = row::Entity::find()
        .filter(row::Column::State.eq(QUEUED))
        .filter(row::Column::NextAttemptAt.lte(now))
        .order_by_asc(row::Column::NextAttemptAt)
        .limit(50)
        .all(engine.catalog())
        .await?;
    let mut sent = 0;
    for message in due {
        if !lease(engine, &message).await? {
            continue; // another instance has it
        }
        match transport.send(&message).await {
            Ok(()) => {
                delivered(engine, message.id).await?;
                sent += 1;
            }
            Err(reason) => failed(engine, &message, &reason).await?,
        }
    }
    Ok(sent)
}

/// Pushes the row's next attempt past the length of one send, so no other
/// instance sends it meanwhile; `false` when another got there first.
async fn lease(engine: &Engine, message: &row::Model) -> Result<bool> {
    let now = chrono::Utc::now();
    let res = row::Entity::update_many()
        .col_expr(
            row::Column::NextAttemptAt,
            Expr::value(now + chrono::Duration::seconds(60)),
        )
        .filter(row::Column::Id.eq(message.id))
        .filter(row::Column::State.eq(QUEUED))
        .filter(row::Column::NextAttemptAt.eq(message.next_attempt_at))
        .exec(engine.catalog())
        .await?;
    Ok(res.rows_affected == 1)
}

async fn delivered(engine: &Engine, id: Uuid) -> Result<()> {
    row::Entity::update_many()
        .col_expr(row::Column::State, Expr::value(SENT))
        .col_expr(row::Column::SentAt, Expr::value(chrono::Utc::now()))
        .col_expr(row::Column::TextBody, Expr::value(""))
        .col_expr(row::Column::HtmlBody, Expr::value(""))
        .col_expr(row::Column::LastError, Expr::value(Option::<String>::None))
        .filter(row::Column::Id.eq(id))
        .exec(engine.catalog())
        .await?;
    Ok(())
}

async fn failed(engine: &Engine, message: &row::Model, reason: &str) -> Result<()> {
    let settings = engine.settings();
    let attempts = message.attempts + 1;
    let give_up = attempts >= settings.mail_max_attempts as i32;
    let delay = settings
        .mail_retry_base_secs
        .saturating_mul(1u64 << (attempts - 1).clamp(0, 16))
        .min(6 * 3600);
    tracing::warn!(
        message = %message.id,
        attempts,
        give_up,
        reason,
        "mail delivery failed"
    );
    row::Entity::update_many()
        .col_expr(row::Column::Attempts, Expr::value(attempts))
        .col_expr(
            row::Column::State,
            Expr::value(if give_up { FAILED } else { QUEUED }),
        )
        .col_expr(
            row::Column::NextAttemptAt,
            Expr::value(chrono::Utc::now() + chrono::Duration::seconds(delay as i64)),
        )
        .col_expr(row::Column::LastError, Expr::value(reason.to_owned()))
        .filter(row::Column::Id.eq(message.id))
        .exec(engine.catalog())
        .await?;
    Ok(())
}

/// A message as the console's mailbox shows it.
#[derive(Debug, Clone, Serialize)]
pub struct MailView {
    pub id: Uuid,
    pub tenant: Option<Uuid>,
    pub to: String,
    pub from_name: String,
    pub subject: String,
    pub text: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The most recent messages, newest first (all states).
pub async fn recent(engine: &Engine, limit: u64) -> Result<Vec<MailView>> {
    let rows = row::Entity::find()
        .order_by_desc(row::Column::CreatedAt)
        .order_by_desc(row::Column::Id)
        .limit(limit)
        .all(engine.catalog())
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| MailView {
            id: r.id,
            tenant: r.tenant,
            to: r.to_address,
            from_name: r.from_name,
            subject: r.subject,
            text: r.text_body,
            state: r.state,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
        })
        .collect())
}
