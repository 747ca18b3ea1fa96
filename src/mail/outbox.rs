//! The durable queue. A message is a row of the tenant's own outbox, written
//! in the transaction of what it announces (an invitation exists exactly when
//! its email does), together with the [`SendMail`] job that sends it: the
//! tenant's job queue (`crate::jobs`) runs it inside the tenant, retries a
//! failure with doubling delays (`mail_retry_base_secs`) until
//! `mail_max_attempts`, and runs it again if its instance died mid-send.
//! Delivered bodies are blanked: they hold single-use links, and the mail
//! server has them now.

use super::Letter;
use crate::config::Settings;
use crate::entities::tenant::mail_message as row;
use crate::error::Result;
use crate::jobs::{self, JobRun, NewJob, TenantJob};
use crate::observe::Delivery;
use crate::tenancy::{Engine, TenantCtx, TenantDb, TenantId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
/// No SMTP server: kept for the dev mailbox.
pub const MAILBOX: &str = "mailbox";

/// Queues `letter` in `db` (the caller's transaction of `ctx`'s tenant).
pub async fn enqueue(db: &TenantDb, ctx: &TenantCtx, letter: Letter) -> Result<Uuid> {
    let id = write(db, ctx, letter).await?;
    note_queued(ctx.engine(), ctx.id()).await?;
    Ok(id)
}

/// [`enqueue`] without waking the job runners: for a transaction whose
/// tenant is not committed yet (the note would wait on its row), which
/// calls [`note_queued`] once it has committed.
pub(crate) async fn write(db: &TenantDb, ctx: &TenantCtx, letter: Letter) -> Result<Uuid> {
    let now = chrono::Utc::now();
    let settings = ctx.engine().settings();
    let state = if sending(settings) { QUEUED } else { MAILBOX };
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
    if sending(settings) {
        let job = NewJob::new(ctx, SendMail { message: id }).attempts(settings.mail_max_attempts);
        // Announced by `note_queued`, which every writer calls.
        let _written = jobs::enqueue_in(db, job).await?;
    }
    Ok(id)
}

/// Wakes the job runners for `tenant`'s queued mail; nothing to do when no
/// SMTP server is configured (letters stay in the dev mailbox).
pub(crate) async fn note_queued(engine: &Engine, tenant: TenantId) -> Result<()> {
    if sending(engine.settings()) {
        jobs::note_due(engine, tenant).await?;
    }
    Ok(())
}

fn sending(settings: &Settings) -> bool {
    settings.smtp_url.is_some()
}

/// Sends one queued message of the job's tenant. A message already sent
/// (an earlier run sent it, then its instance died before the job was
/// recorded done) is not sent again; a message whose send did not finish
/// (no answer from the mail server to its data) was not accepted, and is.
#[derive(Serialize, Deserialize)]
pub struct SendMail {
    pub message: Uuid,
}

impl TenantJob for SendMail {
    const KIND: &'static str = "mail.send";
    // Mail of an action taken before a suspension still goes out.
    const WHILE_SUSPENDED: bool = true;
    const PRIORITY: i32 = 50;

    fn retry_base_ms(settings: &Settings) -> u64 {
        settings.mail_retry_base_secs.saturating_mul(1000)
    }

    async fn run(self, ctx: &TenantCtx, run: &JobRun) -> Result<()> {
        let id = self.message;
        let message = ctx
            .run_for_platform(async |db| {
                Ok(row::Entity::find()
                    .filter(row::Column::Id.eq(id))
                    .one(db)
                    .await?)
            })
            .await?;
        let Some(message) = message.filter(|m| m.state == QUEUED) else {
            return Ok(());
        };
        let transport = ctx
            .engine()
            .mail_transport()?
            .ok_or_else(|| anyhow::anyhow!("smtp_url is no longer set"))?;
        let observer = ctx.engine().observer();
        let tenant = Some(ctx.id().uuid());
        match transport.send(&message).await {
            Ok(()) => {
                observer.mail(Delivery::Delivered, tenant);
                delivered(ctx, id).await
            }
            Err(reason) => {
                let outcome = match run.is_last() {
                    true => Delivery::Failed,
                    false => Delivery::Retried,
                };
                observer.mail(outcome, tenant);
                failed(ctx, &message, run, &reason).await?;
                Err(anyhow::anyhow!("mail delivery failed: {reason}").into())
            }
        }
    }
}

/// Updates one message in its tenant, in any state of the tenant (mail is
/// the platform's bookkeeping).
async fn update(ctx: &TenantCtx, id: Uuid, change: sea_orm::UpdateMany<row::Entity>) -> Result<()> {
    ctx.run_for_platform(async |db| {
        change.filter(row::Column::Id.eq(id)).exec(db).await?;
        Ok(())
    })
    .await
}

async fn delivered(ctx: &TenantCtx, id: Uuid) -> Result<()> {
    let change = row::Entity::update_many()
        .col_expr(row::Column::State, Expr::value(SENT))
        .col_expr(row::Column::SentAt, Expr::value(chrono::Utc::now()))
        .col_expr(row::Column::TextBody, Expr::value(""))
        .col_expr(row::Column::HtmlBody, Expr::value(""))
        .col_expr(row::Column::LastError, Expr::value(Option::<String>::None));
    update(ctx, id, change).await
}

/// Keeps the attempt on the message for the mailbox; on the job's last
/// attempt the message is failed.
async fn failed(ctx: &TenantCtx, message: &row::Model, run: &JobRun, reason: &str) -> Result<()> {
    tracing::warn!(
        message = %message.id,
        attempt = run.attempt,
        give_up = run.is_last(),
        reason,
        "mail delivery failed"
    );
    let change = row::Entity::update_many()
        .col_expr(row::Column::Attempts, Expr::value(run.attempt))
        .col_expr(
            row::Column::State,
            Expr::value(if run.is_last() { FAILED } else { QUEUED }),
        )
        .col_expr(row::Column::LastError, Expr::value(reason.to_owned()));
    update(ctx, message.id, change).await
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
    for tenant in engine.live_tenants().await? {
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
