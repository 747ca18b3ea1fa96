//! The platform audit log a page at a time, newest first, by keyset (each
//! page starts after the last row of the one before), searchable by actor
//! or action: the console's reading of a log that grows without end.

use super::{to_entry, AuditEntry};
use crate::entities::catalog::platform_audit as row;
use crate::entities::search::{contains, older_than, time_cursor};
use crate::error::{Error, Result};
use crate::tenancy::{Engine, PlatformUse};
use sea_orm::{Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Rows a page of the console's log holds.
pub const PAGE: u64 = 50;

/// One page, and the cursor of the next when there is one.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub rows: Vec<AuditEntry>,
    pub next: Option<String>,
}

/// The entries whose actor or action contains `text` (any case; empty:
/// all), after the page whose `next` was `after`.
pub async fn page(engine: &Engine, text: &str, after: &str) -> Result<AuditPage> {
    let mut select = row::Entity::find();
    if let (Some(actor), Some(action)) = (
        contains(row::Column::Actor, text),
        contains(row::Column::Action, text),
    ) {
        select = select.filter(Condition::any().add(actor).add(action));
    }
    if !after.trim().is_empty() {
        let older = older_than(row::Column::At, row::Column::Id, after.trim())
            .ok_or_else(|| Error::invalid("after", "not a cursor of this log"))?;
        select = select.filter(older);
    }
    let select = select
        .order_by_desc(row::Column::At)
        .order_by_desc(row::Column::Id)
        .limit(PAGE + 1);
    let mut rows = engine
        .on_platform(PlatformUse::Console, async |db| Ok(select.all(db).await?))
        .await?;
    let more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(time_cursor(last.at, last.id)),
        _ => None,
    };
    Ok(AuditPage {
        rows: rows.into_iter().map(to_entry).collect(),
        next,
    })
}
