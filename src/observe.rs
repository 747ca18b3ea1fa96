//! Metrics with a tenant dimension, in Prometheus's text format
//! (`prometheus-client`), and what each tenant costs.
//!
//! Everything that serves or works for a tenant reports here: the gateway
//! each request (route template, status class, latency, CPU time, response
//! bytes), `TenantDb` each transaction (database time, round trips,
//! statements, rows), the runner each job, the rate limits, quotas, webhook
//! and mail deliveries each outcome. The `tenant` label is bounded
//! ([`labels::TenantLabels`]): the busiest tenants keep their own, the rest
//! share `other`. The same reports feed the [`costs::CostBook`], unbounded
//! but summed per minute, which the cost ledger writes down.
//!
//! Each engine has its own observer (several apps in one process, the
//! tests, never share series); none is global.

pub mod costs;
pub mod cpu;
pub mod families;
pub mod labels;

use crate::config::ObservabilitySettings;
use costs::CostBook;
use families::*;
use labels::{TenantLabels, OTHER};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// The label of work that belongs to no tenant (the console, the public
/// site, the platform's own jobs).
pub const NO_TENANT: &str = "none";

/// Seconds as a counter.
type Seconds = Counter<f64, AtomicU64>;
type Buckets = fn() -> Histogram;
type Plain<L, M> = TenantFamily<L, M, fn() -> M>;

/// Latency buckets of requests and jobs, in seconds (1 ms to about 16 s).
fn latency_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 15,
    ))
}

/// One request as the gateway saw it end.
#[derive(Debug, Clone)]
pub struct RequestDone<'a> {
    /// The route's template (`/api/v1/projects/{id}`), never the raw path.
    pub route: &'a str,
    pub status: u16,
    pub tenant: Option<Uuid>,
    pub latency: Duration,
    pub cpu: Duration,
    pub bytes: u64,
}

/// One tenant transaction's database work.
#[derive(Debug, Clone, Default)]
pub struct DbWork {
    pub time: Duration,
    pub round_trips: u64,
    pub statements: u64,
    pub rows: u64,
}

/// How a job attempt ended.
#[derive(Debug, Clone, Copy)]
pub enum JobEnd {
    Done,
    Failed,
    Dead,
}

impl JobEnd {
    fn word(self) -> &'static str {
        match self {
            JobEnd::Done => "done",
            JobEnd::Failed => "failed",
            JobEnd::Dead => "dead",
        }
    }
}

/// What a quota did.
#[derive(Debug, Clone, Copy)]
pub enum QuotaEvent {
    /// 80 % of the period's allowance used.
    Warned,
    /// All of it used.
    Exhausted,
    /// A use refused (hard enforcement, nothing left).
    Refused,
}

impl QuotaEvent {
    fn word(self) -> &'static str {
        match self {
            QuotaEvent::Warned => "warned",
            QuotaEvent::Exhausted => "exhausted",
            QuotaEvent::Refused => "refused",
        }
    }
}

/// A delivery's outcome (webhooks, mail).
#[derive(Debug, Clone, Copy)]
pub enum Delivery {
    Delivered,
    Retried,
    Failed,
}

impl Delivery {
    fn word(self) -> &'static str {
        match self {
            Delivery::Delivered => "delivered",
            Delivery::Retried => "retried",
            Delivery::Failed => "failed",
        }
    }
}

/// The process's metrics and cost book. Cheap to clone.
#[derive(Clone)]
pub struct Observer(Arc<Inner>);

struct Inner {
    on: bool,
    registry: Registry,
    labels: TenantLabels,
    costs: CostBook,
    requests: Plain<RequestLabels, Counter>,
    latency: TenantFamily<RouteLabels, Histogram, Buckets>,
    egress: Plain<TenantLabel, Counter>,
    cpu: Plain<WorkLabels, Seconds>,
    db_time: Plain<TenantLabel, Seconds>,
    db_round_trips: Plain<TenantLabel, Counter>,
    db_statements: Plain<TenantLabel, Counter>,
    db_rows: Plain<TenantLabel, Counter>,
    db_transactions: Plain<TenantLabel, Counter>,
    /// Rebuilt from `queues` at each scrape: the `other` tenants' queues
    /// are summed, which a gauge set per tenant could not do.
    jobs_queued: Family<JobLabels, Gauge>,
    /// Each tenant's waiting jobs per kind, as the runner last counted.
    queues: Mutex<HashMap<Uuid, Vec<(String, u64)>>>,
    job_latency: TenantFamily<JobLabels, Histogram, Buckets>,
    jobs_ended: Plain<JobEndLabels, Counter>,
    rate_limited: Plain<LimitLabels, Counter>,
    quota: Plain<QuotaLabels, Counter>,
    webhooks: Plain<OutcomeLabels, Counter>,
    mail: Plain<OutcomeLabels, Counter>,
    pools: Family<PoolLabels, Gauge>,
}

