//! Per-tenant data keys (`tenancy::keys`): each tenant's secrets, files and
//! export archives are sealed with its own key and hold nothing readable at
//! rest; a value or file moved to another tenant does not open; the
//! platform's key-encryption key rotates by re-wrapping; a tenant's key
//! rotates online; and a purge destroys the key first, so an old backup of
//! the data, restored after the purge, is unreadable.

use crate::harness::{pg_admin, pg_url, TestApp};
use sea_orm::{ConnectionTrait, Statement};
use tenantry::events::{endpoints, Owner};
use tenantry::lifecycle::key_rotation;
use tenantry::storage::Asset;
use tenantry::tenancy::{Engine, TenantCtx};

crate::on_both_backends!(secrets_files_and_archives_are_sealed_with_the_tenants_own_key);

mod rotation {
    use crate::harness::TestApp;
    const FAST: &[(&str, &str)] = &[
        ("encryption.key", super::KEK_ONE),
        ("encryption.cache_secs", "1"),
    ];

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        super::keys_rotate_without_losing_a_value(TestApp::sqlite_with(FAST).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        super::keys_rotate_without_losing_a_value(TestApp::postgres_with(FAST).await).await
    }
}

mod shredding {
    use crate::harness::TestApp;
    /// Its people's addresses and names sealed too.
    const PERSONAL: &[(&str, &str)] =
        &[("encryption.personal_data", "users.email,users.display_name")];

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        super::a_purge_leaves_an_old_backup_unreadable(TestApp::sqlite_with(PERSONAL).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        super::a_purge_leaves_an_old_backup_unreadable(TestApp::postgres_with(PERSONAL).await).await
    }
}

const KEK_ONE: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const KEK_TWO: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// The first stored value of `column` in the tenant's plane, as stored.
async fn stored(ctx: &TenantCtx, table: &str, column: &str) -> String {
    let db = ctx.read().await.expect("db");
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT {column} AS v FROM {table}"),
        ))
        .await
        .expect("read")
        .expect("a row");
    db.commit().await.expect("commit");
    row.try_get("", "v").expect("v")
}

async fn overwrite(ctx: &TenantCtx, table: &str, column: &str, value: &str) {
    let db = ctx.db().await.expect("db");
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => format!("UPDATE {table} SET {column} = $1"),
        _ => format!("UPDATE {table} SET {column} = ?"),
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [value.into()]))
        .await
        .expect("update");
    db.commit().await.expect("commit");
}

/// An object of the tenant's as the object store holds it.
fn object_file(app: &TestApp, ctx: &TenantCtx, key: &str) -> std::path::PathBuf {
    app.settings
        .data_dir
        .join("objects/tenants")
        .join(ctx.id().to_string())
        .join(key)
}

async fn endpoint_of(app: &TestApp, ctx: &TenantCtx) -> String {
    endpoints::create(
        &app.engine,
        Owner::of(ctx),
        "https://hooks.example/in",
        "",
        "*",
        "test",
    )
    .await
    .expect("endpoint")
    .secret
}

async fn logo_of(ctx: &TenantCtx) -> Vec<u8> {
    tenantry::branding::assets::upload(
        ctx,
        Asset::Logo,
        &crate::branding_assets::png(24, 24),
        "test",
    )
    .await
    .expect("logo");
    tenantry::branding::assets::fetch(ctx, Asset::Logo)
        .await
        .expect("fetch")
        .expect("stored")
}

