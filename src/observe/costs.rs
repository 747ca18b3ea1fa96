//! What each tenant costs, minute by minute, in memory until the ledger
//! writer takes it (`tenancy::cost_ledger`): requests and errors, CPU time of
//! its requests and jobs, database time, statements and rows, response
//! bytes, the storage it last measured at, and its requests' latencies as
//! counts per latency bucket (so that a p95 over any span is read from the
//! sum of its minutes).

use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// Upper bounds of the latency buckets, in milliseconds; one more bucket
/// holds everything slower.
pub const LATENCY_BOUNDS_MS: [u64; 8] = [10, 25, 50, 100, 250, 500, 1000, 2500];

/// Latency counts: one per bound, then the slower rest.
pub type LatencyCounts = [u64; LATENCY_BOUNDS_MS.len() + 1];

/// One tenant's costs over one minute (or, summed, over any span).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cost {
    pub requests: u64,
    pub errors: u64,
    pub request_cpu_micros: u64,
    pub job_cpu_micros: u64,
    pub jobs: u64,
    pub db_micros: u64,
    pub db_statements: u64,
    pub db_rows: u64,
    pub egress_bytes: u64,
    /// A level, not a flow: the bytes stored when last measured.
    pub storage_bytes: u64,
    pub latency: LatencyCounts,
}

impl Cost {
    pub fn add(&mut self, other: &Cost) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.request_cpu_micros += other.request_cpu_micros;
        self.job_cpu_micros += other.job_cpu_micros;
        self.jobs += other.jobs;
        self.db_micros += other.db_micros;
        self.db_statements += other.db_statements;
        self.db_rows += other.db_rows;
        self.egress_bytes += other.egress_bytes;
        self.storage_bytes = self.storage_bytes.max(other.storage_bytes);
        for (mine, theirs) in self.latency.iter_mut().zip(other.latency) {
            *mine += theirs;
        }
    }

    /// Counts one request's latency in its bucket.
    pub fn note_latency(&mut self, millis: u64) {
        let bucket = LATENCY_BOUNDS_MS
            .iter()
            .position(|&bound| millis <= bound)
            .unwrap_or(LATENCY_BOUNDS_MS.len());
        self.latency[bucket] += 1;
    }

    /// The latency under which `quantile` of the requests finished: the
    /// upper bound of the bucket that holds it (`None` without requests;
    /// the last bound for the slower rest).
    pub fn latency_quantile_ms(&self, quantile: f64) -> Option<u64> {
        let total: u64 = self.latency.iter().sum();
        if total == 0 {
            return None;
        }
        let wanted = (quantile * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (n, count) in self.latency.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return Some(LATENCY_BOUNDS_MS[n.min(LATENCY_BOUNDS_MS.len() - 1)]);
            }
        }
        LATENCY_BOUNDS_MS.last().copied()
    }
}

/// The minute (unix seconds, a multiple of 60) `at` falls in.
pub fn minute_of(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp().div_euclid(60) * 60
}

/// Costs per (tenant, minute) not yet written to the ledger.
#[derive(Default)]
pub struct CostBook {
    cells: Mutex<HashMap<(Uuid, i64), Cost>>,
}

impl CostBook {
    /// Adds to `tenant`'s current minute.
    pub fn add(&self, tenant: Uuid, change: impl FnOnce(&mut Cost)) {
        let minute = minute_of(chrono::Utc::now());
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        change(cells.entry((tenant, minute)).or_default());
    }

    /// Everything counted since the last call, emptied.
    pub fn take(&self) -> Vec<(Uuid, i64, Cost)> {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        cells.drain().map(|((t, m), c)| (t, m, c)).collect()
    }

    /// Puts back what the ledger could not write, so it is tried again.
    pub fn put_back(&self, taken: Vec<(Uuid, i64, Cost)>) {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        for (tenant, minute, cost) in taken {
            cells.entry((tenant, minute)).or_default().add(&cost);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_quantiles_come_from_bucket_counts() {
        let mut cost = Cost::default();
        for ms in [1, 2, 3, 4, 7, 8, 9, 30, 40, 700] {
            cost.note_latency(ms);
        }
        assert_eq!(cost.latency_quantile_ms(0.5), Some(10));
        assert_eq!(cost.latency_quantile_ms(0.8), Some(50));
        assert_eq!(cost.latency_quantile_ms(0.95), Some(1000));
        cost.note_latency(60_000);
        assert_eq!(
            cost.latency[LATENCY_BOUNDS_MS.len()],
            1,
            "slower than every bound"
        );
        assert_eq!(Cost::default().latency_quantile_ms(0.95), None);
    }

    #[test]
    fn the_book_sums_per_tenant_and_minute_until_taken() {
        let book = CostBook::default();
        let t = Uuid::from_u128(7);
        book.add(t, |c| c.requests += 1);
        book.add(t, |c| c.requests += 2);
        let requests =
            |cells: &[(Uuid, i64, Cost)]| cells.iter().map(|c| c.2.requests).sum::<u64>();
        let taken = book.take();
        // One cell, or two when a minute ended between the two requests.
        assert!(taken.len() <= 2 && taken.iter().all(|c| c.0 == t && c.1 % 60 == 0));
        assert_eq!(requests(&taken), 3);
        assert!(book.take().is_empty());
        book.put_back(taken);
        assert_eq!(requests(&book.take()), 3);
    }
}
