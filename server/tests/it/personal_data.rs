//! Personal data sealed with the tenant's key (`encryption.personal_data`,
//! `tenancy::keys::personal`): members' addresses and names and invitees'
//! addresses hold nothing readable at rest, yet sign-in, duplicates and
//! re-invitations still find an address by its blind index; the same
//! address gets another index in another tenant; an export carries the
//! data opened and a restore seals it under the new tenant; addresses
//! stored plain before the setting are still found, and a key rotation
//! seals them.

use crate::harness::{TestApp, PASSWORD};
use sea_orm::{ConnectionTrait, Statement};
use tenantry::identity::members::{self, NewMember};
use tenantry::identity::throttle::ClientIp;
use tenantry::identity::{invitations, Actor, Email, Role};
use tenantry::lifecycle::{key_rotation, restore};
use tenantry::tenancy::{Engine, TenantCtx};

const SEALED: &[(&str, &str)] = &[
    (
        "encryption.personal_data",
        "users.email, users.display_name, invitations.email",
    ),
    ("encryption.cache_secs", "1"),
];

mod sealed {
    use crate::harness::TestApp;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        super::addresses_and_names_are_sealed_and_still_found(
            TestApp::sqlite_with(super::SEALED).await,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        super::addresses_and_names_are_sealed_and_still_found(
            TestApp::postgres_with(super::SEALED).await,
        )
        .await
    }
}

mod sealed_later {
    use crate::harness::TestApp;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        super::addresses_stored_plain_are_found_then_sealed_by_a_rotation(
            TestApp::sqlite_with(&[("encryption.cache_secs", "1")]).await,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        super::addresses_stored_plain_are_found_then_sealed_by_a_rotation(
            TestApp::postgres_with(&[("encryption.cache_secs", "1")]).await,
        )
        .await
    }
}

#[test]
fn a_column_that_cannot_be_sealed_is_refused_by_name() {
    let refused = tenantry::Settings::from_pairs(&[
        ("secret_key", "0123456789abcdef0123456789abcdef"),
        (
            "encryption.personal_data",
            "users.email,users.password_hash",
        ),
    ])
    .expect_err("refused")
    .to_string();
    assert!(
        refused.contains("encryption.personal_data") && refused.contains("\"users.password_hash\""),
        "{refused}"
    );
}

/// Every row of `table` as stored: `columns`, in order of creation.
async fn stored_rows(ctx: &TenantCtx, table: &str, columns: &str) -> Vec<Vec<Option<String>>> {
    let db = ctx.read().await.expect("db");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT {columns} FROM {table} ORDER BY created_at"),
        ))
        .await
        .expect("read");
    db.commit().await.expect("commit");
    let names: Vec<&str> = columns.split(',').map(str::trim).collect();
    rows.iter()
        .map(|row| {
            names
                .iter()
                .map(|c| row.try_get::<Option<String>>("", c).expect("text"))
                .collect()
        })
        .collect()
}

async fn add_member(ctx: &TenantCtx, email: &str, name: &str) -> tenantry::Result<members::Member> {
    let new = NewMember::parse(email, name, PASSWORD, "member")?;
    ctx.run(true, async |db| members::create(db, new).await)
        .await
}

async fn signs_in(ctx: &TenantCtx, email: &str) -> bool {
    members::authenticate(ctx, email, PASSWORD, ClientIp(None))
        .await
        .is_ok()
}

fn owner_actor() -> Actor {
    Actor {
        role: Role::Owner,
        member: None,
        label: "test".into(),
    }
}

