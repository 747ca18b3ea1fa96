//! The console's tenant list over a seeded fleet: every sort pages through
//! every tenant exactly once by keyset, search ignores case and takes `%`
//! literally, filters combine, and a forged cursor is refused by field.

use crate::harness::TestApp;
use crate::on_both_backends;
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::HashSet;
use tenantry::entities::catalog::tenant;
use tenantry_app::features::console::api::{ConsoleOverview, ListAudit, ListTenants};

on_both_backends!(
    the_tenant_list_pages_searches_and_filters_a_seeded_fleet,
    the_audit_log_pages_by_keyset_and_searches_actor_and_action,
    the_overview_counts_the_fleet_by_state_plan_and_placement,
);

const FLEET: usize = 120;

/// Directory rows only: the list reads nothing else. Every tenth is
/// suspended, every third on the `pro` plan, names in mixed case, and a
/// few share a creation time (the id orders them).
async fn seed(app: &TestApp) {
    let base = chrono::Utc::now() - chrono::Duration::days(1);
    let rows: Vec<tenant::ActiveModel> = (0..FLEET)
        .map(|n| {
            let at = base + chrono::Duration::seconds((n / 3) as i64);
            tenant::ActiveModel {
                id: Set(uuid::Uuid::new_v4()),
                slug: Set(format!("fleet{n:03}")),
                name: Set(match n {
                    7 => "ACME Rockets".to_owned(),
                    8 => "acme 100% juice".to_owned(),
                    _ => format!("Fleet Co {n:03}"),
                }),
                state: Set(if n % 10 == 0 { "suspended" } else { "active" }.to_owned()),
                placement: Set("pool".to_owned()),
                location: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
                suspended_at: Set(None),
                deleted_at: Set(None),
                plan: Set(if n % 3 == 0 { "pro" } else { "standard" }.to_owned()),
                signup_expires_at: Set(None),
                cluster: Set(None),
            }
        })
        .collect();
    tenant::Entity::insert_many(rows)
        .exec(app.engine.platform_tables())
        .await
        .expect("seed");
}

