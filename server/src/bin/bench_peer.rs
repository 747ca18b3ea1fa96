//! The benchmark's baselines and probes, served beside the real server by
//! `bench/run` (never deployed):
//!
//! - `GET /static/login` — the bytes of the tenant's sign-in page, from a
//!   file: baseline A of pair a0 (a bare axum handler);
//! - `GET /raw/{slug}` — a tenant's project list with one raw sqlx statement,
//!   as a role that bypasses row-level security: baseline A of pair b;
//! - `GET /engine/{slug}` — the same list through the product: the tenant
//!   resolved by the core, a `TenantDb` read transaction, SeaORM, RLS: B of
//!   pair b, and the request of pair c;
//! - `POST /provision/{slug}` — a pool tenant created through the core, its
//!   owner invited (no password): pair d; `POST /provision-with-password/{slug}`
//!   — the same with the owner's password hashed, beside it;
//! - `GET /tenant-page?q=&sort=&after=` — one page (50) of the console's
//!   tenant list (`catalog::tenants::page`): the console pair;
//! - `POST /signup-latency/{placement}/{warm|cold}/{count}` — self-serve
//!   signups timed from the form to the tenant open, with or without a unit
//!   made ahead.
//!
//! Settings come from the environment like the server's (`TENANTRY_*`), plus
//! `BENCH_LISTEN`, `BENCH_LOGIN_HTML` (a file) and `BENCH_RAW_URL` (a superuser URL).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sea_orm::sqlx::{self, PgPool, Row};
use std::sync::Arc;
use tenantry::catalog::{resolve, tenants};
use tenantry::tenancy::{Engine, RequestScope, IDLE_BEFORE_PING};
use tenantry::Settings;

#[derive(Clone)]
struct Peer {
    login_html: Arc<String>,
    raw: PgPool,
    engine: Engine,
}

