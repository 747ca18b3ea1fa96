//! Issue 19: database round trips per request are a count, not a time. A
//! proxy between the server and PostgreSQL reads the protocol the server
//! sends and counts its flights that wait for an answer: those that end a
//! `Sync` (the end of an extended-query exchange) or a `Query` (a simple
//! query), several of which a pipelining client sends in one flight. It
//! tells apart the ones a request waits for from the ones sent after the
//! connection is released (the `ROLLBACK` of a read-only transaction, and
//! the ping sqlx sends on every release: a `Sync` with nothing before it).
//! The signed-in tenant page and the JSON list stay within their budgets,
//! and a pool tenant is created with one commit.

use crate::harness::{pg_host, TestApp};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// Round trips the signed-in tenant page (`GET /`) may cost, waited for and
/// in all (the target is 3 waited for; see docs/benchmarks.md).
/// Measured 2.1 and 3.1: the member as this instance kept them
/// (`members::known`), so the page context reads nothing; the project list's
/// transaction (`BEGIN` with the binding, the list), then after release its
/// `ROLLBACK` queued into sqlx's release ping (one write). 2.05 and 4.05
/// when the `ROLLBACK` was a round trip of its own; 4.0 and 8.0 when the
/// context read the member in a transaction of its own; 10.55 in all with a
/// ping on checkout.
const TENANT_PAGE_BUDGET: Budget = Budget {
    waited: 2.5,
    total: 3.5,
};
/// Round trips `GET /api/v1/projects` with an API key may cost: measured
/// 2.0 and 3.0 with the key known in memory (`api_keys::known`) and the
/// `ROLLBACK` in the release ping; 4.1 and 8.1 when each request read the
/// key in a transaction of its own.
const API_LIST_BUDGET: Budget = Budget {
    waited: 2.5,
    total: 3.5,
};
/// The same list with a session: the session and the member from memory,
/// then the list's transaction. Measured 2.05 and 3.05.
const API_LIST_SESSION_BUDGET: Budget = Budget {
    waited: 2.5,
    total: 3.5,
};

struct Budget {
    waited: f64,
    total: f64,
}

#[derive(Default)]
struct Counts {
    /// Round trips a request waits for.
    waited: AtomicU64,
    /// Round trips after the connection went back to the pool.
    after_release: AtomicU64,
    /// Transactions begun and committed.
    begins: AtomicU64,
    commits: AtomicU64,
}

/// A TCP proxy to PostgreSQL that counts round trips.
struct RoundTripCounter {
    port: u16,
    counts: Arc<Counts>,
}

impl RoundTripCounter {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let counts = Arc::new(Counts::default());
        let counted = counts.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counted = counted.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(pg_host()).await {
                        relay(client, server, counted).await;
                    }
                });
            }
        });
        Self { port, counts }
    }

    /// (waited, total) since the last call.
    fn take(&self) -> (u64, u64) {
        let waited = self.counts.waited.swap(0, Ordering::SeqCst);
        let after = self.counts.after_release.swap(0, Ordering::SeqCst);
        (waited, waited + after)
    }

    /// (begun, committed) transactions since the last call.
    fn take_transactions(&self) -> (u64, u64) {
        (
            self.counts.begins.swap(0, Ordering::SeqCst),
            self.counts.commits.swap(0, Ordering::SeqCst),
        )
    }

    /// `url` pointed at this proxy, without TLS (the proxy reads the bytes).
    fn url(&self, role: &str, database: &str) -> String {
        format!(
            "postgres://{role}@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }
}

async fn relay(client: TcpStream, server: TcpStream, counted: Arc<Counts>) {
    let (mut from_client, mut to_server) = (client.into_split(), server.into_split());
    let answers = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut to_server.0, &mut from_client.1).await;
    });
    let _ = count_and_forward(&mut from_client.0, &mut to_server.1, &counted).await;
    answers.abort();
}

