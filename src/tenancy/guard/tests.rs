use super::*;
use Dialect::{Postgres, Sqlite};

#[track_caller]
fn allowed(dialect: Dialect, sql: &str) {
    if let Err(reason) = inspect(dialect, sql) {
        panic!("{dialect:?} refused {sql:?}: {reason}");
    }
}

/// Refused, with a reason that contains `reason`.
#[track_caller]
fn refused(dialect: Dialect, sql: &str, reason: &str) {
    match inspect(dialect, sql) {
        Ok(()) => panic!("{dialect:?} allowed {sql:?}"),
        Err(got) => assert!(got.contains(reason), "{sql:?}: {got:?} lacks {reason:?}"),
    }
}

#[track_caller]
fn refused_on_both(sql: &str, reason: &str) {
    refused(Postgres, sql, reason);
    refused(Sqlite, sql, reason);
}

#[track_caller]
fn allowed_on_both(sql: &str) {
    allowed(Postgres, sql);
    allowed(Sqlite, sql);
}

#[test]
fn the_error_names_the_reason() {
    let err = check(
        DbBackend::Postgres,
        "SELECT set_config('app.tenant_id', 'x', true)",
    )
    .expect_err("refused");
    assert!(
        matches!(&err, DbErr::Custom(m) if m == "tenantry: a tenant transaction cannot change its binding (set_config)"),
        "{err:?}"
    );
    assert!(check(DbBackend::Sqlite, "SELECT 1").is_ok());
    assert!(check(DbBackend::MySql, "SELECT 1").is_err());
}

#[test]
fn set_config_is_refused_however_it_is_called() {
    for sql in [
        "SELECT set_config('app.tenant_id', 'b', true)",
        "select SET_CONFIG('search_path', 'x', false)",
        "SELECT pg_catalog.set_config('app.tenant_id', 'b', true)",
        "SELECT \"set_config\"('app.tenant_id', 'b', true)",
        "SELECT pg_catalog . \"set_config\" ('a', 'b', true)",
        "SELECT set_config /* hidden? */ ('a', 'b', true)",
        "SELECT set_config--\n('a', 'b', true)",
        "SELECT x FROM t WHERE set_config('a', x, true) IS NOT NULL",
        "WITH s AS (SELECT set_config('a', 'b', true)) SELECT * FROM s",
    ] {
        refused_on_both(sql, "change its binding (set_config)");
    }
    allowed_on_both("SELECT current_setting('app.tenant_id', true) AS t");
    allowed_on_both("SELECT set_configuration FROM t");
}

#[test]
fn rebinding_and_settings_updates_are_refused() {
    refused(
        Postgres,
        "SELECT public.tenantry_enter('00000000-0000-0000-0000-000000000000'::uuid, 'public', true)",
        "change its binding (tenantry_enter)",
    );
    refused(
        Postgres,
        "UPDATE pg_settings SET setting = 'b' WHERE name = 'app.tenant_id'",
        "change its binding (pg_settings)",
    );
    refused(
        Postgres,
        "UPDATE pg_catalog.\"pg_settings\" SET setting = 'x' WHERE name = 'search_path'",
        "pg_settings",
    );
}

#[test]
fn set_reset_and_discard_are_refused() {
    for sql in [
        "SET LOCAL app.tenant_id = 'b'",
        "SET app.tenant_id TO 'b'",
        "SET SESSION app.tenant_id = 'b'",
        "SET search_path = public",
        "SET LOCAL search_path TO tenant_b",
        "SET ROLE tenantry_owner",
        "SET SESSION AUTHORIZATION tenantry_owner",
        "SET row_security = off",
        "SET transaction_read_only = off",
        "SET default_transaction_read_only = off",
        "SET TRANSACTION READ WRITE",
        "SET TIME ZONE 'UTC'",
    ] {
        refused_on_both(sql, "change its binding (SET)");
    }
    refused_on_both("RESET app.tenant_id", "change its binding (RESET)");
    refused_on_both("RESET ALL", "RESET");
    refused_on_both("RESET ROLE", "RESET");
    refused_on_both("DISCARD ALL", "change its binding (DISCARD)");
}

