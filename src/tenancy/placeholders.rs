//! Statements written once, with PostgreSQL's numbered placeholders
//! (`$1`, `$2`, in order), and sent to either backend.

use sea_orm::DbBackend;

/// `sql` with its `$N` placeholders as `backend` spells them (SQLite: `?`,
/// which binds in order of appearance, so they must appear in order).
pub(crate) fn for_backend(backend: DbBackend, sql: &str) -> String {
    if backend == DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_placeholders_become_question_marks_on_sqlite() {
        let sql = "UPDATE t SET c = $1 WHERE c = $2 AND d = '$x'";
        assert_eq!(for_backend(DbBackend::Postgres, sql), sql);
        assert_eq!(
            for_backend(DbBackend::Sqlite, sql),
            "UPDATE t SET c = ? WHERE c = ? AND d = '$x'"
        );
    }
}
