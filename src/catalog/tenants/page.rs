//! The console's list of tenants at fleet size: filtered (state, plan,
//! placement), searched (slug or name, case-insensitively), sorted, and
//! read a page at a time by keyset — each page starts after the last row of
//! the one before (the cursor), so page 1,000 costs what page 1 does.

use super::{summary, TenantSummary};
use crate::entities::catalog::tenant;
use crate::entities::search::{contains, contains_folded};
use crate::error::{Error, Result};
use crate::tenancy::{Engine, Placement, TenantState};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The orders the list offers; each ends on the id, so every row has one
/// place and a cursor names it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TenantSort {
    #[default]
    Newest,
    Oldest,
    Slug,
    Name,
}

impl TenantSort {
    pub fn parse(raw: &str) -> Result<Self> {
        Ok(match raw.trim() {
            "" | "newest" => Self::Newest,
            "oldest" => Self::Oldest,
            "slug" => Self::Slug,
            "name" => Self::Name,
            _ => return Err(Error::invalid("sort", "newest, oldest, slug or name")),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Oldest => "oldest",
            Self::Slug => "slug",
            Self::Name => "name",
        }
    }
}

/// What the console asks for.
#[derive(Debug, Clone, Default)]
pub struct TenantQuery {
    /// Part of the slug or name, any case.
    pub text: String,
    /// `None`: every state but deleted.
    pub state: Option<TenantState>,
    pub plan: Option<String>,
    pub placement: Option<Placement>,
    /// Tenants whose data is in this region (on one of its clusters).
    pub region: Option<String>,
    pub sort: TenantSort,
    /// The cursor of the page before (its `next`); `None` for the first.
    pub after: Option<String>,
    pub limit: u64,
}

/// The list's filters as a form or query string carries them (empty: any).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct TenantFilters {
    pub q: String,
    pub state: String,
    pub plan: String,
    pub placement: String,
    pub region: String,
    pub sort: String,
    pub after: String,
}

impl TenantQuery {
    /// The query `f` asks for, `limit` rows a page; a bad value is refused
    /// on its field.
    pub fn parse(f: TenantFilters, limit: u64) -> Result<Self> {
        let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let state = match f.state.trim() {
            "" | "all" => None,
            s => Some(
                TenantState::parse(s).ok_or_else(|| Error::invalid("state", "unknown state"))?,
            ),
        };
        Ok(Self {
            state,
            plan: given(&f.plan),
            placement: given(&f.placement)
                .map(|raw| crate::tenancy::parse_placement(&raw, "placement"))
                .transpose()?,
            region: given(&f.region),
            sort: TenantSort::parse(&f.sort)?,
            after: given(&f.after),
            text: f.q,
            limit,
        })
    }
}

/// One page, and the cursor of the next when there is one.
#[derive(Debug, Clone)]
pub struct TenantPage {
    pub rows: Vec<TenantSummary>,
    pub next: Option<String>,
}

/// Tenants on the clusters of `region` (the home cluster's are stored
/// without a cluster); a region no cluster serves is refused.
fn in_region(engine: &Engine, region: &str) -> Result<Condition> {
    let clusters = engine.clusters();
    let home = clusters.all().first().map(|(name, _)| name.clone());
    let mut any = Condition::any();
    let mut served = false;
    for (name, in_region) in clusters.all() {
        if in_region != region {
            continue;
        }
        served = true;
        any = match Some(&name) == home.as_ref() {
            true => any.add(tenant::Column::Cluster.is_null()),
            false => any.add(tenant::Column::Cluster.eq(name)),
        };
    }
    if !served {
        return Err(Error::invalid("region", "no cluster serves this region"));
    }
    Ok(any)
}

/// The most rows a page holds.
pub const MAX_PAGE: u64 = 200;

