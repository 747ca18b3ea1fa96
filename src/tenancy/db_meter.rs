//! What one tenant transaction cost the database, reported to the observer
//! when the transaction ends (committed, rolled back or dropped): its
//! statements, the rows they returned or changed, the round trips (the
//! `BEGIN` with the binding, each statement, the `COMMIT` or `ROLLBACK`)
//! and the time spent waiting for them.

use crate::observe::{DbWork, Observer};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use uuid::Uuid;

pub(super) struct DbMeter {
    observer: Observer,
    tenant: Uuid,
    statements: AtomicU64,
    rows: AtomicU64,
    nanos: AtomicU64,
}

impl DbMeter {
    /// A meter for a transaction whose `BEGIN` took `begin`.
    pub(super) fn new(observer: Observer, tenant: Uuid, begin: Duration) -> Self {
        Self {
            observer,
            tenant,
            statements: AtomicU64::new(0),
            rows: AtomicU64::new(0),
            nanos: AtomicU64::new(begin.as_nanos() as u64),
        }
    }

    /// One statement sent, taking `took` and touching `rows`.
    pub(super) fn statement(&self, took: Duration, rows: u64) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        self.rows.fetch_add(rows, Ordering::Relaxed);
        self.waited(took);
    }

    /// Time spent on the transaction's end.
    pub(super) fn waited(&self, took: Duration) {
        self.nanos
            .fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
    }
}

impl Drop for DbMeter {
    fn drop(&mut self) {
        let statements = *self.statements.get_mut();
        self.observer.db(
            self.tenant,
            &DbWork {
                time: Duration::from_nanos(*self.nanos.get_mut()),
                // The BEGIN, each statement, and the end.
                round_trips: statements + 2,
                statements,
                rows: *self.rows.get_mut(),
            },
        );
    }
}
