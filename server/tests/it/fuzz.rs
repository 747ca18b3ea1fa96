//! The randomized cross-tenant fuzzer (issue 18, point 13). From a seed, it
//! draws probes against tenant A's host: a target from the API route table
//! or the server-function registry (the same registries the attack suite
//! walks, so a new route is fuzzed without being listed), a caller (A's
//! owner session, A's API key, A's platform token, an anonymous caller, a
//! superadmin's console session, B's key carried to A's host), one of B's
//! object ids (or B's slug or tenant id), a shape of it (as is, upper case,
//! padded with whitespace, percent-encoded) and a position (the path, the
//! query, every id field of the JSON body or form, a header, the `Host`).
//!
//! Every probe is sent twice: with B's value, and with a fresh value of the
//! same shape that names nothing (the control). B's object must get exactly
//! what a missing object gets — the control's status — and no answer may
//! carry any of B's secrets. B's plane is checksummed (the attack suite's
//! snapshot) before and after every batch of 2,000 probes: it never changes.
//! Four workers send at once, each drawing from the seed, its batch and its
//! number.
//!
//! CI runs `FUZZ_PROBES` (7,000 by default) on each of the three backends. `bench/fuzz
//! --probes 1000000` runs a million against a release build and prints
//! probes per second, findings and the seed; `FUZZ_SEED` replays a run.
//!
//! About 530 lines, one scenario per test: the fuzzer and its probes, which
//! only make sense together.

use crate::attack::{attack_form, snapshot, victim};
use crate::harness::{Client, Reply, TestApp};
use crate::on_both_backends;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

on_both_backends!(randomized_probes_with_tenant_b_ids_get_what_a_missing_object_gets);
crate::through_pgbouncer!(randomized_probes_with_tenant_b_ids_get_what_a_missing_object_gets);

/// splitmix64: small, seedable and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Caller {
    OwnerSession,
    ApiKey,
    Token,
    Anonymous,
    Superadmin,
    VictimsKey,
}