/// Forwards the client's bytes as they come, counting its flights that wait
/// for an answer: a read that completes a `Sync` or a `Query` is one round
/// trip, however many of them it holds (a client that pipelines sends the
/// begin, the binding and a statement in one flight, which costs one round
/// trip on the network). A flight of nothing but sqlx's release work (a
/// `ROLLBACK`, or a ping: a `Sync` with nothing before it) is counted as
/// after release. The first message (startup) has no type byte.
async fn count_and_forward(
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
    counted: &Counts,
) -> std::io::Result<()> {
    let mut started = false;
    // Whether an extended-query exchange is open (Parse, Bind, Execute…).
    let mut exchange = false;
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let read = from.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        to.write_all(&chunk[..read]).await?;
        pending.extend_from_slice(&chunk[..read]);
        // `None`: nothing in this read waits for an answer; `Some(waited)`:
        // it does, and `waited` says whether a request waits for it.
        let mut flight: Option<bool> = None;
        loop {
            let typed = usize::from(started);
            if pending.len() < typed + 4 {
                break;
            }
            let length: [u8; 4] = pending[typed..typed + 4].try_into().expect("four bytes");
            let size = typed + u32::from_be_bytes(length) as usize;
            if pending.len() < size {
                break;
            }
            let message: Vec<u8> = pending.drain(..size).collect();
            if !started {
                started = true;
                continue;
            }
            let (kind, body) = (message[0], &message[5..]);
            let waited = match kind {
                b'S' => Some(std::mem::take(&mut exchange)),
                b'Q' => Some(!body.starts_with(b"ROLLBACK")),
                _ => {
                    exchange = true;
                    None
                }
            };
            if kind == b'Q' && body.starts_with(b"BEGIN") {
                counted.begins.fetch_add(1, Ordering::SeqCst);
            }
            if kind == b'Q' && body.starts_with(b"COMMIT") {
                counted.commits.fetch_add(1, Ordering::SeqCst);
            }
            if let Some(waited) = waited {
                flight = Some(flight.unwrap_or(false) || waited);
            }
            // ROUND_TRIPS_TRACE=1 prints what is sent (queries and parses).
            if std::env::var_os("ROUND_TRIPS_TRACE").is_some() {
                let text = String::from_utf8_lossy(body).replace('\0', " ");
                match kind {
                    b'Q' | b'P' => println!("{} {}", kind as char, text.trim()),
                    b'S' => println!("S ----"),
                    b'B' => println!("B {}", text.split_whitespace().next().unwrap_or("")),
                    _ => {}
                }
            }
        }
        match flight {
            Some(true) => counted.waited.fetch_add(1, Ordering::SeqCst),
            Some(false) => counted.after_release.fetch_add(1, Ordering::SeqCst),
            None => 0,
        };
        if flight.is_some() && std::env::var_os("ROUND_TRIPS_TRACE").is_some() {
            println!("==== one flight");
        }
    }
}

/// `app` served through `counter`: its runtime and owner connections pass
/// through the proxy.
async fn counted(app: TestApp, counter: &RoundTripCounter) -> TestApp {
    let database = app.pg_database.clone().expect("postgres");
    let (runtime, owner_url) = (
        counter.url("tenantry_app", &database),
        counter.url("tenantry_owner", &database),
    );
    app.with_router_settings(&[
        ("database_url", runtime.as_str()),
        ("owner_database_url", owner_url.as_str()),
    ])
    .await
}