async fn the_tenant_list_pages_searches_and_filters_a_seeded_fleet(app: TestApp) {
    seed(&app).await;
    let mut admin = app.superadmin().await;
    let mut list = async |form: &[(&str, &str)]| {
        let res = admin.server_fn::<ListTenants>(form).await;
        (res.status, res.json())
    };
    for sort in ["", "oldest", "slug", "name"] {
        let mut seen = Vec::new();
        let mut after = String::new();
        for _ in 0..10 {
            let (status, page) = list(&[
                ("query", ""),
                ("state", ""),
                ("sort", sort),
                ("after", &after),
            ])
            .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let rows = page["rows"].as_array().expect("rows");
            assert!(rows.len() <= 50);
            seen.extend(
                rows.iter()
                    .map(|r| r["slug"].as_str().expect("slug").to_owned()),
            );
            match page["next"].as_str() {
                Some(next) => after = next.to_owned(),
                None => break,
            }
        }
        let unique: HashSet<_> = seen.iter().collect();
        assert_eq!(seen.len(), FLEET, "{sort:?}: every tenant once");
        assert_eq!(unique.len(), FLEET, "{sort:?}: no tenant twice");
        if sort == "slug" {
            let mut ordered = seen.clone();
            ordered.sort();
            assert_eq!(seen, ordered, "by slug: in order");
        }
        if sort.is_empty() {
            // Three tenants per creation second, newest second first.
            assert!(
                seen[..3].iter().all(|s| s.as_str() >= "fleet117"),
                "{seen:?}"
            );
        }
    }

    let (_, found) = list(&[("query", "acme"), ("state", "")]).await;
    let slugs: Vec<_> = found["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["slug"].as_str().expect("slug").to_owned())
        .collect();
    assert_eq!(slugs.len(), 2, "any case: {found}");
    let (_, percent) = list(&[("query", "100%"), ("state", "")]).await;
    assert_eq!(
        percent["rows"].as_array().map(Vec::len),
        Some(1),
        "{percent}"
    );
    let (_, literal) = list(&[("query", "%"), ("state", "")]).await;
    assert_eq!(
        literal["rows"].as_array().map(Vec::len),
        Some(1),
        "% is literal: {literal}"
    );

    let (_, filtered) = list(&[
        ("query", ""),
        ("state", "suspended"),
        ("plan", "pro"),
        ("placement", "pool"),
        ("region", "local"),
    ])
    .await;
    let rows = filtered["rows"].as_array().expect("rows");
    // n divisible by 10 and by 3: 0, 30, 60, 90.
    assert_eq!(rows.len(), 4, "{filtered}");
    assert!(rows
        .iter()
        .all(|r| r["state"] == "suspended" && r["plan"] == "pro"));

    for (field, value) in [
        ("after", "not-a-cursor"),
        ("sort", "sideways"),
        ("placement", "moon"),
        ("region", "mars"),
    ] {
        let (status, refused) = list(&[("query", ""), ("state", ""), (field, value)]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["field"], field);
    }

    // The same list as CSV, every page of it: superadmins only, console only.
    let csv = admin
        .get("/console/tenants.csv?state=suspended&plan=pro")
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "slug,name,state,placement,cluster,plan,created_at"
    );
    assert!(lines[1].contains(",pool,main,pro,"), "{}", lines[1]);
    assert_eq!(lines.len(), 5, "{}", csv.text);
    let all = admin.get("/console/tenants.csv?q=FLEET&sort=slug").await;
    // Every slug holds "fleet": all of them, whatever the page size.
    assert_eq!(all.text.lines().count(), 1 + FLEET, "{}", all.text);
    app.tenant("owned").await;
    let owner = app.owner_client("owned").await;
    let mut carried = owner.on_host("admin.localhost");
    assert_eq!(
        carried.get("/console/tenants.csv").await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut on_tenant = admin.on_host("owned.localhost");
    assert_eq!(
        on_tenant.get("/console/tenants.csv").await.status,
        StatusCode::NOT_FOUND
    );
    let mut anonymous = app.client("admin.localhost");
    assert_eq!(
        anonymous.get("/console/tenants.csv").await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// 120 entries (some at the same instant): three pages of newest first,
/// each entry once; a search by actor or action, any case, `%` literal.
async fn the_audit_log_pages_by_keyset_and_searches_actor_and_action(app: TestApp) {
    for n in 0..120 {
        let (actor, action) = match n % 4 {
            0 => ("superadmin:Ann@platform.test", "tenant.suspended"),
            1 => ("cli", "plan.saved"),
            _ => ("test", "flag.changed"),
        };
        tenantry::audit::record(&app.engine, actor, action, None, &format!("entry {n}"))
            .await
            .expect("recorded");
    }
    let mut admin = app.superadmin().await;
    let mut seen = HashSet::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let res = admin
            .server_fn::<ListAudit>(&[("query", ""), ("after", &after)])
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let page = res.json();
        pages += 1;
        for row in page["rows"].as_array().expect("rows") {
            assert!(
                seen.insert(row["detail"].as_str().expect("detail").to_owned()),
                "{row} twice"
            );
        }
        match page["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    // 120, and the superadmin's own creation before them.
    assert!(
        seen.len() > 120 && pages == 3,
        "{} entries in {pages} pages",
        seen.len()
    );
    assert!(seen.contains("entry 0") && seen.contains("entry 119"));
    // Oldest first: the first page opens the log, the first entries in it.
    let oldest = admin
        .server_fn::<ListAudit>(&[("query", ""), ("order", "oldest")])
        .await
        .json();
    let details: Vec<&str> = oldest["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["detail"].as_str())
        .collect();
    let at = |d: &str| details.iter().position(|x| *x == d);
    assert_eq!(details.len(), 50, "{oldest}");
    assert!(
        at("entry 0") < at("entry 1") && at("entry 1").is_some(),
        "{oldest}"
    );
    assert!(at("entry 119").is_none(), "{oldest}");

    let found = admin
        .server_fn::<ListAudit>(&[("query", "ANN@"), ("after", "")])
        .await
        .json();
    assert_eq!(found["rows"].as_array().map(Vec::len), Some(30), "{found}");
    let by_action = admin
        .server_fn::<ListAudit>(&[("query", "plan.sav"), ("after", "")])
        .await
        .json();
    assert_eq!(by_action["rows"].as_array().map(Vec::len), Some(30));
    let literal = admin
        .server_fn::<ListAudit>(&[("query", "plan%"), ("after", "")])
        .await
        .json();
    assert_eq!(
        literal["rows"].as_array().map(Vec::len),
        Some(0),
        "{literal}"
    );
    let forged = admin
        .server_fn::<ListAudit>(&[("query", ""), ("after", "yesterday")])
        .await;
    assert_eq!(
        forged.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        forged.text
    );
    assert_eq!(forged.json()["field"], "after");
}

async fn the_overview_counts_the_fleet_by_state_plan_and_placement(app: TestApp) {
    seed(&app).await;
    // Five active tenants on a plan with a flat fee of 50.00 a period.
    crate::billing::define_meters(&app).await;
    crate::billing::hybrid_plan(&app).await;
    let paying = ["fleet001", "fleet002", "fleet003", "fleet004", "fleet005"];
    tenant::Entity::update_many()
        .col_expr(
            tenant::Column::Plan,
            sea_orm::sea_query::Expr::value("hybrid"),
        )
        .filter(tenant::Column::Slug.is_in(paying))
        .exec(app.engine.platform_tables())
        .await
        .expect("on the hybrid plan");
    let mut admin = app.superadmin().await;
    let res = admin.server_fn::<ConsoleOverview>(&[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let o = res.json();
    assert_eq!(o["total"], FLEET, "{o}");
    let count = |list: &str, key: &str| {
        o[list]
            .as_array()
            .expect("counts")
            .iter()
            .find(|pair| pair[0] == key)
            .and_then(|pair| pair[1].as_u64())
            .unwrap_or(0)
    };
    assert_eq!(count("by_state", "suspended"), 12);
    assert_eq!(count("by_state", "active"), 108);
    assert_eq!(count("by_plan", "pro"), 39);
    assert_eq!(count("by_plan", "hybrid"), 5);
    assert_eq!(o["base_fees"], serde_json::json!(["250.00 USD"]), "{o}");
    assert_eq!(count("by_placement", "pool"), FLEET as u64);
    let weeks = o["weeks"].as_array().expect("weeks");
    assert_eq!(weeks.len(), 8);
    let signups: u64 = weeks.iter().map(|w| w[1].as_u64().expect("signups")).sum();
    assert_eq!(signups, FLEET as u64, "the fleet was made yesterday: {o}");
}