#[derive(serde::Serialize)]
struct ProjectRow {
    id: uuid::Uuid,
    name: String,
    task_count: i64,
    done_count: i64,
    created_at: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load()?;
    let engine = tenantry::runtime::connect(&settings).await?;
    let login_html = std::fs::read_to_string(std::env::var("BENCH_LOGIN_HTML")?)?;
    // As the engine's pools: no reaper, and a ping on checkout only for a
    // connection idle for `IDLE_BEFORE_PING` (see `tenancy::pools`).
    let raw = sqlx::postgres::PgPoolOptions::new()
        .max_connections(settings.pool_size)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= IDLE_BEFORE_PING {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect(&std::env::var("BENCH_RAW_URL")?)
        .await?;
    // As every server instance: what tenants cost is written to the ledger
    // and the cost book emptied every few seconds. Without it the book
    // grew by a cell per tenant and minute, which pair f counted as the
    // memory a tenant costs.
    tokio::spawn(tenantry::platform::cost_ledger_loop(engine.clone()));
    let peer = Peer {
        login_html: Arc::new(login_html),
        raw,
        engine,
    };
    let app = Router::new()
        .route("/static/login", get(static_login_page))
        .route("/raw/{slug}", get(raw_list))
        .route("/engine/{slug}", get(engine_list))
        .route("/provision/{slug}", post(provision_invited))
        .route(
            "/provision-with-password/{slug}",
            post(provision_with_password),
        )
        .route("/tenant-page", get(tenant_page))
        .route(
            "/signup-latency/{placement}/{warm}/{count}",
            post(signup_latency),
        )
        .route("/rss", get(rss))
        .with_state(peer);
    let listen = std::env::var("BENCH_LISTEN").unwrap_or_else(|_| "127.0.0.1:3201".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

async fn static_login_page(State(peer): State<Peer>) -> Html<String> {
    Html(peer.login_html.as_str().to_owned())
}

/// One statement, no transaction, no tenant binding: the hand-rolled floor.
async fn raw_list(State(peer): State<Peer>, Path(slug): Path<String>) -> Response {
    // The product's list statement, with the tenant filtered by hand instead
    // of by row-level security (the superuser bypasses it).
    let rows = sqlx::query(
        "SELECT p.id, p.name, p.created_at, COUNT(t.id) AS task_count,
                COALESCE(SUM(CASE WHEN t.done THEN 1 ELSE 0 END), 0) AS done_count
         FROM projects p JOIN tenants x ON x.id = p.tenant_id
         LEFT JOIN tasks t ON t.tenant_id = p.tenant_id AND t.project_id = p.id
         WHERE x.slug = $1
         GROUP BY p.id, p.name, p.created_at ORDER BY p.created_at DESC",
    )
    .bind(&slug)
    .fetch_all(&peer.raw)
    .await;
    match rows {
        Ok(rows) => Json(
            rows.iter()
                .map(|r| ProjectRow {
                    id: r.get("id"),
                    name: r.get("name"),
                    task_count: r.get("task_count"),
                    done_count: r.get("done_count"),
                    created_at: r
                        .get::<chrono::DateTime<chrono::Utc>, _>("created_at")
                        .to_rfc3339(),
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The product's path: resolve, bind, list through SeaORM under RLS.
async fn engine_list(State(peer): State<Peer>, Path(slug): Path<String>) -> Response {
    let listed = async {
        let Some(RequestScope::Tenant(ctx)) = resolve::by_slug(&peer.engine, &slug).await? else {
            return Err(tenantry::Error::NotFound);
        };
        ctx.run(false, async |db| {
            tenantry::product::projects::list(db).await
        })
        .await
    }
    .await;
    match listed {
        Ok(projects) => Json(
            projects
                .into_iter()
                .map(|p| ProjectRow {
                    id: p.id,
                    name: p.name,
                    task_count: p.task_count as i64,
                    done_count: p.done_count as i64,
                    created_at: p.created_at.to_rfc3339(),
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => refused(e),
    }
}

async fn provision_invited(State(peer): State<Peer>, Path(slug): Path<String>) -> Response {
    provision(&peer, slug, "").await
}

async fn provision_with_password(State(peer): State<Peer>, Path(slug): Path<String>) -> Response {
    provision(&peer, slug, "bench password 1").await
}

async fn provision(peer: &Peer, slug: String, password: &str) -> Response {
    let input = tenants::NewTenant {
        admin_email: format!("owner@{slug}.bench"),
        admin_password: password.into(),
        name: slug.clone(),
        slug,
        placement: "pool".into(),
        region: String::new(),
        pending: false,
        plan: String::new(),
    };
    match tenantry::lifecycle::create(&peer.engine, input, "bench").await {
        Ok(_) => StatusCode::CREATED.into_response(),
        Err(e) => refused(e),
    }
}

/// A core error as its status and message (the bench shows the first one).
fn refused(e: tenantry::Error) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        // The whole error, for target/bench/peer.log: the answer carries
        // only its public message.
        eprintln!("bench peer: {status}: {e:?}");
    }
    (status, e.to_string()).into_response()
}

/// The process's resident memory in KB (pair f).
async fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .unwrap_or_default()
}

/// `POST /signup-latency/{placement}/{warm}/{count}`: `count` signups in
/// `placement`, one after another, each timed from the form to the tenant
/// open (the work of the confirmation link); with `warm`, a unit made
/// ahead (untimed) before each. Answers the latencies in milliseconds.
async fn signup_latency(
    State(peer): State<Peer>,
    Path((placement, warm, count)): Path<(String, String, u32)>,
) -> Response {
    use tenantry::lifecycle::{signup, warm_units};
    let Some(placement) = tenantry::tenancy::Placement::parse(&placement) else {
        return (StatusCode::BAD_REQUEST, "unknown placement").into_response();
    };
    let warm = warm == "warm";
    let mut millis = Vec::new();
    for _ in 0..count {
        if warm {
            if let Err(e) = warm_units::make(&peer.engine, placement).await {
                return refused(e);
            }
        }
        let slug = format!("su{}", uuid::Uuid::new_v4().simple())[..20].to_owned();
        let form = signup::SignupForm {
            name: "Bench signup".into(),
            slug: slug.clone(),
            email: format!("owner@{slug}.bench"),
            password: "bench password 1".into(),
            plan: String::new(),
            invite: String::new(),
        };
        let started = std::time::Instant::now();
        let client = tenantry::identity::throttle::ClientIp(None);
        if let Err(e) = signup::sign_up_in(&peer.engine, form, client, placement).await {
            return refused(e);
        }
        if let Err(e) = tenants::activate(&peer.engine, &slug, "bench").await {
            return refused(e);
        }
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Json(millis).into_response()
}

#[derive(serde::Deserialize)]
struct PageQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    after: String,
}

/// One page of the console's tenant list; answers how many rows it held.
async fn tenant_page(
    State(peer): State<Peer>,
    axum::extract::Query(p): axum::extract::Query<PageQuery>,
) -> Response {
    let sort = match tenants::TenantSort::parse(&p.sort) {
        Ok(sort) => sort,
        Err(e) => return refused(e),
    };
    let query = tenants::TenantQuery {
        text: p.q,
        sort,
        after: Some(p.after).filter(|a| !a.is_empty()),
        limit: 50,
        ..Default::default()
    };
    match tenants::page(&peer.engine, &query).await {
        Ok(page) => Json(page.rows.len()).into_response(),
        Err(e) => refused(e),
    }
}
