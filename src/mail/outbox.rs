//! The durable queue. A message is a row of the tenant's own outbox, written
//! in the transaction of what it announces (an invitation exists exactly when
//! its email does). The catalog's directory notes which tenants have mail
//! due; the worker visits those, leases due rows inside the tenant, sends
//! them, and retries failures with doubling delays until
//! `mail_max_attempts`. A sweep over every tenant at start-up and every few
//! minutes re-notes any tenant whose note was lost (a crash between the
//! message's commit and its note). Delivered bodies are blanked: they hold
//! single-use links, and the mail server has them now.

use super::transport::Transport;
use super::Letter;
use crate::entities::tenant::mail_message as row;
use crate::error::Result;
use crate::tenancy::directory::{self, NextDue, Queue};
use crate::tenancy::{Engine, TenantCtx, TenantDb, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use std::time::Duration;
use uuid::Uuid;

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
/// No SMTP server: kept for the dev mailbox.
pub const MAILBOX: &str = "mailbox";

/// How often every tenant is looked at for mail whose note was lost.
const SWEEP_EVERY: Duration = Duration::from_secs(300);

/// Queues `letter` in `db` (the caller's transaction of `ctx`'s tenant).
pub async fn enqueue(db: &TenantDb, ctx: &TenantCtx, letter: Letter) -> Result<Uuid> {
    let id = write(db, ctx, letter).await?;
    note_queued(ctx.engine(), ctx.id()).await?;
    Ok(id)
}

/// [`enqueue`] without telling the mail worker: for a transaction whose
/// tenant is not committed yet (the note would wait on its row), which
/// calls [`note_queued`] once it has committed.
pub(crate) async fn write(db: &TenantDb, ctx: &TenantCtx, letter: Letter) -> Result<Uuid> {
    let now = chrono::Utc::now();
    let state = if sending(ctx.engine()) {
        QUEUED
    } else {
        MAILBOX
    };
    let id = Uuid::now_v7();
    db.insert(row::ActiveModel {
        id: Set(id),
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
        ..Default::default()
    })
    .await?;
    Ok(id)
}

/// Tells the mail worker that `tenant` has mail queued; nothing to do when
/// no SMTP server is configured (letters stay in the dev mailbox).
pub(crate) async fn note_queued(engine: &Engine, tenant: TenantId) -> Result<()> {
    if sending(engine) {
        directory::work_due_now(engine, Queue::Mail, tenant).await?;
    }
    Ok(())
}

fn sending(engine: &Engine) -> bool {
    engine.settings().smtp_url.is_some()
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
    let mut last_sweep: Option<std::time::Instant> = None;
    loop {
        if last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
            match sweep(&engine).await {
                Ok(_) => last_sweep = Some(std::time::Instant::now()),
                Err(e) => tracing::error!(error = ?e, "mail sweep failed"),
            }
        }
        if let Err(e) = deliver_due(&engine, &transport).await {
            tracing::error!(error = ?e, "mail delivery pass failed");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Notes every tenant that has queued mail; returns how many there were.
pub async fn sweep(engine: &Engine) -> Result<usize> {
    let mut noted = 0;
    for tenant in crate::catalog::tenants::live_ids(engine).await? {
        let Ok(ctx) = engine.ctx_for(tenant).await else {
            continue;
        };
        if next_due(&ctx).await?.is_some() {
            directory::work_due_now(engine, Queue::Mail, tenant).await?;
            noted += 1;
        }
    }
    Ok(noted)
}

/// One pass: every tenant with mail due, and in each its due messages,
/// oldest first; returns how many were sent.
pub async fn deliver_due(engine: &Engine, transport: &Transport) -> Result<usize> {
    directory::visit_due(engine, Queue::Mail, 50, |ctx| async move {
        deliver_tenant(&ctx, transport).await
    })
    .await
}

/// Sends one tenant's due messages; how many, and when the next is due.
async fn deliver_tenant(ctx: &TenantCtx, transport: &Transport) -> Result<(usize, NextDue)> {
    let now = chrono::Utc::now();
    let due = ctx
        .run(false, async |db| {
            Ok(row::Entity::find()
                .filter(row::Column::State.eq(QUEUED))
                .filter(row::Column::NextAttemptAt.lte(now))
                .order_by_asc(row::Column::NextAttemptAt)
                .limit(50)
                .all(db)
                .await?)
        })
        .await?;
    let mut sent = 0;
    for message in due {
        if !lease(ctx, &message).await? {
            continue; // another instance has it
        }
        match transport.send(&message).await {
            Ok(()) => {
                delivered(ctx, message.id).await?;
                sent += 1;
            }
            Err(reason) => failed(ctx, &message, &reason).await?,
        }
    }
    Ok((sent, next_due(ctx).await?))
}

/// When the tenant's earliest queued message is due.
async fn next_due(ctx: &TenantCtx) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    ctx.run(false, async |db| {
        Ok(row::Entity::find()
            .filter(row::Column::State.eq(QUEUED))
            .order_by_asc(row::Column::NextAttemptAt)
            .one(db)
            .await?
            .map(|m| m.next_attempt_at))
    })
    .await
}

/// Updates one message in its tenant, in any state of the tenant (mail is
/// the platform's bookkeeping).
async fn update(
    ctx: &TenantCtx,
    id: Uuid,
    change: sea_orm::UpdateMany<row::Entity>,
) -> Result<u64> {
    let db = ctx.db().await?;
    let res = change.filter(row::Column::Id.eq(id)).exec(&db).await?;
    db.commit().await?;
    Ok(res.rows_affected)
}

/// Pushes the row's next attempt past the length of one send, so no other
/// instance sends it meanwhile; `false` when another got there first.
async fn lease(ctx: &TenantCtx, message: &row::Model) -> Result<bool> {
    let now = chrono::Utc::now();
    let change = row::Entity::update_many()
        .col_expr(
            row::Column::NextAttemptAt,
            Expr::value(now + chrono::Duration::seconds(60)),
        )
        .filter(row::Column::State.eq(QUEUED))
        .filter(row::Column::NextAttemptAt.eq(message.next_attempt_at));
    Ok(update(ctx, message.id, change).await? == 1)
}

async fn delivered(ctx: &TenantCtx, id: Uuid) -> Result<()> {
    let change = row::Entity::update_many()
        .col_expr(row::Column::State, Expr::value(SENT))
        .col_expr(row::Column::SentAt, Expr::value(chrono::Utc::now()))
        .col_expr(row::Column::TextBody, Expr::value(""))
        .col_expr(row::Column::HtmlBody, Expr::value(""))
        .col_expr(row::Column::LastError, Expr::value(Option::<String>::None));
    update(ctx, id, change).await?;
    Ok(())
}

async fn failed(ctx: &TenantCtx, message: &row::Model, reason: &str) -> Result<()> {
    let settings = ctx.engine().settings();
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
    let change = row::Entity::update_many()
        .col_expr(row::Column::Attempts, Expr::value(attempts))
        .col_expr(
            row::Column::State,
            Expr::value(if give_up { FAILED } else { QUEUED }),
        )
        .col_expr(
            row::Column::NextAttemptAt,
            Expr::value(chrono::Utc::now() + chrono::Duration::seconds(delay as i64)),
        )
        .col_expr(row::Column::LastError, Expr::value(reason.to_owned()));
    update(ctx, message.id, change).await?;
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

/// The most recent messages across the platform, newest first (all
/// states): the console's development mailbox. It visits every tenant, so it
/// is for deployments without SMTP, which are small.
pub async fn recent(engine: &Engine, limit: u64) -> Result<Vec<MailView>> {
    let mut all = Vec::new();
    for tenant in crate::catalog::tenants::live_ids(engine).await? {
        let Ok(ctx) = engine.ctx_for(tenant).await else {
            continue;
        };
        let rows = ctx
            .run(false, async |db| {
                Ok(row::Entity::find()
                    .order_by_desc(row::Column::CreatedAt)
                    .order_by_desc(row::Column::Id)
                    .limit(limit)
                    .all(db)
                    .await?)
            })
            .await?;
        all.extend(rows.into_iter().map(|r| MailView {
            id: r.id,
            tenant: Some(tenant.uuid()),
            to: r.to_address,
            from_name: r.from_name,
            subject: r.subject,
            text: r.text_body,
            state: r.state,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
        }));
    }
    all.sort_by_key(|m| std::cmp::Reverse((m.created_at, m.id)));
    all.truncate(limit as usize);
    Ok(all)
}
