//! The last check before a [`TenantDb`](super::TenantDb) statement leaves the
//! process: a statement that could change, reset or drop the tenant binding
//! is refused here, before it is sent, so the transaction stays bound and
//! usable (nothing reached the database, so nothing was aborted).
//!
//! The binding is transaction-local state (`app.tenant_id`, `search_path`,
//! `transaction_read_only`, set by `public.tenantry_enter`); row-level
//! security and the schema wall trust it. What is refused, and why:
//!
//! - **Statement kinds, by an allow-list (fail closed).** Each statement
//!   (the text between `;`s, after any opening parentheses) must begin with
//!   `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `WITH`, `VALUES`, `TABLE`,
//!   `MERGE`, `TRUNCATE` (still privilege-checked by the database) or, on
//!   SQLite, `REPLACE`. Two more are let through: `SET CONSTRAINTS …`
//!   (deferring constraint checks touches no setting) and `PRAGMA` with one
//!   of a few read-only pragma names ([`READ_ONLY_PRAGMAS`]). Everything
//!   else is refused, in particular:
//!   every other `SET …` (`SET LOCAL`, `SET SESSION`, `SET ROLE`,
//!   `SET SESSION AUTHORIZATION`, `SET TRANSACTION` too: after the binding's
//!   first query it can do nothing useful), `RESET`, `DISCARD`;
//!   transaction control (`BEGIN`, `START`, `COMMIT`, `END`, `ROLLBACK`,
//!   `ABORT`, `SAVEPOINT`, `RELEASE`, `PREPARE TRANSACTION`): ending the
//!   transaction ends the binding, and the statements after it would run
//!   unbound; `DO` and `CREATE …` (a PL/pgSQL block or function can call
//!   `set_config` out of sight, and a temporary table would shadow a tenant
//!   table for whoever uses the pooled connection next); `ATTACH` and
//!   `DETACH` (another tenant's SQLite file); `VACUUM`, `COPY`, `LISTEN`,
//!   `EXPLAIN`, DDL and the rest, which application code has no use for.
//! - **Names, wherever they stand** (unquoted, quoted, schema-qualified, any
//!   case): `set_config` (`current_setting` is fine: it only reads),
//!   `tenantry_enter` (re-binds to another tenant), `pg_settings` (an
//!   `UPDATE` of that view is a session-wide `SET`), the built-ins that run
//!   SQL given as text, where a literal could hide any of the above
//!   (`query_to_xml` and its kin, `ts_stat`, `ts_rewrite`), and SQLite's
//!   `load_extension`.
//! - **`INTO` other than after `INSERT`/`MERGE`/`REPLACE`** (and SQLite's
//!   `INSERT OR … INTO`): `SELECT … INTO` creates a table, possibly a
//!   temporary one that outlives the transaction on the pooled connection.
//! - **Unicode-escaped identifiers** (`U&"…"`, Postgres), which can spell any
//!   name, and **NUL bytes**.
//!
//! This is not a SQL parser. It tokenizes just enough to know what is code:
//! it skips string literals (`'…'`, Postgres `E'…'` with backslash escapes
//! and its continuation across a newline, dollar-quoted `$tag$…$tag$`),
//! quoted identifiers (`"…"`; on SQLite also `` `…` `` and `[…]`), comments
//! (`--` to the end of the line; `/* */`, nested on Postgres) and SQLite's
//! `$name(…)` variables, each exactly as the database's own lexer does:
//! where the two disagreed, text the database runs could pass here as a
//! literal. Text this lexer cannot place the way the database does is text
//! the database refuses to parse, and on Postgres a multi-statement query is
//! parsed whole before any of it runs. Plain `'…'` literals are read with
//! `standard_conforming_strings` on, the default since PostgreSQL 9.1 (and it
//! cannot be changed from here: `SET` is refused).
//!
//! About 610 lines, kept whole: the statement reader and the rules that judge
//! what it read depend on each other line by line (a rule is only as sound as
//! the lexing under it), so they are reviewed together.

use sea_orm::{DbBackend, DbErr};
use std::borrow::Cow;

/// Refuses `sql` if it could change or drop the tenant binding, with a
/// `DbErr::Custom` that names the reason.
pub(super) fn check(backend: DbBackend, sql: &str) -> Result<(), DbErr> {
    let dialect = match backend {
        DbBackend::Postgres => Dialect::Postgres,
        DbBackend::Sqlite => Dialect::Sqlite,
        _ => return Err(refused("run on this database backend".into())),
    };
    inspect(dialect, sql).map_err(refused)
}