async fn secrets_files_and_archives_are_sealed_with_the_tenants_own_key(app: TestApp) {
    let _jobs = app.run_jobs();
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    let alpha_secret = endpoint_of(&app, &alpha).await;
    endpoint_of(&app, &bravo).await;

    // At rest: the signing secret is sealed (generation 1), not the secret.
    let at_rest = stored(&alpha, "webhook_endpoints", "secret").await;
    assert!(at_rest.starts_with("tk1.1."), "{at_rest}");
    assert!(!at_rest.contains(&alpha_secret) && !at_rest.contains("whsec"));
    // Through the platform it opens.
    let listed = endpoints::list(&app.engine, Owner::of(&alpha))
        .await
        .expect("list");
    assert!(alpha_secret.starts_with(listed[0].secret_hint.trim_end_matches('…')));

    // Files: the logo is served as the PNG it is; on disk it is sealed.
    let logo = logo_of(&alpha).await;
    assert!(logo.starts_with(b"\x89PNG"));
    let on_disk = std::fs::read(object_file(&app, &alpha, "branding/logo.png")).expect("file");
    assert!(on_disk.starts_with(b"TKO1"), "sealed header");
    assert!(
        !on_disk.windows(4).any(|w| w == b"IHDR"),
        "no PNG chunk in the clear"
    );

    // Export archives: downloadable as a tar, sealed in the store.
    let export = tenantry::exports::request(&app.engine, alpha.tenant(), "test")
        .await
        .expect("export");
    let mut state = String::new();
    for _ in 0..300 {
        let list = tenantry::exports::list(&app.engine, alpha.tenant())
            .await
            .expect("exports");
        state = list[0].state.clone();
        if state == "done" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state, "done");
    let (tar, _) = tenantry::exports::archive(&app.engine, alpha.tenant(), export.id)
        .await
        .expect("archive");
    assert!(tar.windows(13).any(|w| w == b"manifest.json"));
    let key = format!("exports/{}.tar", export.id);
    let sealed_tar = std::fs::read(object_file(&app, &alpha, &key)).expect("archive file");
    assert!(sealed_tar.starts_with(b"TKO1"));
    assert!(!sealed_tar.windows(13).any(|w| w == b"manifest.json"));
    assert!(
        !sealed_tar.windows(5).any(|w| w == b"alpha"),
        "no row in the clear"
    );

    // Moved to another tenant, a sealed value does not open: bravo's row
    // given alpha's ciphertext makes bravo's list fail, never show alpha's.
    overwrite(&bravo, "webhook_endpoints", "secret", &at_rest).await;
    assert!(endpoints::list(&app.engine, Owner::of(&bravo))
        .await
        .is_err());
    // Nor does a file: alpha's sealed logo under bravo's prefix.
    let bravo_logo = object_file(&app, &bravo, "branding/logo.png");
    std::fs::create_dir_all(bravo_logo.parent().expect("dir")).expect("dir");
    std::fs::copy(object_file(&app, &alpha, "branding/logo.png"), &bravo_logo).expect("copy");
    assert!(tenantry::branding::assets::fetch(&bravo, Asset::Logo)
        .await
        .is_err());
    // Nor under another name of alpha's own.
    std::fs::copy(
        object_file(&app, &alpha, "branding/logo.png"),
        object_file(&app, &alpha, "branding/favicon.png"),
    )
    .expect("copy");
    assert!(tenantry::branding::assets::fetch(&alpha, Asset::Favicon)
        .await
        .is_err());
}

/// `engine` reads alpha's endpoint secret and logo as they were.
async fn reads_alpha(engine: &Engine, secret: &str, logo: &[u8]) -> bool {
    let Ok(ctx) = engine.ctx_for(alpha_id(engine).await).await else {
        return false;
    };
    let listed = endpoints::list(engine, Owner::of(&ctx)).await;
    let fetched = tenantry::branding::assets::fetch(&ctx, Asset::Logo).await;
    match (listed, fetched) {
        (Ok(list), Ok(Some(bytes))) => {
            secret.starts_with(list[0].secret_hint.trim_end_matches('…')) && bytes == logo
        }
        _ => false,
    }
}

async fn alpha_id(engine: &Engine) -> tenantry::tenancy::TenantId {
    let slug = tenantry::tenancy::Slug::parse("alpha").expect("slug");
    engine
        .record_by_slug(&slug)
        .await
        .expect("record")
        .expect("alpha")
        .id
}