pub async fn page(engine: &Engine, q: &TenantQuery) -> Result<TenantPage> {
    let limit = q.limit.clamp(1, MAX_PAGE);
    let mut select = tenant::Entity::find();
    select = match q.state {
        Some(state) => select.filter(tenant::Column::State.eq(state.as_str())),
        None => select.filter(tenant::Column::State.ne(TenantState::Deleted.as_str())),
    };
    if let Some(plan) = &q.plan {
        select = select.filter(tenant::Column::Plan.eq(plan.as_str()));
    }
    if let Some(placement) = q.placement {
        select = select.filter(tenant::Column::Placement.eq(placement.as_str()));
    }
    if let Some(region) = &q.region {
        select = select.filter(in_region(engine, region)?);
    }
    if let (Some(slug), Some(name)) = (
        contains_folded(tenant::Column::Slug, &q.text),
        contains(tenant::Column::Name, &q.text),
    ) {
        select = select.filter(Condition::any().add(slug).add(name));
    }
    if let Some(cursor) = &q.after {
        select = select.filter(after(q.sort, cursor)?);
    }
    select = match q.sort {
        TenantSort::Newest => select
            .order_by_desc(tenant::Column::CreatedAt)
            .order_by_desc(tenant::Column::Id),
        TenantSort::Oldest => select
            .order_by_asc(tenant::Column::CreatedAt)
            .order_by_asc(tenant::Column::Id),
        TenantSort::Slug => select.order_by_asc(tenant::Column::Slug),
        TenantSort::Name => select
            .order_by_asc(tenant::Column::Name)
            .order_by_asc(tenant::Column::Id),
    };
    let mut rows = select
        .limit(limit + 1)
        .all(engine.platform_tables())
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(cursor_of(q.sort, last)),
        _ => None,
    };
    Ok(TenantPage {
        rows: rows.into_iter().map(summary).collect::<Result<_>>()?,
        next,
    })
}

/// Where a row sits in `sort`: what the next page starts after.
fn cursor_of(sort: TenantSort, row: &tenant::Model) -> String {
    match sort {
        TenantSort::Newest | TenantSort::Oldest => {
            // Nanoseconds: SQLite keeps them (PostgreSQL, microseconds).
            let nanos = row.created_at.timestamp_nanos_opt().unwrap_or_default();
            format!("{nanos}~{}", row.id)
        }
        TenantSort::Slug => row.slug.clone(),
        TenantSort::Name => format!("{}~{}", row.id, row.name),
    }
}

/// The rows after `cursor` in `sort`.
fn after(sort: TenantSort, cursor: &str) -> Result<Condition> {
    let bad = || Error::invalid("after", "not a cursor of this list");
    let id = |raw: &str| uuid::Uuid::parse_str(raw).map_err(|_| bad());
    Ok(match sort {
        TenantSort::Newest | TenantSort::Oldest => {
            let (nanos, raw_id) = cursor.split_once('~').ok_or_else(bad)?;
            let nanos: i64 = nanos.parse().map_err(|_| bad())?;
            let at = chrono::DateTime::from_timestamp_nanos(nanos);
            let id = id(raw_id)?;
            let (time_past, id_past) = match sort {
                TenantSort::Newest => (tenant::Column::CreatedAt.lt(at), tenant::Column::Id.lt(id)),
                _ => (tenant::Column::CreatedAt.gt(at), tenant::Column::Id.gt(id)),
            };
            Condition::any().add(time_past).add(
                Condition::all()
                    .add(tenant::Column::CreatedAt.eq(at))
                    .add(id_past),
            )
        }
        TenantSort::Slug => Condition::all().add(tenant::Column::Slug.gt(cursor)),
        TenantSort::Name => {
            let (raw_id, name) = cursor.split_once('~').ok_or_else(bad)?;
            let id = id(raw_id)?;
            Condition::any().add(tenant::Column::Name.gt(name)).add(
                Condition::all()
                    .add(tenant::Column::Name.eq(name))
                    .add(tenant::Column::Id.gt(id)),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_names_its_row_and_junk_is_refused() {
        assert!(after(
            TenantSort::Newest,
            "12~00000000-0000-0000-0000-000000000001"
        )
        .is_ok());
        assert!(after(
            TenantSort::Name,
            "00000000-0000-0000-0000-000000000001~Acme ~ Co"
        )
        .is_ok());
        for junk in ["", "x", "12~nope", "~"] {
            assert!(after(TenantSort::Newest, junk).is_err(), "{junk}");
        }
        assert!(TenantSort::parse("sideways").is_err());
    }
}