/// Implements SeaORM's `ConnectionTrait` for a wrapper whose `$inner` field
/// is a connection or transaction, passing every statement through
/// [`check`] first: how the platform path, a tenant's records and the
/// platform's own tables share the one place statements pass.
macro_rules! guarded_connection {
    ($wrapper:ty, $inner:ident) => {
        #[async_trait::async_trait]
        impl ::sea_orm::ConnectionTrait for $wrapper {
            fn get_database_backend(&self) -> ::sea_orm::DbBackend {
                self.$inner.get_database_backend()
            }
            async fn execute_raw(
                &self,
                stmt: ::sea_orm::Statement,
            ) -> Result<::sea_orm::ExecResult, ::sea_orm::DbErr> {
                $crate::tenancy::guard::check(self.get_database_backend(), &stmt.sql)?;
                self.$inner.execute_raw(stmt).await
            }
            async fn execute_unprepared(
                &self,
                sql: &str,
            ) -> Result<::sea_orm::ExecResult, ::sea_orm::DbErr> {
                $crate::tenancy::guard::check(self.get_database_backend(), sql)?;
                self.$inner.execute_unprepared(sql).await
            }
            async fn query_one_raw(
                &self,
                stmt: ::sea_orm::Statement,
            ) -> Result<Option<::sea_orm::QueryResult>, ::sea_orm::DbErr> {
                $crate::tenancy::guard::check(self.get_database_backend(), &stmt.sql)?;
                self.$inner.query_one_raw(stmt).await
            }
            async fn query_all_raw(
                &self,
                stmt: ::sea_orm::Statement,
            ) -> Result<Vec<::sea_orm::QueryResult>, ::sea_orm::DbErr> {
                $crate::tenancy::guard::check(self.get_database_backend(), &stmt.sql)?;
                self.$inner.query_all_raw(stmt).await
            }
        }
    };
}
pub(super) use guarded_connection;

fn refused(reason: String) -> DbErr {
    DbErr::Custom(format!("tenantry: a tenant transaction cannot {reason}"))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dialect {
    Postgres,
    Sqlite,
}

/// Statement kinds that run as they are.
const ALLOWED_STATEMENTS: &[&str] = &[
    "select", "insert", "update", "delete", "with", "values", "table", "merge", "truncate",
    "replace",
];

/// Statements that would end the transaction, and with it the binding.
const TRANSACTION_CONTROL: &[&str] = &[
    "begin",
    "start",
    "commit",
    "end",
    "rollback",
    "abort",
    "savepoint",
    "release",
];

/// SQLite pragmas that only report (on the main database: a schema-qualified
/// pragma is refused).
const READ_ONLY_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "foreign_key_check",
];

/// Names refused wherever they appear, with the reason.
const REFUSED_NAMES: &[(&str, &str)] = &[
    ("set_config", "change its binding"),
    ("tenantry_enter", "change its binding"),
    ("pg_settings", "change its binding"),
    ("query_to_xml", "run SQL text"),
    ("query_to_xmlschema", "run SQL text"),
    ("query_to_xml_and_xmlschema", "run SQL text"),
    ("cursor_to_xml", "run SQL text"),
    ("cursor_to_xmlschema", "run SQL text"),
    ("ts_stat", "run SQL text"),
    ("ts_rewrite", "run SQL text"),
    ("load_extension", "load extensions"),
];

/// The words `INTO` may follow: `INSERT INTO`, `MERGE INTO`, `REPLACE INTO`
/// and SQLite's `INSERT OR {ABORT|FAIL|IGNORE|REPLACE|ROLLBACK} INTO`.
const INTO_AFTER: &[&str] = &[
    "insert", "merge", "replace", "abort", "fail", "ignore", "rollback",
];

/// Checks every statement of `sql`; the reason of the first refusal.
fn inspect(dialect: Dialect, sql: &str) -> Result<(), String> {
    if sql.as_bytes().contains(&0) {
        return Err("run SQL containing a NUL byte".into());
    }
    let mut lexer = Lexer {
        sql: sql.as_bytes(),
        pos: 0,
        dialect,
    };
    let mut statement = Vec::new();
    while let Some(token) = lexer.next_token()? {
        if token == Token::Semicolon {
            check_statement(&statement)?;
            statement.clear();
        } else {
            statement.push(token);
        }
    }
    check_statement(&statement)
}