const CALLERS: [Caller; 6] = [
    Caller::OwnerSession,
    Caller::ApiKey,
    Caller::Token,
    Caller::Anonymous,
    Caller::Superadmin,
    Caller::VictimsKey,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Shape {
    AsIs,
    UpperCase,
    Padded,
    PercentEncoded,
}

const SHAPES: [Shape; 4] = [
    Shape::AsIs,
    Shape::UpperCase,
    Shape::Padded,
    Shape::PercentEncoded,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Position {
    /// `{id}` in the route's path (routes without one: appended as a query).
    Path,
    Query,
    /// Every id field of the JSON body or the form.
    Body,
    /// `X-Tenant-Id`, `X-Tenant` and `X-Forwarded-Host` headers.
    Header,
    /// The request sent to B's host instead, with A's credentials.
    Host,
}

const POSITIONS: [Position; 5] = [
    Position::Path,
    Position::Query,
    Position::Body,
    Position::Header,
    Position::Host,
];

#[derive(Clone, Debug)]
enum Target {
    Api { method: String, path: String },
    ServerFn { method: String, path: String },
}

/// The id fields a body or form may carry.
const ID_FIELDS: &[&str] = &[
    "id",
    "project_id",
    "task_id",
    "user_id",
    "endpoint_id",
    "delivery_id",
    "domain_id",
    "key_id",
    "invitation_id",
    "export_id",
    "number",
    "slug",
    "tenant_id",
];

/// Targets whose answer depends on A's previous request, not on what it
/// names (one export at a time: a second request while the first runs is a
/// conflict). Their statuses are not compared; leaks and B's checksum still
/// are.
const ONE_AT_A_TIME: &[&str] = &["/request_export"];

fn shaped(value: &str, shape: Shape) -> String {
    match shape {
        Shape::AsIs => value.to_owned(),
        Shape::UpperCase => value.to_uppercase(),
        Shape::Padded => format!(" {value}\t"),
        Shape::PercentEncoded => value.bytes().map(|b| format!("%{b:02X}")).collect(),
    }
}

/// A value of the same kind as `value` that names nothing.
fn control_of(value: &str, rng: &mut Rng) -> String {
    if uuid::Uuid::parse_str(value).is_ok() {
        return uuid::Uuid::from_u128(u128::from(rng.next()) << 64 | u128::from(rng.next()))
            .to_string();
    }
    // A slug, an invoice number: same length, other letters.
    let letters: String = (0..value.len().max(4))
        .map(|_| (b'a' + (rng.below(26) as u8)) as char)
        .collect();
    format!("z{letters}")
}

#[derive(Default)]
struct Findings {
    probes: u64,
    requests: u64,
    throttled: u64,
    /// Answers that carried a secret of B's, or that B's object got where a
    /// missing one gets something else.
    mismatches: Vec<String>,
}

impl Findings {
    fn add(&mut self, other: Findings) {
        self.probes += other.probes;
        self.requests += other.requests;
        self.throttled += other.throttled;
        self.mismatches.extend(other.mismatches);
    }
}

/// What every worker shares: the targets, B's values and secrets, the form.
struct Plan {
    targets: Vec<Target>,
    values: Vec<String>,
    secrets: Vec<String>,
    base_form: Vec<(&'static str, String)>,
}

/// One worker: its own clients (the same credentials), its own draws.
struct Fuzzer {
    plan: Arc<Plan>,
    callers: HashMap<Caller, Client>,
    /// Makes what each request creates in A its own (a second request for
    /// the same name would be a conflict inside A, not a sign of B).
    sent: u64,
    worker: u64,
}

/// Fields whose value names something a request may create in A.
const UNIQUE_FIELDS: &[&str] = &[
    "name",
    "title",
    "hostname",
    "email",
    "display_name",
    "key",
    "tier",
];

fn unique(field: &str, n: u64) -> String {
    match field {
        "hostname" => format!("fz{n}.example.test"),
        "email" => format!("fz{n}@fuzz.test"),
        "key" | "tier" => format!("fz{n}"),
        _ => format!("fuzz {n}"),
    }
}

impl Fuzzer {
    async fn send(
        &mut self,
        caller: Caller,
        target: &Target,
        position: Position,
        value: &str,
    ) -> Reply {
        let (method, path) = match target {
            Target::Api { method, path } | Target::ServerFn { method, path } => (method, path),
        };
        // In a URL, whitespace travels percent-encoded (as a client sends it).
        let in_url = value.replace(' ', "%20").replace('\t', "%09");
        let mut path = match (position, path.contains("{id}")) {
            (Position::Path, true) => path.replace("{id}", &in_url),
            (_, true) => path.replace("{id}", &uuid::Uuid::nil().to_string()),
            (_, false) => path.clone(),
        };
        if position == Position::Query || (position == Position::Path && !path.contains(&in_url)) {
            path = format!("{path}?id={in_url}&slug={in_url}");
        }
        let in_body = position == Position::Body;
        self.sent += 1;
        let n = self.sent * 64 + self.worker;
        let body = match target {
            Target::Api { .. } => {
                let mut body =
                    serde_json::json!({"name": "fuzz", "title": "fuzz", "role": "viewer"});
                if in_body {
                    for field in ID_FIELDS {
                        body[*field] = serde_json::Value::String(value.to_owned());
                    }
                }
                ("application/json", body.to_string())
            }
            Target::ServerFn { .. } => {
                let form: Vec<String> = self
                    .plan
                    .base_form
                    .iter()
                    .map(|(k, v)| {
                        let fresh;
                        let v = match (in_body && ID_FIELDS.contains(k), UNIQUE_FIELDS.contains(k))
                        {
                            (true, _) => value,
                            (false, true) => {
                                fresh = unique(k, n);
                                fresh.as_str()
                            }
                            (false, false) => v.as_str(),
                        };
                        format!(
                            "{}={}",
                            crate::harness::urlencode(k),
                            crate::harness::urlencode(v)
                        )
                    })
                    .collect();
                ("application/x-www-form-urlencoded", form.join("&"))
            }
        };
        let host = match position {
            Position::Host => "bravo.localhost",
            _ => "alpha.localhost",
        };
        let mut req = Request::builder()
            .method(method.as_str())
            .uri(path.as_str())
            .header(header::HOST, host)
            .header(header::ORIGIN, "http://alpha.localhost")
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, body.0);
        if position == Position::Header {
            req = req
                .header("x-tenant-id", value)
                .header("x-tenant", value)
                .header("x-forwarded-host", "bravo.localhost");
        }
        let req = req.body(Body::from(body.1)).expect("request");
        let client = self.callers.get_mut(&caller).expect("caller");
        client.send(req).await
    }
}

/// How many probes: `FUZZ_PROBES`, else 7,000 (per backend: about 20,000
/// in a CI run).
fn probes_wanted() -> u64 {
    std::env::var("FUZZ_PROBES")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(7_000)
}

fn seed() -> u64 {
    std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(42)
        })
}