async fn keys_rotate_without_losing_a_value(app: TestApp) {
    let jobs = app.run_jobs();
    let alpha = app.tenant("alpha").await;
    let secret = endpoint_of(&app, &alpha).await;
    let logo = logo_of(&alpha).await;

    // The platform's KEK: a new one, the old one retired, opens everything;
    // re-wrapping moves every data key to the new one, no data touched.
    let both = app
        .with_settings(&[
            ("encryption.key", KEK_TWO),
            ("encryption.retired_keys", KEK_ONE),
            ("encryption.cache_secs", "1"),
        ])
        .await;
    assert!(reads_alpha(&both, &secret, &logo).await);
    assert!(both.rewrap_data_keys().await.expect("rewrap") >= 1);
    let sealed_before = stored(&alpha, "webhook_endpoints", "secret").await;
    let only_new = app
        .with_settings(&[("encryption.key", KEK_TWO), ("encryption.cache_secs", "1")])
        .await;
    assert!(reads_alpha(&only_new, &secret, &logo).await);
    let only_old = app.with_settings(&[("encryption.key", KEK_ONE)]).await;
    assert!(
        !reads_alpha(&only_old, &secret, &logo).await,
        "the old KEK no longer unwraps anything"
    );
    assert_eq!(
        stored(&alpha, "webhook_endpoints", "secret").await,
        sealed_before,
        "a KEK rotation re-encrypts no data"
    );
    jobs.stop().await;

    // The tenant's own key, rotated online by an instance on the new KEK.
    let _jobs = crate::harness::run_jobs_on(&only_new);
    let started = key_rotation::start(&only_new, alpha.tenant(), "test")
        .await
        .expect("rotation");
    assert_eq!((started.generation, started.state.as_str()), (2, "waiting"));
    let again = key_rotation::start(&only_new, alpha.tenant(), "test").await;
    assert!(
        matches!(again, Err(tenantry::Error::Conflict(_))),
        "one at a time"
    );
    // Meanwhile both generations open, and new values still seal with the
    // old one until every instance knows the new.
    assert!(reads_alpha(&only_new, &secret, &logo).await);
    let mut done = None;
    for _ in 0..300 {
        let ctx = only_new.ctx_for(alpha.id()).await.expect("ctx");
        let latest = key_rotation::latest(&ctx)
            .await
            .expect("latest")
            .expect("one");
        if latest.state == "done" {
            done = Some(latest);
            break;
        }
        assert_ne!(latest.state, "failed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if done.is_none() {
        let ctx = only_new.ctx_for(alpha.id()).await.expect("ctx");
        let jobs = tenantry::jobs::list(&ctx, 10).await.expect("jobs");
        panic!("the rotation did not finish: {jobs:#?}");
    }
    let done = done.expect("the rotation finished");
    assert_eq!(done.values_done, done.values_total);
    assert!(done.values_total >= 1 && done.objects_total >= 1);
    assert_eq!(
        only_new.key_generations(alpha.id()).await.expect("gens"),
        vec![2]
    );
    let resealed = stored(&alpha, "webhook_endpoints", "secret").await;
    assert!(resealed.starts_with("tk1.2."), "{resealed}");
    let on_disk = std::fs::read(object_file(&app, &alpha, "branding/logo.png")).expect("file");
    assert_eq!(&on_disk[..8], b"TKO1\0\0\0\x02");
    assert!(reads_alpha(&only_new, &secret, &logo).await);
    // Signing still uses the same secret: a receiver checking it accepts.
    let on_new = only_new.ctx_for(alpha.id()).await.expect("ctx");
    let hint = endpoints::list(&only_new, Owner::of(&on_new))
        .await
        .expect("list")[0]
        .secret_hint
        .clone();
    assert!(secret.starts_with(hint.trim_end_matches('…')));
    let status = key_rotation::status_by_slug(&only_new, "alpha")
        .await
        .expect("status");
    assert_eq!((status.generations, status.sealing), (vec![2], 2));
}

/// A consistent copy of the data (not the keyring) taken while the app runs.
async fn back_up(app: &TestApp, into: &std::path::Path) {
    std::fs::create_dir_all(into).expect("backup dir");
    match &app.pg_database {
        Some(name) => {
            let out = std::process::Command::new("pg_dump")
                .args(["-h", "127.0.0.1", "-U", "postgres", "-Fc", "-d", name, "-f"])
                .arg(into.join("catalog.dump"))
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        None => {
            // Every database file of the data directory, but the keyring.
            for file in walk(&app.settings.data_dir) {
                let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if !name.ends_with(".db") || name == "keyring.db" {
                    continue;
                }
                let relative = file.strip_prefix(&app.settings.data_dir).expect("inside");
                let target = into.join(relative);
                std::fs::create_dir_all(target.parent().expect("dir")).expect("dir");
                vacuum_into(&file, &target).await;
            }
        }
    }
    // The object store's files, as they are (sealed).
    copy_tree(
        &app.settings.data_dir.join("objects"),
        &into.join("objects"),
    );
}

async fn vacuum_into(from: &std::path::Path, to: &std::path::Path) {
    let db = sea_orm::Database::connect(format!("sqlite://{}", from.display()))
        .await
        .expect("sqlite");
    db.execute_unprepared(&format!("VACUUM INTO '{}'", to.display()))
        .await
        .expect("vacuum into");
    db.close().await.expect("close");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for file in walk(from) {
        let target = to.join(file.strip_prefix(from).expect("inside"));
        std::fs::create_dir_all(target.parent().expect("dir")).expect("dir");
        std::fs::copy(&file, &target).expect("copy");
    }
}

/// An engine on the backup, restored, with the platform's live keyring.
async fn restore(app: &TestApp, backup: &std::path::Path) -> Engine {
    let data = backup.display().to_string();
    let mut pairs: Vec<(String, String)> = vec![("data_dir".into(), data)];
    match &app.pg_database {
        Some(name) => {
            let restored = format!("{name}_restored");
            pg_admin(&format!("CREATE DATABASE {restored} OWNER tenantry_owner")).await;
            let out = std::process::Command::new("pg_restore")
                .args(["-h", "127.0.0.1", "-U", "postgres", "-d", &restored])
                .arg(backup.join("catalog.dump"))
                .output()
                .expect("pg_restore runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            pairs.push(("database_url".into(), pg_url("tenantry_app", &restored)));
            pairs.push((
                "owner_database_url".into(),
                pg_url("tenantry_owner", &restored),
            ));
            pairs.push((
                "tenant_database_prefix".into(),
                app.settings.tenant_database_prefix.clone(),
            ));
            pairs.push((
                "encryption.keyring_url".into(),
                pg_url("tenantry_app", &format!("{name}_keyring")),
            ));
        }
        None => pairs.push((
            "encryption.keyring_url".into(),
            format!("sqlite://{}/keyring.db", app.settings.data_dir.display()),
        )),
    }
    let mut borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    borrowed.extend_from_slice(crate::harness::TEST_SETTINGS);
    let settings = tenantry::Settings::from_pairs(&borrowed).expect("settings");
    tenantry::runtime::connect(&settings)
        .await
        .expect("restored engine")
}

async fn a_purge_leaves_an_old_backup_unreadable(app: TestApp) {
    let _jobs = app.run_jobs();
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    let secret = endpoint_of(&app, &alpha).await;
    let logo = logo_of(&alpha).await;
    let bravo_secret = endpoint_of(&app, &bravo).await;
    let alpha_sealed = stored(&alpha, "webhook_endpoints", "secret").await;

    let dir = tempfile::tempdir().expect("dir");
    let backup = dir.path().join("backup");
    back_up(&app, &backup).await;

    tenantry::catalog::tenants::delete(&app.engine, "alpha", "alpha", "test")
        .await
        .expect("delete");
    let receipt = tenantry::lifecycle::purge_now(&app.engine, "alpha", "alpha", "test")
        .await
        .expect("purge");
    assert!(receipt.complete(), "{receipt:?}");
    let keys = receipt
        .stores
        .iter()
        .find(|s| s.store == "keyring: data keys")
        .expect("the receipt counts the keyring");
    // Its data key and the key of its blind indexes.
    assert_eq!((keys.before, keys.after), (2, 0));
    assert!(receipt.data_key_destroyed_at <= receipt.purged_at);

    // The old backup, restored beside the live keyring: alpha is back in the
    // catalog with its sealed values and files, and none of them opens.
    let restored = restore(&app, &backup).await;
    assert!(!reads_alpha(&restored, &secret, &logo).await);
    let ctx = restored
        .ctx_for(alpha_id(&restored).await)
        .await
        .expect("ctx");
    let refused = restored.tenant_keys(ctx.id()).await.err().expect("no key");
    assert!(format!("{refused:?}").contains("destroyed"), "{refused:?}");
    assert_eq!(
        stored(&ctx, "webhook_endpoints", "secret").await,
        alpha_sealed,
        "the ciphertext is in the backup, unreadable"
    );
    assert!(endpoints::list(&restored, Owner::of(&ctx)).await.is_err());
    // Its people too: their addresses and names are in the backup, sealed.
    let address = stored(&ctx, "users", "email").await;
    assert!(
        address.starts_with("tk1.") && !address.contains("alpha"),
        "{address}"
    );
    let people = ctx
        .run(false, async |db| {
            tenantry::identity::members::list(db).await
        })
        .await;
    assert!(people.is_err(), "{people:?}");
    // The restore itself works: bravo, whose key lives, reads as before.
    let bravo_ctx = restored.ctx_for(bravo.id()).await.expect("bravo restored");
    let hint = endpoints::list(&restored, Owner::of(&bravo_ctx))
        .await
        .expect("bravo's endpoints")[0]
        .secret_hint
        .clone();
    assert!(bravo_secret.starts_with(hint.trim_end_matches('…')));
}