/// One statement's tokens (comments and whitespace left out): its kind
/// first, then the names in it.
fn check_statement(tokens: &[Token]) -> Result<(), String> {
    check_kind(tokens)?;
    for (i, token) in tokens.iter().enumerate() {
        let name: &[u8] = match token {
            Token::Word(word) => word,
            Token::Quoted(name) => name,
            _ => continue,
        };
        if let Some((refused, reason)) = REFUSED_NAMES
            .iter()
            .find(|(refused, _)| name.eq_ignore_ascii_case(refused.as_bytes()))
        {
            return Err(format!("{reason} ({refused})"));
        }
        if matches!(token, Token::Word(_)) && name.eq_ignore_ascii_case(b"into") {
            let after = i.checked_sub(1).and_then(|p| tokens.get(p));
            if !matches!(after, Some(Token::Word(w)) if is_one_of(w, INTO_AFTER)) {
                return Err("create tables (SELECT … INTO)".into());
            }
        }
    }
    Ok(())
}

/// The statement's kind, from its first words (past opening parentheses).
fn check_kind(tokens: &[Token]) -> Result<(), String> {
    let mut head = tokens.iter().skip_while(|t| **t == Token::OpenParen);
    let Some(first) = head.next() else {
        return Ok(()); // an empty statement
    };
    let Token::Word(keyword) = first else {
        return Err("run a statement that does not begin with a keyword".into());
    };
    let upper = String::from_utf8_lossy(keyword).to_ascii_uppercase();
    if is_one_of(keyword, ALLOWED_STATEMENTS) {
        Ok(())
    } else if keyword.eq_ignore_ascii_case(b"set") {
        match is_word(head.next(), "constraints") {
            true => Ok(()),
            false => Err("change its binding (SET)".into()),
        }
    } else if is_one_of(keyword, &["reset", "discard"]) {
        Err(format!("change its binding ({upper})"))
    } else if is_one_of(keyword, TRANSACTION_CONTROL)
        || (keyword.eq_ignore_ascii_case(b"prepare") && is_word(head.next(), "transaction"))
    {
        Err(format!("end its transaction ({upper})"))
    } else if is_one_of(keyword, &["attach", "detach"]) {
        Err(format!("reach another database ({upper})"))
    } else if keyword.eq_ignore_ascii_case(b"pragma") {
        match (head.next(), head.next()) {
            (Some(Token::Word(name)), next)
                if is_one_of(name, READ_ONLY_PRAGMAS) && next != Some(&Token::Dot) =>
            {
                Ok(())
            }
            _ => Err("run PRAGMA statements other than read-only ones".into()),
        }
    } else {
        Err(format!("run {upper} statements"))
    }
}

/// Whether `token` is the unquoted word `word`, in any case.
fn is_word(token: Option<&Token>, word: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w.eq_ignore_ascii_case(word.as_bytes()))
}

fn is_one_of(word: &[u8], list: &[&str]) -> bool {
    list.iter().any(|k| word.eq_ignore_ascii_case(k.as_bytes()))
}

#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    /// An unquoted identifier or keyword.
    Word(&'a [u8]),
    /// A quoted identifier, unescaped.
    Quoted(Cow<'a, [u8]>),
    Semicolon,
    OpenParen,
    Dot,
    /// Anything else: literals, numbers, parameters, operators.
    Other,
}

struct Lexer<'a> {
    sql: &'a [u8],
    pos: usize,
    dialect: Dialect,
}

/// Bytes of unquoted identifiers, on both databases (all of UTF-8's
/// multi-byte sequences count as letters).
fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_char(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == b'$'
}

impl<'a> Lexer<'a> {
    fn at(&self, ahead: usize) -> Option<u8> {
        self.sql.get(self.pos + ahead).copied()
    }

    fn postgres(&self) -> bool {
        self.dialect == Dialect::Postgres
    }

