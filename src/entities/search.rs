//! What the console's lists share: a case-insensitive "contains" search
//! where `%` and `_` typed into the box mean themselves, and keyset pages
//! on a time and an id (newest or oldest first, every row in one place; a
//! page costs the same however deep it is).

use crate::error::{Error, Result};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

/// Rows a page of a long list holds.
pub const PAGE: u64 = 50;

/// Which end of a time-ordered list comes first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// Where a reader stands in a time-ordered list: the order chosen and the
/// cursor of the last row seen (empty: at the first).
#[derive(Debug, Clone, Default)]
pub struct Place {
    pub order: Order,
    pub after: String,
}

impl Place {
    /// The first page, newest first.
    pub fn newest() -> Self {
        Self::default()
    }

    /// The place a reader asked for: `order` is `newest` or `oldest` (empty:
    /// newest), `after` a cursor the same list made (checked when read).
    pub fn parse(order: &str, after: &str) -> Result<Self> {
        let order = match order.trim() {
            "" | "newest" => Order::NewestFirst,
            "oldest" => Order::OldestFirst,
            _ => return Err(Error::invalid("order", "newest or oldest")),
        };
        Ok(Self {
            order,
            after: after.trim().to_owned(),
        })
    }
}

/// One page of a time-ordered list, and the cursor of the next when there
/// is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// The page from the rows an [`in_time_order`] query returned (one more
    /// than a page when there is another), `key` naming a row's place.
    pub fn cut(
        mut rows: Vec<T>,
        key: impl Fn(&T) -> (chrono::DateTime<chrono::Utc>, uuid::Uuid),
    ) -> Self {
        let more = rows.len() as u64 > PAGE;
        rows.truncate(PAGE as usize);
        let next = match (more, rows.last()) {
            (true, Some(last)) => {
                let (at, id) = key(last);
                Some(time_cursor(at, id))
            }
            _ => None,
        };
        Page { rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// `select` in the `place`'s order on (`at`, `id`), starting after the row
/// its cursor names, one row more than a page so that [`Page::cut`] knows
/// whether another follows. A cursor this list did not make is refused as
/// bad input of the field `after`.
pub fn in_time_order<E: EntityTrait>(
    select: Select<E>,
    at: E::Column,
    id: E::Column,
    place: &Place,
) -> Result<Select<E>> {
    let mut select = select;
    if !place.after.is_empty() {
        let beyond = beyond(at, id, &place.after, place.order)
            .ok_or_else(|| Error::invalid("after", "not a cursor of this list"))?;
        select = select.filter(beyond);
    }
    let order = match place.order {
        Order::NewestFirst => sea_orm::Order::Desc,
        Order::OldestFirst => sea_orm::Order::Asc,
    };
    Ok(select
        .order_by(at, order.clone())
        .order_by(id, order)
        .limit(PAGE + 1))
}

/// A filter's word, trimmed, when it is one `parse` knows or empty (every
/// row); anything else is bad input of `field`, answered with `expected`.
pub fn filter_word<'a, T>(
    field: &'static str,
    value: &'a str,
    parse: fn(&str) -> Option<T>,
    expected: &str,
) -> Result<&'a str> {
    let value = value.trim();
    match value.is_empty() || parse(value).is_some() {
        true => Ok(value),
        false => Err(Error::invalid(field, expected)),
    }
}

/// `column` equals `value` when one is chosen; every row for a filter left
/// at "all" (empty).
pub fn chosen<C: ColumnTrait>(column: C, value: &str) -> Condition {
    let value = value.trim();
    Condition::all().add_option((!value.is_empty()).then(|| column.eq(value)))
}

/// `column` contains `text`, whatever the case; `None` for an empty search.
pub fn contains<C: ColumnTrait>(column: C, text: &str) -> Option<SimpleExpr> {
    let pattern = pattern(text)?;
    Some(SimpleExpr::FunctionCall(Func::lower(Expr::col(column))).like(pattern))
}

/// [`contains`] for a column stored in lower case (a slug): compared as it
/// is, so an index on the column itself serves the search.
pub fn contains_folded<C: ColumnTrait>(column: C, text: &str) -> Option<SimpleExpr> {
    Some(Expr::col(column).like(pattern(text)?))
}

fn pattern(text: &str) -> Option<LikeExpr> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return None;
    }
    Some(LikeExpr::new(format!("%{}%", escaped(&text))).escape('\\'))
}

/// `%` and `_` typed into the search box mean themselves.
fn escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A cursor naming the row at `at` with `id` (nanoseconds: SQLite keeps
/// them, PostgreSQL microseconds).
fn time_cursor(at: chrono::DateTime<chrono::Utc>, id: uuid::Uuid) -> String {
    format!("{}~{id}", at.timestamp_nanos_opt().unwrap_or_default())
}

/// The rows that come after `cursor` in `order` on (`at`, `id`); `None`
/// for a cursor this list did not make.
fn beyond<A: ColumnTrait, I: ColumnTrait>(
    at: A,
    id: I,
    cursor: &str,
    order: Order,
) -> Option<Condition> {
    let (nanos, raw_id) = cursor.split_once('~')?;
    let time = chrono::DateTime::from_timestamp_nanos(nanos.parse().ok()?);
    let row = uuid::Uuid::parse_str(raw_id).ok()?;
    let (time_beyond, id_beyond) = match order {
        Order::NewestFirst => (at.lt(time), id.lt(row)),
        Order::OldestFirst => (at.gt(time), id.gt(row)),
    };
    Some(
        Condition::any()
            .add(time_beyond)
            .add(Condition::all().add(at.eq(time)).add(id_beyond)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_typed_mean_themselves_and_cursors_are_checked() {
        assert_eq!(escaped("50%_off\\"), "50\\%\\_off\\\\");
        assert!(pattern("  ").is_none());
        let id = uuid::Uuid::nil();
        let cursor = time_cursor(chrono::DateTime::from_timestamp_nanos(12), id);
        assert_eq!(cursor, format!("12~{id}"));
        use crate::entities::catalog::platform_audit::Column;
        for order in [Order::NewestFirst, Order::OldestFirst] {
            assert!(beyond(Column::At, Column::Id, &cursor, order).is_some());
            for junk in ["", "x", "12~nope", "~"] {
                assert!(
                    beyond(Column::At, Column::Id, junk, order).is_none(),
                    "{junk}"
                );
            }
        }
        assert_eq!(
            Place::parse(" oldest ", "").expect("oldest").order,
            Order::OldestFirst
        );
        assert_eq!(
            Place::parse("", "").expect("newest").order,
            Order::NewestFirst
        );
        assert!(Place::parse("sideways", "").is_err());
    }
}