fn plain<L, M>() -> Plain<L, M>
where
    L: Clone
        + std::hash::Hash
        + Eq
        + std::fmt::Debug
        + prometheus_client::encoding::EncodeLabelSet
        + Send
        + Sync
        + 'static,
    M: Default + Send + Sync + 'static,
{
    TenantFamily::new(Family::default())
}

fn timed<L>() -> TenantFamily<L, Histogram, Buckets>
where
    L: Clone
        + std::hash::Hash
        + Eq
        + std::fmt::Debug
        + prometheus_client::encoding::EncodeLabelSet
        + Send
        + Sync
        + 'static,
{
    TenantFamily::new(Family::new_with_constructor(latency_histogram as Buckets))
}

impl Observer {
    pub fn new(settings: &ObservabilitySettings) -> Self {
        let mut registry = Registry::with_prefix("tenantry");
        let inner = Inner {
            on: settings.metrics,
            labels: TenantLabels::new(
                settings.top_tenants,
                Duration::from_secs(settings.label_window_secs.max(1)),
            ),
            costs: CostBook::default(),
            requests: plain(),
            latency: timed(),
            egress: plain(),
            cpu: plain(),
            db_time: plain(),
            db_round_trips: plain(),
            db_statements: plain(),
            db_rows: plain(),
            db_transactions: plain(),
            jobs_queued: Family::default(),
            queues: Mutex::new(HashMap::new()),
            job_latency: timed(),
            jobs_ended: plain(),
            rate_limited: plain(),
            quota: plain(),
            webhooks: plain(),
            mail: plain(),
            pools: Family::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "http_requests",
            "Requests by route template, status class and tenant",
            inner.requests.registered(),
        );
        r.register_with_unit(
            "http_request_duration",
            "Request latency to the last byte of the response",
            Unit::Seconds,
            inner.latency.registered(),
        );
        r.register_with_unit(
            "http_response",
            "Response bytes sent (egress) by tenant",
            Unit::Bytes,
            inner.egress.registered(),
        );
        r.register_with_unit(
            "cpu",
            "CPU time of request and job work by tenant",
            Unit::Seconds,
            inner.cpu.registered(),
        );
        r.register_with_unit(
            "db",
            "Time inside tenant database transactions by tenant",
            Unit::Seconds,
            inner.db_time.registered(),
        );
        r.register(
            "db_round_trips",
            "Database round trips of tenant transactions by tenant",
            inner.db_round_trips.registered(),
        );
        r.register(
            "db_statements",
            "Statements sent in tenant transactions by tenant",
            inner.db_statements.registered(),
        );
        r.register(
            "db_rows",
            "Rows returned or changed by tenant statements by tenant",
            inner.db_rows.registered(),
        );
        r.register(
            "db_transactions",
            "Tenant transactions by tenant",
            inner.db_transactions.registered(),
        );
        r.register(
            "jobs_queued",
            "Jobs waiting to run by kind and tenant, as the runner last counted",
            inner.jobs_queued.clone(),
        );
        r.register_with_unit(
            "job_duration",
            "Job attempt latency by kind and tenant",
            Unit::Seconds,
            inner.job_latency.registered(),
        );
        r.register(
            "jobs_ended",
            "Job attempts by kind, outcome and tenant",
            inner.jobs_ended.registered(),
        );
        r.register(
            "rate_limited",
            "Requests refused by a rate limit, by limit and tenant",
            inner.rate_limited.registered(),
        );
        r.register(
            "quota_events",
            "Quota warnings and refusals by meter and tenant",
            inner.quota.registered(),
        );
        r.register(
            "webhook_deliveries",
            "Webhook delivery attempts by outcome and tenant",
            inner.webhooks.registered(),
        );
        r.register(
            "mail_deliveries",
            "Mail delivery attempts by outcome and tenant",
            inner.mail.registered(),
        );
        r.register(
            "pool_connections",
            "Database connections by placement and state",
            inner.pools.clone(),
        );
        Self(Arc::new(Inner { registry, ..inner }))
    }

    /// Whether anything is recorded.
    pub fn is_on(&self) -> bool {
        self.0.on
    }