fn targets() -> Vec<Target> {
    let mut all: Vec<Target> = tenantry_server::api::table()
        .into_iter()
        .map(|r| Target::Api {
            method: r.method.to_owned(),
            path: r.path.to_owned(),
        })
        .collect();
    let mut fns: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_owned(), method.to_string()))
        // Signing out would end the caller's own session; it reads no data.
        .filter(|(path, _)| !path.contains("logout"))
        .collect();
    fns.sort();
    all.extend(
        fns.into_iter()
            .map(|(path, method)| Target::ServerFn { method, path }),
    );
    all
}

impl Fuzzer {
    fn leak(&self, what: &str, body: &str, found: &mut Findings) {
        if let Some(secret) = self.plan.secrets.iter().find(|s| body.contains(s.as_str())) {
            found
                .mismatches
                .push(format!("{what} leaked {secret}: {body}"));
        }
    }

    /// `count` probes drawn from `rng`.
    async fn run(mut self, mut rng: Rng, count: u64) -> Findings {
        let plan = Arc::clone(&self.plan);
        let mut found = Findings::default();
        for _ in 0..count {
            let caller = CALLERS[rng.below(CALLERS.len())];
            let target = &plan.targets[rng.below(plan.targets.len())];
            let mut position = POSITIONS[rng.below(POSITIONS.len())];
            if caller == Caller::VictimsKey && position == Position::Host {
                // B's key on B's own host is B reading its own data.
                position = Position::Path;
            }
            let shape = SHAPES[rng.below(SHAPES.len())];
            let value = &plan.values[rng.below(plan.values.len())];
            let control = control_of(value, &mut rng);
            let probe = self
                .send(caller, target, position, &shaped(value, shape))
                .await;
            let missing = self
                .send(caller, target, position, &shaped(&control, shape))
                .await;
            found.probes += 1;
            found.requests += 2;
            let what = format!("{caller:?} {target:?} {position:?} {shape:?} {value}");
            self.leak(&what, &probe.text, &mut found);
            // Throttling (sign-in attempts, anonymous buckets) may answer
            // either request; it says nothing about B's object.
            let throttled = [probe.status, missing.status].contains(&StatusCode::TOO_MANY_REQUESTS);
            let (Target::Api { path, .. } | Target::ServerFn { path, .. }) = target;
            let stateful = ONE_AT_A_TIME.iter().any(|p| path.contains(p));
            if throttled {
                found.throttled += 1;
            } else if probe.status != missing.status && !stateful {
                // A's own state may decide the first of two requests (one
                // export at a time, say): ask again, the control first. Only
                // the same difference both ways is B's object showing
                // through; one that follows the order is A's state.
                let missing_again = self
                    .send(caller, target, position, &shaped(&control, shape))
                    .await;
                let probe_again = self
                    .send(caller, target, position, &shaped(value, shape))
                    .await;
                found.requests += 2;
                self.leak(&what, &probe_again.text, &mut found);
                let same_both_ways =
                    probe_again.status == probe.status && missing_again.status == missing.status;
                if same_both_ways {
                    found.mismatches.push(format!(
                        "{what}: {} where a missing object gets {}: {}",
                        probe.status, missing.status, probe.text
                    ));
                }
            }
        }
        found
    }
}

/// Probes between two checksums of B, and workers sending at once.
const BATCH: u64 = 2_000;
const WORKERS: u64 = 4;