async fn addresses_and_names_are_sealed_and_still_found(app: TestApp) {
    let _jobs = app.run_jobs();
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    add_member(&alpha, "Kim.Lee@Example.test", "Kim Lee")
        .await
        .expect("member");
    add_member(&bravo, "kim.lee@example.test", "Kim Lee")
        .await
        .expect("the same address in another tenant");

    // At rest: sealed texts and blind indexes, nothing readable.
    let rows = stored_rows(&alpha, "users", "email, display_name, email_index").await;
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let [email, name, index] = [&row[0], &row[1], &row[2]].map(|v| v.clone().expect("set"));
        assert!(
            email.starts_with("tk1.") && name.starts_with("tk1."),
            "{row:?}"
        );
        assert!(index.starts_with("bi1."), "{row:?}");
        for plain in ["owner@alpha.test", "kim.lee", "Kim Lee"] {
            assert!(!row.iter().flatten().any(|v| v.contains(plain)), "{row:?}");
        }
    }
    let bravo_rows = stored_rows(&bravo, "users", "email_index").await;
    assert_ne!(
        rows[1][2], bravo_rows[1][0],
        "the same address has another index in another tenant"
    );

    // Found by its index: sign-in (any case), a duplicate, the list.
    assert!(signs_in(&alpha, "KIM.LEE@example.test").await);
    assert!(!signs_in(&alpha, "kim.lee@example.test.other").await);
    let mut owner = app.owner_client("alpha").await;
    assert_eq!(
        owner.get("/api/v1/projects").await.status,
        axum::http::StatusCode::OK
    );
    let duplicate = add_member(&alpha, "kim.lee@example.test", "Another").await;
    match duplicate {
        Err(tenantry::Error::Conflict(c)) => assert_eq!(c.field, "email"),
        other => panic!("a duplicate address: {other:?}"),
    }
    let listed = alpha
        .run(false, async |db| members::list(db).await)
        .await
        .expect("members");
    let seen: Vec<(&str, &str)> = listed
        .iter()
        .map(|m| (m.email.as_str(), m.display_name.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("owner@alpha.test", "owner"),
            ("kim.lee@example.test", "Kim Lee")
        ]
    );
    let me = alpha
        .run(false, async |db| {
            members::find_by_email(db, &Email::parse("e", "kim.lee@example.test")?).await
        })
        .await
        .expect("find")
        .expect("found");
    let renamed = members::rename(&alpha, &me, "Kim S. Lee")
        .await
        .expect("rename");
    assert_eq!(renamed.display_name, "Kim S. Lee");
    assert!(stored_rows(&alpha, "users", "display_name").await[1][0]
        .as_deref()
        .is_some_and(|v| v.starts_with("tk1.")));

    // Invitations: sealed, listed opened, an address invited again replaces
    // its pending invitation (found by its index).
    invitations::invite(&alpha, &owner_actor(), "guest@example.test", "viewer")
        .await
        .expect("invite");
    invitations::invite(&alpha, &owner_actor(), "Guest@example.test", "member")
        .await
        .expect("invite again");
    let invited = stored_rows(&alpha, "invitations", "email, email_index").await;
    assert!(invited
        .iter()
        .all(|r| r[0].as_deref().is_some_and(|v| v.starts_with("tk1."))
            && r[1].as_deref().is_some_and(|v| v.starts_with("bi1."))));
    let listed = invitations::list(&alpha).await.expect("invitations");
    let states: Vec<(&str, String)> = listed
        .iter()
        .map(|i| (i.email.as_str(), format!("{:?}", i.state)))
        .collect();
    assert_eq!(
        states,
        [
            ("guest@example.test", "Pending".to_owned()),
            ("guest@example.test", "Revoked".to_owned())
        ]
    );

    // An export holds the data opened and no index; restored as a new
    // tenant, its people are sealed under that tenant's key and sign in.
    let archive = crate::restore::archive_of(&app.engine, &alpha).await;
    let data = crate::restore::data_of(&archive);
    let users = data["tables/users.jsonl"].join("\n");
    assert!(users.contains("kim.lee@example.test") && users.contains("Kim S. Lee"));
    assert!(
        !users.contains("tk1.") && !users.contains("email_index"),
        "{users}"
    );
    restore::restore_as_new(
        &app.engine,
        &archive,
        restore::NewTarget {
            slug: "copy".into(),
            name: "Copy".into(),
            placement: String::new(),
            owner_email: "owner@copy.test".into(),
        },
        "test",
    )
    .await
    .expect("restore");
    assert_eq!(
        crate::restore::restored(&app.engine, "copy").await.state,
        "done"
    );
    let copy = app.ctx("copy").await;
    let copied = stored_rows(&copy, "users", "email, email_index").await;
    assert!(copied
        .iter()
        .all(|r| r[0].as_deref().is_some_and(|v| v.starts_with("tk1."))
            && r[1].as_deref().is_some_and(|v| v.starts_with("bi1."))));
    assert_ne!(
        copied[1][1], rows[1][2],
        "indexed under the new tenant's key"
    );
    let found = copy
        .run(false, async |db| {
            members::find_by_email(db, &Email::parse("e", "kim.lee@example.test")?).await
        })
        .await
        .expect("find");
    assert_eq!(found.map(|m| m.display_name), Some("Kim S. Lee".into()));
    let again = crate::restore::archive_of(&app.engine, &copy).await;
    assert_eq!(crate::restore::data_of(&again), data);
}