#[test]
fn set_constraints_is_allowed() {
    allowed_on_both("SET CONSTRAINTS ALL DEFERRED");
    allowed_on_both("set constraints tasks_project_fk immediate");
    allowed_on_both("SET /* deferred */ CONSTRAINTS ALL DEFERRED");
    refused_on_both("SET \"constraints\" = 1", "SET");
}

#[test]
fn transaction_control_is_refused() {
    for (sql, keyword) in [
        ("BEGIN", "BEGIN"),
        ("START TRANSACTION", "START"),
        ("COMMIT", "COMMIT"),
        ("END", "END"),
        ("ROLLBACK", "ROLLBACK"),
        ("ABORT", "ABORT"),
        ("SAVEPOINT s", "SAVEPOINT"),
        ("RELEASE SAVEPOINT s", "RELEASE"),
        ("ROLLBACK TO SAVEPOINT s", "ROLLBACK"),
        ("PREPARE TRANSACTION 'x'", "PREPARE"),
        ("COMMIT PREPARED 'x'", "COMMIT"),
        ("commit; SELECT count(*) FROM users", "COMMIT"),
    ] {
        refused_on_both(sql, &format!("end its transaction ({keyword})"));
    }
    refused(Postgres, "PREPARE p AS SELECT 1", "PREPARE");
}

#[test]
fn code_that_could_bind_out_of_sight_is_refused() {
    refused(
        Postgres,
        "DO $$ BEGIN PERFORM 1; END $$",
        "run DO statements",
    );
    refused(
        Postgres,
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'SELECT 1'",
        "CREATE",
    );
    refused_on_both(
        "CREATE TEMP TABLE projects (id int)",
        "run CREATE statements",
    );
    refused(
        Postgres,
        "SELECT * INTO TEMP projects FROM projects",
        "SELECT … INTO",
    );
    refused(
        Postgres,
        "WITH p AS (SELECT 1 AS id) SELECT id INTO UNLOGGED t FROM p",
        "SELECT … INTO",
    );
    refused(
        Postgres,
        "SELECT query_to_xml('SELECT set_config(''app.tenant_id'', ''b'', true)', true, true, '')",
        "run SQL text (query_to_xml)",
    );
    refused(Postgres, "SELECT * FROM ts_stat('SELECT 1')", "ts_stat");
    refused(
        Postgres,
        "SELECT U&\"\\0073et_config\"('a', 'b', true)",
        "U&",
    );
    refused_on_both("SELECT 1\0; SET x = 1", "NUL");
    for sql in [
        "EXPLAIN ANALYZE SELECT 1",
        "LISTEN tenantry",
        "COPY projects TO STDOUT",
        "VACUUM",
    ] {
        refused_on_both(sql, "statements");
    }
    refused_on_both("'text' ; SELECT 1", "does not begin with a keyword");
}

#[test]
fn sqlite_cannot_reach_other_files_or_write_pragmas() {
    refused(
        Sqlite,
        "ATTACH DATABASE '/data/tenants/b.db' AS b",
        "reach another database (ATTACH)",
    );
    refused(Sqlite, "attach '/data/tenants/b.db' as b", "ATTACH");
    refused(Sqlite, "DETACH DATABASE b", "DETACH");
    refused(Sqlite, "VACUUM INTO '/tmp/copy.db'", "VACUUM");
    refused(Sqlite, "SELECT load_extension('x')", "load extensions");
    for sql in [
        "PRAGMA journal_mode = DELETE",
        "PRAGMA query_only = 0",
        "pragma writable_schema = on",
        "PRAGMA main.table_info(projects)",
        "PRAGMA \"table_info\"(projects)",
        "PRAGMA",
    ] {
        refused(Sqlite, sql, "PRAGMA");
    }
    allowed(Sqlite, "PRAGMA table_info(projects)");
    allowed(Sqlite, "pragma INDEX_LIST('projects')");
    allowed(
        Sqlite,
        "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p",
    );
}