    /// The next token, past whitespace and comments; `None` at the end.
    fn next_token(&mut self) -> Result<Option<Token<'a>>, String> {
        while let Some(c) = self.at(0) {
            match (c, self.at(1)) {
                (b'-', Some(b'-')) => self.line_comment(),
                (b'/', Some(b'*')) => self.block_comment(),
                (b' ' | b'\t'..=b'\r', _) => self.pos += 1,
                _ => return self.token(c).map(Some),
            }
        }
        Ok(None)
    }

    fn token(&mut self, c: u8) -> Result<Token<'a>, String> {
        let sqlite = !self.postgres();
        let token = match c {
            b';' | b'(' | b'.' => {
                self.pos += 1;
                match c {
                    b';' => Token::Semicolon,
                    b'(' => Token::OpenParen,
                    _ => Token::Dot,
                }
            }
            b'\'' => {
                self.string();
                Token::Other
            }
            b'"' => Token::Quoted(self.quoted(b'"')),
            b'`' if sqlite => Token::Quoted(self.quoted(b'`')),
            b'[' if sqlite => Token::Quoted(self.bracketed()),
            b'$' if !sqlite => {
                self.dollar();
                Token::Other
            }
            b'$' | b'@' | b':' | b'#' if sqlite => {
                self.sqlite_variable();
                Token::Other
            }
            b'0'..=b'9' => {
                self.number();
                Token::Other
            }
            c if is_ident_start(c) => return self.word(),
            _ => {
                self.pos += 1;
                Token::Other
            }
        };
        Ok(token)
    }

    /// `--` to the end of the line: `\n`, or also `\r` on Postgres.
    fn line_comment(&mut self) {
        self.pos += 2;
        while let Some(c) = self.at(0) {
            if c == b'\n' || (c == b'\r' && self.postgres()) {
                break;
            }
            self.pos += 1;
        }
    }

    /// `/* … */`: nested on Postgres, to the first `*/` on SQLite.
    fn block_comment(&mut self) {
        self.pos += 2;
        let mut depth = 1;
        while let Some(c) = self.at(0) {
            match (c, self.at(1)) {
                (b'/', Some(b'*')) if self.postgres() => {
                    depth += 1;
                    self.pos += 2;
                }
                (b'*', Some(b'/')) => {
                    self.pos += 2;
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => self.pos += 1,
            }
        }
    }

    /// A `'…'` literal, `''` standing for a quote.
    fn string(&mut self) {
        self.pos += 1;
        while let Some(c) = self.at(0) {
            self.pos += 1;
            if c == b'\'' {
                if self.at(0) != Some(b'\'') {
                    return;
                }
                self.pos += 1;
            }
        }
    }

    /// A Postgres `E'…'` literal (the position is at its quote): a backslash
    /// escapes the next byte, and a quote followed by whitespace holding a
    /// newline and another quote continues the literal, still with escapes.
    fn escape_string(&mut self) {
        self.pos += 1;
        while let Some(c) = self.at(0) {
            self.pos += 1;
            match c {
                b'\\' => self.pos = (self.pos + 1).min(self.sql.len()),
                b'\'' if self.at(0) == Some(b'\'') => self.pos += 1,
                b'\'' => match self.continuation() {
                    Some(next_quote) => self.pos = next_quote + 1,
                    None => return,
                },
                _ => {}
            }
        }
    }

    /// Where a string literal continues after its closing quote: past spaces
    /// and `--` comments that include a line break, the position of the next
    /// quote.
    fn continuation(&self) -> Option<usize> {
        let mut i = self.pos;
        let mut newline = false;
        loop {
            match self.sql.get(i) {
                Some(b'\n' | b'\r') => newline = true,
                Some(b' ' | b'\t' | 0x0b | 0x0c) => {}
                Some(b'-') if self.sql.get(i + 1) == Some(&b'-') => {
                    while !matches!(self.sql.get(i + 1), None | Some(b'\n' | b'\r')) {
                        i += 1;
                    }
                }
                Some(b'\'') if newline => return Some(i),
                _ => return None,
            }
            i += 1;
        }
    }

    /// A quoted identifier, its doubled delimiters undone.
    fn quoted(&mut self, delim: u8) -> Cow<'a, [u8]> {
        self.pos += 1;
        let start = self.pos;
        let mut end = self.sql.len();
        let mut doubled = false;
        while let Some(c) = self.at(0) {
            self.pos += 1;
            if c == delim {
                if self.at(0) != Some(delim) {
                    end = self.pos - 1;
                    break;
                }
                doubled = true;
                self.pos += 1;
            }
        }
        let raw = &self.sql[start..end];
        if !doubled {
            return Cow::Borrowed(raw);
        }
        // Every delimiter left inside is the first of a pair.
        let mut name = Vec::with_capacity(raw.len());
        let mut bytes = raw.iter();
        while let Some(&c) = bytes.next() {
            name.push(c);
            if c == delim {
                bytes.next();
            }
        }
        Cow::Owned(name)
    }

    /// A SQLite `[…]` identifier (no escapes: it ends at the first `]`).
    fn bracketed(&mut self) -> Cow<'a, [u8]> {
        self.pos += 1;
        let start = self.pos;
        let end = self.sql[start..]
            .iter()
            .position(|&c| c == b']')
            .map_or(self.sql.len(), |n| start + n);
        self.pos = (end + 1).min(self.sql.len());
        Cow::Borrowed(&self.sql[start..end])
    }

    /// Postgres `$`: a parameter (`$1`), a dollar-quoted literal
    /// (`$tag$…$tag$`, the tag optional), or a lone `$`.
    fn dollar(&mut self) {
        let start = self.pos;
        let mut i = start + 1;
        if self.sql.get(i).is_some_and(u8::is_ascii_digit) {
            while self.sql.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            self.pos = i;
            return;
        }
        if self.sql.get(i).is_some_and(|&c| is_ident_start(c)) {
            while self
                .sql
                .get(i)
                .is_some_and(|&c| is_ident_char(c) && c != b'$')
            {
                i += 1;
            }
        }
        if self.sql.get(i) != Some(&b'$') {
            self.pos = start + 1;
            return;
        }
        let delim = &self.sql[start..=i];
        let body = i + 1;
        self.pos = self.sql[body..]
            .windows(delim.len())
            .position(|w| w == delim)
            .map_or(self.sql.len(), |n| body + n + delim.len());
    }

    /// A SQLite variable (`$name`, `@name`, `:name`, `#name`), as SQLite
    /// reads it: `::` may join parts, and a `(` after the name runs to the
    /// next `)` or whitespace, whatever lies between (a Tcl array index).
    fn sqlite_variable(&mut self) {
        let mut i = self.pos + 1;
        let mut letters = 0;
        while let Some(&c) = self.sql.get(i) {
            if is_ident_char(c) {
                letters += 1;
                i += 1;
            } else if c == b'(' && letters > 0 {
                i += 1;
                while self
                    .sql
                    .get(i)
                    .is_some_and(|&c| !matches!(c, b' ' | b'\t'..=b'\r' | b')'))
                {
                    i += 1;
                }
                if self.sql.get(i) == Some(&b')') {
                    i += 1;
                }
                break;
            } else if c == b':' && self.sql.get(i + 1) == Some(&b':') {
                i += 2;
            } else {
                break;
            }
        }
        self.pos = i;
    }

    /// A number. SQLite takes every identifier byte after it into the
    /// (then illegal) token; Postgres stops after digits, dots and an
    /// exponent, so `1e'…'` reads there as `1` then an `E'…'` literal.
    fn number(&mut self) {
        if !self.postgres() {
            while self.at(0).is_some_and(|c| is_ident_char(c) || c == b'.') {
                self.pos += 1;
            }
            return;
        }
        while self.at(0).is_some_and(|c| c.is_ascii_digit() || c == b'.') {
            self.pos += 1;
        }
        if matches!(self.at(0), Some(b'e' | b'E')) {
            let digits_at = match self.at(1) {
                Some(b'+' | b'-') => 2,
                _ => 1,
            };
            if self.at(digits_at).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += digits_at;
                while self.at(0).is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
        }
    }

    /// An unquoted word, or on Postgres the `E` of an `E'…'` literal or the
    /// `U` of a refused `U&"…"` identifier.
    fn word(&mut self) -> Result<Token<'a>, String> {
        let start = self.pos;
        while self.at(0).is_some_and(is_ident_char) {
            self.pos += 1;
        }
        let word = &self.sql[start..self.pos];
        if self.postgres() && word.len() == 1 {
            if word.eq_ignore_ascii_case(b"e") && self.at(0) == Some(b'\'') {
                self.escape_string();
                return Ok(Token::Other);
            }
            if word.eq_ignore_ascii_case(b"u")
                && self.at(0) == Some(b'&')
                && self.at(1) == Some(b'"')
            {
                return Err("use U&\"…\" identifiers".into());
            }
        }
        Ok(Token::Word(word))
    }
}

#[cfg(test)]
mod tests;