async fn addresses_stored_plain_are_found_then_sealed_by_a_rotation(app: TestApp) {
    let alpha = app.tenant("alpha").await;
    add_member(&alpha, "kim@example.test", "Kim")
        .await
        .expect("member");
    invitations::invite(&alpha, &owner_actor(), "guest@example.test", "viewer")
        .await
        .expect("invite");
    assert_eq!(
        stored_rows(&alpha, "users", "email").await[1][0].as_deref(),
        Some("kim@example.test"),
        "stored plain while the setting names nothing"
    );
    // A name that would read as a sealed value is refused by name; an
    // address that merely starts like one is an address.
    let lookalike = add_member(
        &alpha,
        "mimic@example.test",
        "tk1.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .await;
    match lookalike {
        Err(tenantry::Error::Invalid(f)) => assert_eq!(f.field, "display_name"),
        other => panic!("a name like a sealed value: {other:?}"),
    }
    add_member(&alpha, "tk1.2.bob@example.test", "Bob")
        .await
        .expect("an address starting like a sealed value");

    // The same deployment, now sealing: plain addresses are still found.
    let sealing = app.with_settings(SEALED).await;
    let _jobs = crate::harness::run_jobs_on(&sealing);
    let ctx = sealing.ctx_for(alpha.id()).await.expect("ctx");
    assert!(signs_in(&ctx, "kim@example.test").await);
    let duplicate = add_member(&ctx, "kim@example.test", "Twin").await;
    assert!(
        matches!(duplicate, Err(tenantry::Error::Conflict(_))),
        "{duplicate:?}"
    );
    add_member(&ctx, "new@example.test", "New")
        .await
        .expect("sealed member");

    // A key rotation of every tenant (`tenantry keys rotate-all`) seals
    // what is stored plain and indexes it; a second call finds them under
    // way.
    let (started, _) = key_rotation::start_for_every_tenant(&sealing, "test")
        .await
        .expect("rotations");
    assert_eq!(started, 1);
    let again = key_rotation::start_for_every_tenant(&sealing, "test").await;
    assert_eq!(again.expect("again"), (0, 1));
    let done = rotated(&sealing, &ctx).await;
    assert!(done.values_total >= 7, "{done:?}");
    for row in stored_rows(&ctx, "users", "email, display_name, email_index").await {
        assert!(
            row[0].as_deref().is_some_and(|v| v.starts_with("tk1.2.")),
            "{row:?}"
        );
        assert!(
            row[1].as_deref().is_some_and(|v| v.starts_with("tk1.2.")),
            "{row:?}"
        );
        assert!(
            row[2].as_deref().is_some_and(|v| v.starts_with("bi1.")),
            "{row:?}"
        );
    }
    let invited = stored_rows(&ctx, "invitations", "email, email_index").await;
    assert!(invited[0][0]
        .as_deref()
        .is_some_and(|v| v.starts_with("tk1.2.")));
    for email in [
        "kim@example.test",
        "new@example.test",
        "owner@alpha.test",
        "tk1.2.bob@example.test",
    ] {
        assert!(signs_in(&ctx, email).await, "{email}");
    }
    let listed = invitations::list(&ctx).await.expect("invitations");
    assert_eq!(listed[0].email, "guest@example.test");
}

async fn rotated(engine: &Engine, ctx: &TenantCtx) -> key_rotation::RotationView {
    for _ in 0..300 {
        let latest = key_rotation::latest(ctx)
            .await
            .expect("latest")
            .expect("one");
        assert_ne!(latest.state, "failed", "{latest:?}");
        if latest.state == "done" {
            return latest;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let jobs = tenantry::jobs::list(ctx, 10).await.expect("jobs");
    panic!(
        "the rotation did not finish on {:?}: {jobs:#?}",
        engine.backend()
    );
}