#[test]
fn case_and_comments_do_not_hide_a_statement() {
    refused_on_both("SeT lOcAl App.Tenant_Id = 'b'", "SET");
    refused_on_both("/* a comment */ SET search_path = x", "SET");
    refused_on_both("-- a comment\nSET search_path = x", "SET");
    refused_on_both("/**/SET search_path = x", "SET");
    refused_on_both("(SET search_path = x)", "SET");
    refused(Postgres, "-- a comment\rSET search_path = x", "SET");
    refused_on_both("SELECT 1 /* ; */; /* x */ reset/**/all", "RESET");
    // Nested on Postgres: the whole text is one comment there...
    allowed(
        Postgres,
        "/* outer /* inner */ SET search_path = x */ SELECT 1",
    );
    // ...but SQLite ends the comment at the first `*/`.
    refused(
        Sqlite,
        "/* outer /* inner */ SET search_path = x */ SELECT 1",
        "SET",
    );
    // A quote inside a comment opens nothing.
    refused_on_both("SELECT 1 /* ' */; SET x = 1; --'", "SET");
    refused_on_both("SELECT 1 -- '\n; SET x = 1; --'", "SET");
    // SQLite ends `--` comments at `\n` only: here the `'` is code.
    refused(
        Sqlite,
        "SELECT 1 -- \r ' \n; ATTACH 'x' AS b; --'",
        "ATTACH",
    );
    allowed(Postgres, "SELECT 1 -- \r ' \n; ATTACH 'x' AS b; --'");
}

#[test]
fn a_second_statement_is_checked_too() {
    refused_on_both("SELECT 1; SET search_path = x", "SET");
    refused_on_both("SELECT 1;COMMIT", "COMMIT");
    refused_on_both(
        "INSERT INTO t (a) VALUES (1); select set_config('a', 'b', true)",
        "set_config",
    );
    refused(Sqlite, "SELECT 1; ATTACH DATABASE 'b.db' AS b", "ATTACH");
    allowed_on_both("SELECT 1; SELECT 2;");
    allowed_on_both("");
    allowed_on_both(" ; ;\n-- only a comment");
}

#[test]
fn literals_may_hold_anything() {
    for sql in [
        "SELECT 'set_config(' AS s",
        "SELECT 'SET search_path = x; COMMIT' AS s",
        "SELECT 'it''s; SET search_path = x' AS s",
        "INSERT INTO notes (body) VALUES ('x; ATTACH DATABASE ''y'' AS z; --')",
        "SELECT 1 AS \"SET search_path; COMMIT\"",
        "SELECT 1 AS \"a\"\"; SET x = 1; --\"",
        "SELECT 'a' -- ;SET x\n AS s",
        "UPDATE t SET note = '/* ; SET x = 1' WHERE id = 1",
    ] {
        allowed_on_both(sql);
    }
    // An identifier quoted with doubled quotes still names set_config.
    refused_on_both("SELECT \"set_config\"", "set_config");
    allowed_on_both("SELECT \"set\"\"config\" FROM t");
    allowed(
        Sqlite,
        "SELECT [SET search_path; COMMIT], `a``; SET x` FROM t",
    );
    allowed(Sqlite, "SELECT 1 AS [set_confi]");
    refused(Sqlite, "SELECT 1 AS [set_config]", "set_config");
}

#[test]
fn postgres_escape_strings_end_where_postgres_ends_them() {
    allowed(Postgres, "SELECT E'it\\'s; SET search_path = x' AS s");
    // E'\\' is one backslash: the SET after it is code.
    refused(Postgres, "SELECT E'\\\\'; SET search_path = x; --'", "SET");
    refused(Postgres, "SELECT e'\\''; SET search_path = x; --'", "SET");
    // Continued across a line break, the literal still has escapes.
    refused(
        Postgres,
        "SELECT E'a'\n'\\' ' ; SET search_path = x; --'",
        "SET",
    );
    refused(
        Postgres,
        "SELECT E'a' -- note\n '\\' ' ; SET search_path = x; --'",
        "SET",
    );
    allowed(Postgres, "SELECT E'a'\n'\\'; SET search_path = x' AS s");
    // Not continued on the same line (that is two tokens, an error).
    refused(Postgres, "SELECT E'a' '\\' ; SET x = 1; --'", "SET");
    // Only a lone E prefixes; `type'…'` is a plain literal.
    refused(Postgres, "SELECT fe'\\'; SET x = 1; --'", "SET");
    allowed(Postgres, "SELECT 1e'\\'; SET x = 1; --'");
    // SQLite has no escape strings.
    refused(Sqlite, "SELECT E'it\\'s; SET search_path = x' AS s", "SET");
}