async fn randomized_probes_with_tenant_b_ids_get_what_a_missing_object_gets(app: TestApp) {
    let app = crate::sso::app_with_key(app).await;
    // A on a plan that bounds what probes create in it (a list that grows
    // without end would make later probes ever slower), with the API on.
    crate::plans::define_plan(
        &app,
        "fuzzed",
        "hard",
        &[
            ("api_access", "true"),
            ("max_projects", "50"),
            ("max_members", "20"),
        ],
    )
    .await;
    app.tenant("alpha").await;
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "fuzzed", "test")
        .await
        .expect("plan");
    let v = victim(&app).await;
    let before = snapshot(&app, &v).await;
    let (seed, wanted) = (seed(), probes_wanted());

    let mut owner = app.owner_client("alpha").await;
    let res = owner
        .post_json("/api/v1/token", serde_json::json!({}))
        .await;
    let token = res.json()["token"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let key = app.api_key("alpha", "admin").await;
    let mut callers = HashMap::new();
    callers.insert(Caller::OwnerSession, owner);
    callers.insert(Caller::ApiKey, app.bearer_client("alpha.localhost", &key));
    callers.insert(Caller::Token, app.bearer_client("alpha.localhost", &token));
    callers.insert(Caller::Anonymous, app.client("alpha.localhost"));
    callers.insert(Caller::Superadmin, app.superadmin().await);
    callers.insert(
        Caller::VictimsKey,
        app.bearer_client("alpha.localhost", &v.key_secret),
    );
    let plan = Arc::new(Plan {
        targets: targets(),
        values: vec![
            v.project_id.clone(),
            v.task_id.clone(),
            v.member_id.clone(),
            v.endpoint_id.clone(),
            v.delivery_id.clone(),
            v.domain_id.clone(),
            v.key_id.clone(),
            v.invitation_id.clone(),
            v.export_id.clone(),
            v.invoice_number.clone(),
            v.ctx.id().to_string(),
            "bravo".to_owned(),
        ],
        secrets: v.secrets.clone(),
        base_form: attack_form(&v),
    });
    assert!(plan.targets.len() >= 60, "both registries are walked");
    let workers = |batch: u64, size: u64| {
        (0..WORKERS).map(move |w| (batch, w, size / WORKERS + u64::from(w < size % WORKERS)))
    };
    let mut found = Findings::default();
    let started = Instant::now();
    let mut batch = 0;
    while found.probes < wanted {
        let size = BATCH.min(wanted - found.probes);
        let mut running = Vec::new();
        for (batch, w, count) in workers(batch, size) {
            let fuzzer = Fuzzer {
                plan: Arc::clone(&plan),
                callers: callers
                    .iter()
                    .map(|(c, client)| (*c, client.on_host(&client.host)))
                    .collect(),
                sent: batch * BATCH,
                worker: w,
            };
            // Each worker's draws follow from the seed, the batch and its
            // number, so a seed replays the same probes.
            let rng = Rng(seed ^ (batch << 16 | w).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            running.push(tokio::spawn(fuzzer.run(rng, count)));
        }
        for worker in running {
            found.add(worker.await.expect("worker"));
        }
        batch += 1;
        let now = snapshot(&app, &v).await;
        assert_eq!(
            now, before,
            "B changed by probe {} (seed {seed})",
            found.probes
        );
        if found.probes % 50_000 == 0 {
            let rate = found.probes as f64 / started.elapsed().as_secs_f64();
            eprintln!(
                "fuzz: {} of {wanted} probes, {rate:.0}/s, {} findings so far (seed {seed})",
                found.probes,
                found.mismatches.len()
            );
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "fuzz: {} probes ({} requests) in {elapsed:.1} s, {:.0} probes/s, {} throttled, {} findings, seed {seed}",
        found.probes,
        found.requests,
        found.probes as f64 / elapsed,
        found.throttled,
        found.mismatches.len(),
    );
    assert!(
        found.mismatches.is_empty(),
        "seed {seed}: {} findings: {:#?}",
        found.mismatches.len(),
        &found.mismatches[..found.mismatches.len().min(20)]
    );
}