    /// The tenant label of work that does not count as traffic.
    fn label_of(&self, tenant: Option<Uuid>) -> (Option<Uuid>, String) {
        match tenant {
            None => (None, NO_TENANT.to_owned()),
            Some(t) if self.0.labels.has_own(t) => (Some(t), t.to_string()),
            Some(_) => (None, OTHER.to_owned()),
        }
    }

    /// A request ended (the last byte of its response sent, or dropped).
    pub fn request(&self, done: &RequestDone<'_>) {
        if !self.0.on {
            return;
        }
        let i = &self.0;
        let (own, tenant) = match done.tenant {
            None => (None, NO_TENANT.to_owned()),
            Some(t) => {
                let (own, evicted) = i.labels.count(t);
                for gone in evicted {
                    self.forget(gone);
                }
                match own {
                    true => (Some(t), t.to_string()),
                    false => (None, OTHER.to_owned()),
                }
            }
        };
        let route = done.route.to_owned();
        let status_class = status_class(done.status);
        let seconds = done.latency.as_secs_f64();
        i.requests.with(
            own,
            &RequestLabels {
                route: route.clone(),
                status_class,
                tenant: tenant.clone(),
            },
            |c| {
                c.inc();
            },
        );
        i.latency.with(
            own,
            &RouteLabels {
                route,
                tenant: tenant.clone(),
            },
            |h| h.observe(seconds),
        );
        i.egress.with(
            own,
            &TenantLabel {
                tenant: tenant.clone(),
            },
            |c| {
                c.inc_by(done.bytes);
            },
        );
        i.cpu.with(
            own,
            &WorkLabels {
                work: "request",
                tenant,
            },
            |c| {
                c.inc_by(done.cpu.as_secs_f64());
            },
        );
        if let Some(t) = done.tenant {
            i.costs.add(t, |c| {
                c.requests += 1;
                c.errors += u64::from(done.status >= 500);
                c.request_cpu_micros += done.cpu.as_micros() as u64;
                c.egress_bytes += done.bytes;
                c.note_latency(done.latency.as_millis() as u64);
            });
        }
    }

    /// A tenant transaction ended.
    pub fn db(&self, tenant: Uuid, work: &DbWork) {
        if !self.0.on {
            return;
        }
        let i = &self.0;
        let (own, label) = self.label_of(Some(tenant));
        // One label set for the five families, built once per transaction.
        let labels = TenantLabel { tenant: label };
        i.db_time.with(own, &labels, |c| {
            c.inc_by(work.time.as_secs_f64());
        });
        i.db_round_trips.with(own, &labels, |c| {
            c.inc_by(work.round_trips);
        });
        i.db_statements.with(own, &labels, |c| {
            c.inc_by(work.statements);
        });
        i.db_rows.with(own, &labels, |c| {
            c.inc_by(work.rows);
        });
        i.db_transactions.with(own, &labels, |c| {
            c.inc();
        });
        i.costs.add(tenant, |c| {
            c.db_micros += work.time.as_micros() as u64;
            c.db_statements += work.statements;
            c.db_rows += work.rows;
        });
    }

    /// A job attempt ended.
    pub fn job(
        &self,
        kind: &str,
        tenant: Option<Uuid>,
        latency: Duration,
        cpu: Duration,
        end: JobEnd,
    ) {
        if !self.0.on {
            return;
        }
        let i = &self.0;
        let (own, label) = self.label_of(tenant);
        let kind = kind.to_owned();
        i.job_latency.with(
            own,
            &JobLabels {
                kind: kind.clone(),
                tenant: label.clone(),
            },
            |h| h.observe(latency.as_secs_f64()),
        );
        i.jobs_ended.with(
            own,
            &JobEndLabels {
                kind,
                outcome: end.word(),
                tenant: label.clone(),
            },
            |c| {
                c.inc();
            },
        );
        i.cpu.with(
            own,
            &WorkLabels {
                work: "job",
                tenant: label,
            },
            |c| {
                c.inc_by(cpu.as_secs_f64());
            },
        );
        if let Some(t) = tenant {
            i.costs.add(t, |c| {
                c.jobs += 1;
                c.job_cpu_micros += cpu.as_micros() as u64;
            });
        }
    }

    /// The bytes `tenant` stores, as just measured (billing's storage meter).
    pub fn storage(&self, tenant: Uuid, bytes: u64) {
        if self.0.on {
            self.0
                .costs
                .add(tenant, |c| c.storage_bytes = c.storage_bytes.max(bytes));
        }
    }

