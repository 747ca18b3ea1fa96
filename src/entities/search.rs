//! What the console's lists share: a case-insensitive "contains" search
//! where `%` and `_` typed into the box mean themselves, and keyset cursors
//! on a time and an id (newest first, every row in one place).

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};

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
pub fn time_cursor(at: chrono::DateTime<chrono::Utc>, id: uuid::Uuid) -> String {
    format!("{}~{id}", at.timestamp_nanos_opt().unwrap_or_default())
}

/// The rows before `cursor` in a newest-first order on (`at`, `id`);
/// `None` for a cursor this list did not make.
pub fn older_than<A: ColumnTrait, I: ColumnTrait>(at: A, id: I, cursor: &str) -> Option<Condition> {
    let (nanos, raw_id) = cursor.split_once('~')?;
    let time = chrono::DateTime::from_timestamp_nanos(nanos.parse().ok()?);
    let row = uuid::Uuid::parse_str(raw_id).ok()?;
    Some(
        Condition::any()
            .add(at.lt(time))
            .add(Condition::all().add(at.eq(time)).add(id.lt(row))),
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
        assert!(older_than(Column::At, Column::Id, &cursor).is_some());
        for junk in ["", "x", "12~nope", "~"] {
            assert!(older_than(Column::At, Column::Id, junk).is_none(), "{junk}");
        }
    }
}