/// Issue 19: a pool tenant is written in one transaction with one commit —
/// catalog row, plan, fleet and directory entries, owner (or the owner's
/// invitation and its mail), billing account, audit entry and events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_tenant_is_created_in_one_transaction() {
    use tenantry::catalog::tenants::NewTenant;
    let counter = RoundTripCounter::start().await;
    let app = counted(TestApp::postgres().await, &counter).await;
    let new = |slug: &str, password: &str| NewTenant {
        slug: slug.into(),
        name: slug.into(),
        admin_email: format!("owner@{slug}.test"),
        admin_password: password.into(),
        placement: "pool".into(),
        region: String::new(),
        ..Default::default()
    };
    // The first creation loads the plans and opens connections.
    tenantry::lifecycle::create(&app.engine, new("warm", ""), "test")
        .await
        .expect("created");
    for (slug, password) in [("invited", ""), ("hashed", crate::harness::PASSWORD)] {
        counter.take();
        counter.take_transactions();
        let created = tenantry::lifecycle::create(&app.engine, new(slug, password), "test")
            .await
            .expect("created");
        let (begun, committed) = counter.take_transactions();
        let (waited, _) = counter.take();
        println!(
            "{slug}: {waited} round trips, {begun} transaction(s) begun, {committed} committed"
        );
        assert_eq!(
            (begun, committed),
            (1, 1),
            "{slug}: one transaction, one commit"
        );
        assert_eq!(created.state.as_str(), "active");
        // What it wrote is there: its owner, or its owner's invitation.
        let ctx = app.ctx(slug).await;
        assert_eq!(ctx.tenant().plan, created.plan);
        let db = ctx.read().await.expect("read");
        let members = tenantry::identity::members::count(&db)
            .await
            .expect("count");
        db.commit().await.expect("commit");
        let invited = tenantry::identity::invitations::list(&ctx)
            .await
            .expect("list");
        let invited_owners = invited
            .iter()
            .filter(|i| i.role.as_str() == "owner")
            .count();
        match password.is_empty() {
            true => assert_eq!((members, invited_owners), (0, 1), "{slug}"),
            false => assert_eq!((members, invited_owners), (1, 0), "{slug}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_page_and_an_api_list_stay_within_their_round_trip_budgets() {
    let app = TestApp::postgres().await;
    app.tenant("alpha").await;
    let key = app.api_key("alpha", "member").await;
    let mut owner = app.owner_client("alpha").await;
    let res = owner
        .post_json("/api/v1/projects", serde_json::json!({"name": "Counted"}))
        .await;
    assert!(res.status.is_success(), "{}", res.text);

    let counter = RoundTripCounter::start().await;
    let app = counted(app, &counter).await;
    let mut owner = owner.on_router(app.router.clone());
    let mut api = app.bearer_client("alpha.localhost", &key);

    // One warm-up request each (connections opened, caches filled), then
    // the average over REQUESTS.
    const REQUESTS: u64 = 20;
    let average = |(waited, total): (u64, u64)| {
        (
            waited as f64 / REQUESTS as f64,
            total as f64 / REQUESTS as f64,
        )
    };
    // The anonymous sign-in page (the SSR floor of bench pair a0) reads
    // nothing: the tenant and whether it offers SSO come from its record.
    let mut visitor = app.client("alpha.localhost");
    // A read per page costs at least 2 round trips per request in every
    // batch. What else is counted is the server's own work by the clock
    // (usage flushes, a policy reload while its watcher is not yet live),
    // more of it the slower the machine: 24 in one batch of a CI run beside
    // a release build. So the quietest of three batches is the one judged.
    let mut login_total = u64::MAX;
    for _batch in 0..3 {
        for round in 0..=REQUESTS {
            if round == 1 {
                counter.take();
            }
            let res = visitor.get("/login").await;
            assert_eq!(res.status, 200, "{}", res.text);
        }
        let (waited, total) = counter.take();
        println!("sign-in page: {waited} / {total} round trips in {REQUESTS} requests");
        login_total = login_total.min(total);
        if login_total < REQUESTS {
            break;
        }
    }
    assert!(
        login_total < REQUESTS,
        "the sign-in page reads the database: {login_total} round trips in {REQUESTS} requests"
    );
    for round in 0..=REQUESTS {
        if round == 1 {
            counter.take();
        }
        let res = owner.get("/").await;
        assert_eq!(res.status, 200, "{}", res.text);
        assert!(res.text.contains("Counted"), "the page lists the project");
    }
    let page = average(counter.take());
    for round in 0..=REQUESTS {
        if round == 1 {
            counter.take();
        }
        let res = api.get("/api/v1/projects").await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let list = average(counter.take());
    for round in 0..=REQUESTS {
        if round == 1 {
            counter.take();
        }
        let res = owner.get("/api/v1/projects").await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let session_list = average(counter.take());
    println!(
        "round trips per request (waited for / in all): tenant page {:.2} / {:.2}, API list {:.2} / {:.2}, with a session {:.2} / {:.2}",
        page.0, page.1, list.0, list.1, session_list.0, session_list.1
    );
    assert!(
        page.0 > 0.0 && list.0 > 0.0 && session_list.0 > 0.0,
        "the proxy saw the requests"
    );
    for (what, (waited, total), budget) in [
        ("the tenant page", page, TENANT_PAGE_BUDGET),
        ("the API list", list, API_LIST_BUDGET),
        (
            "the API list with a session",
            session_list,
            API_LIST_SESSION_BUDGET,
        ),
    ] {
        assert!(
            waited <= budget.waited && total <= budget.total,
            "{what} costs {waited:.2} round trips waited for and {total:.2} in all; its budget is {} and {}",
            budget.waited,
            budget.total
        );
    }
}