    /// The jobs waiting in `tenant`'s queue per kind, as just counted.
    pub fn jobs_queued(&self, tenant: Uuid, waiting: Vec<(String, u64)>) {
        if !self.0.on {
            return;
        }
        let mut queues = self.0.queues.lock().unwrap_or_else(|e| e.into_inner());
        match waiting.is_empty() {
            true => queues.remove(&tenant),
            false => queues.insert(tenant, waiting),
        };
    }

    /// Sets the queue-depth gauges from the latest counts.
    fn refresh_queues(&self) {
        let queues = self.0.queues.lock().unwrap_or_else(|e| e.into_inner());
        let mut depth: HashMap<JobLabels, u64> = HashMap::new();
        for (tenant, kinds) in queues.iter() {
            let (_, label) = self.label_of(Some(*tenant));
            for (kind, waiting) in kinds {
                let labels = JobLabels {
                    kind: kind.clone(),
                    tenant: label.clone(),
                };
                *depth.entry(labels).or_default() += waiting;
            }
        }
        self.0.jobs_queued.clear();
        for (labels, waiting) in depth {
            let waiting = i64::try_from(waiting).unwrap_or(i64::MAX);
            self.0.jobs_queued.get_or_create(&labels).set(waiting);
        }
    }

    /// A request refused by the rate limit `limit`.
    pub fn rate_limited(&self, limit: &str, tenant: Option<Uuid>) {
        if !self.0.on {
            return;
        }
        let (own, label) = self.label_of(tenant);
        self.0.rate_limited.with(
            own,
            &LimitLabels {
                limit: limit.to_owned(),
                tenant: label,
            },
            |c| {
                c.inc();
            },
        );
    }

    /// A quota of `tenant` passed a threshold or refused a use.
    pub fn quota(&self, meter: &str, event: QuotaEvent, tenant: Uuid) {
        if !self.0.on {
            return;
        }
        let (own, label) = self.label_of(Some(tenant));
        let event = event.word();
        self.0.quota.with(
            own,
            &QuotaLabels {
                meter: meter.to_owned(),
                event,
                tenant: label,
            },
            |c| {
                c.inc();
            },
        );
    }

    /// A webhook delivery attempt ended.
    pub fn webhook(&self, outcome: Delivery, tenant: Option<Uuid>) {
        self.outcome(&self.0.webhooks, outcome, tenant);
    }

    /// A mail delivery attempt ended.
    pub fn mail(&self, outcome: Delivery, tenant: Option<Uuid>) {
        self.outcome(&self.0.mail, outcome, tenant);
    }

    fn outcome(
        &self,
        family: &Plain<OutcomeLabels, Counter>,
        outcome: Delivery,
        tenant: Option<Uuid>,
    ) {
        if !self.0.on {
            return;
        }
        let (own, label) = self.label_of(tenant);
        family.with(
            own,
            &OutcomeLabels {
                outcome: outcome.word(),
                tenant: label,
            },
            |c| {
                c.inc();
            },
        );
    }

    /// A placement's connections, as counted just now.
    pub fn pool(&self, placement: &'static str, in_use: u64, idle: u64) {
        for (state, count) in [("in_use", in_use), ("idle", idle)] {
            let labels = PoolLabels { placement, state };
            self.0.pools.get_or_create(&labels).set(count as i64);
        }
    }

    /// The costs counted since the last call (the ledger writer's).
    pub fn costs(&self) -> &CostBook {
        &self.0.costs
    }

    /// How many tenants have a label of their own.
    pub fn labelled_tenants(&self) -> usize {
        self.0.labels.labelled()
    }

    /// Every metric in the text exposition format.
    pub fn render(&self) -> String {
        self.refresh_queues();
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.0.registry) {
            tracing::error!(error = %e, "metrics could not be encoded");
        }
        out
    }

    /// Removes the series of a tenant that lost its own label.
    fn forget(&self, tenant: Uuid) {
        let i = &self.0;
        i.requests.forget(tenant);
        i.latency.forget(tenant);
        i.egress.forget(tenant);
        i.cpu.forget(tenant);
        i.db_time.forget(tenant);
        i.db_round_trips.forget(tenant);
        i.db_statements.forget(tenant);
        i.db_rows.forget(tenant);
        i.db_transactions.forget(tenant);
        i.job_latency.forget(tenant);
        i.jobs_ended.forget(tenant);
        i.rate_limited.forget(tenant);
        i.quota.forget(tenant);
        i.webhooks.forget(tenant);
        i.mail.forget(tenant);
    }
}

/// `2xx`, `4xx`, …
fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}