#[test]
fn dollar_quoted_bodies_are_literals() {
    allowed(Postgres, "SELECT $$ SET search_path = x; COMMIT $$ AS s");
    allowed(Postgres, "SELECT $fn$ set_config('a', 'b', true) $fn$ AS s");
    allowed(Postgres, "SELECT $a$ $b$ ; SET x = 1 $b$ $a$ AS s");
    allowed(Postgres, "SELECT $a$ x$a$ AS s");
    refused(Postgres, "SELECT $a$ x $a$; SET x = 1", "SET");
    // `$1` is a parameter, not a quote.
    allowed(Postgres, "SELECT $1, $2 FROM t WHERE a = $1");
    refused(Postgres, "SELECT $1; SET x = 1; $1", "SET");
    // Inside an identifier `$` is a letter: no quote starts.
    refused(Postgres, "SELECT a$b$; SET x = 1; --$b$", "SET");
    // After a number it does start one (as it does for Postgres).
    refused(Postgres, "SELECT 1$a$ ' $a$; SET x = 1; --'", "SET");
    // SQLite has no dollar quotes.
    refused(Sqlite, "SELECT $$; ATTACH 'b.db' AS b; --$$", "ATTACH");
}

#[test]
fn sqlite_variables_and_brackets_are_read_as_sqlite_reads_them() {
    // `$a(…)` runs to `)`, swallowing the quote: the ATTACH is code.
    refused(
        Sqlite,
        "SELECT $a(') ; ATTACH DATABASE 'b.db' AS b; --'",
        "ATTACH",
    );
    refused(
        Sqlite,
        "SELECT 1 AS [$a$]; ATTACH 'b.db' AS b; SELECT 1 AS [$a$]",
        "ATTACH",
    );
    refused(
        Sqlite,
        "SELECT 1 AS [a'] ; ATTACH 'b.db' AS b; --'",
        "ATTACH",
    );
    allowed(Sqlite, "SELECT :name, @other, ?1, $x::y FROM t");
}

#[test]
fn ordinary_statements_pass() {
    for sql in [
        "SELECT \"projects\".\"id\", \"projects\".\"name\" FROM \"projects\" WHERE \"projects\".\"tenant_id\" = $1 LIMIT $2",
        "INSERT INTO \"projects\" (\"tenant_id\", \"id\", \"name\") VALUES ($1, $2, $3) RETURNING \"id\"",
        "INSERT INTO projects (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name",
        "INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING",
        "UPDATE \"projects\" SET \"name\" = $1 WHERE \"projects\".\"id\" = $2",
        "DELETE FROM \"tasks\" WHERE \"tasks\".\"project_id\" = $1",
        "WITH moved AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved",
        "(SELECT 1) UNION (SELECT 2)",
        "VALUES (1), (2)",
        "SELECT count(*) AS n FROM users",
        "SELECT COUNT(*) AS n FROM users",
        "DELETE FROM projects",
        "SELECT * FROM projects ORDER BY 1, 2",
        "SELECT p.id, COUNT(t.id) AS task_count, COALESCE(SUM(CASE WHEN t.done THEN 1 ELSE 0 END), 0) AS done_count FROM projects p LEFT JOIN tasks t ON t.project_id = p.id GROUP BY p.id",
        "SELECT CAST(SUM(quantity) AS BIGINT) AS total FROM usage_events WHERE meter = $1 AND at >= $2",
        "SELECT coalesce(current_setting('app.tenant_id', true), '') AS t",
        "SELECT 1.5e-3, .5, 0x1F FROM t",
        "SELECT name FROM users WHERE email LIKE '%@%' AND note <> ''",
        "SELECT a::text || ' ' || b FROM t",
        "SELECT ARRAY[1, 2][1]",
        "select * from t for update",
    ] {
        allowed_on_both(sql);
    }
    allowed(Postgres, "TABLE projects");
    allowed(Postgres, "TRUNCATE projects");
    allowed(
        Postgres,
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT (id, a) VALUES (s.id, s.a)",
    );
    allowed(Postgres, "SELECT ée, \"é\" FROM t");
    allowed(Sqlite, "INSERT OR REPLACE INTO t (a) VALUES (1)");
    allowed(Sqlite, "INSERT OR IGNORE INTO t (a) VALUES (1)");
    allowed(Sqlite, "REPLACE INTO t (a) VALUES (1)");
    allowed(Sqlite, "SELECT x'00ff', X'AB' FROM t");
}
