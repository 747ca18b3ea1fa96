//! The bound on the `tenant` label. A fleet of 100,000 tenants must not
//! become 100,000 series per metric, so only the busiest tenants keep a label
//! of their own: the first `top` tenants seen while there is room, then at the
//! end of each window the `top` with the most traffic in it. Everyone else is
//! `other`. A tenant that loses its label has its series forgotten (the
//! registry is told), so the series count stays near `top + 1` per label set.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The label the tenants without one of their own share.
pub const OTHER: &str = "other";

pub struct TenantLabels {
    top: usize,
    window: Duration,
    state: Mutex<Window>,
}

struct Window {
    started: Instant,
    /// Traffic per tenant since `started`.
    traffic: HashMap<Uuid, u64>,
    /// The tenants that keep their own label.
    labelled: HashSet<Uuid>,
}

/// What a label decision changed: tenants whose series are to be forgotten.
pub type Evicted = Vec<Uuid>;

impl TenantLabels {
    pub fn new(top: usize, window: Duration) -> Self {
        Self {
            top,
            window,
            state: Mutex::new(Window {
                started: Instant::now(),
                traffic: HashMap::new(),
                labelled: HashSet::new(),
            }),
        }
    }

    /// Counts one unit of `tenant`'s traffic and says whether it keeps its
    /// own label, and which tenants lost theirs if a window just ended.
    pub fn count(&self, tenant: Uuid) -> (bool, Evicted) {
        self.count_at(tenant, Instant::now())
    }

    /// Whether `tenant` has its own label now, without counting traffic
    /// (database work and jobs are labelled by the requests' ranking).
    pub fn has_own(&self, tenant: Uuid) -> bool {
        self.lock().labelled.contains(&tenant)
    }

    /// How many tenants have a label of their own.
    pub fn labelled(&self) -> usize {
        self.lock().labelled.len()
    }

    fn count_at(&self, tenant: Uuid, now: Instant) -> (bool, Evicted) {
        let mut state = self.lock();
        let evicted = match now.duration_since(state.started) >= self.window {
            true => state.roll(self.top, now),
            false => Vec::new(),
        };
        *state.traffic.entry(tenant).or_default() += 1;
        if state.labelled.len() < self.top {
            state.labelled.insert(tenant);
        }
        (state.labelled.contains(&tenant), evicted)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Window {
    /// Ends the window: the busiest `top` of it keep (or get) their labels.
    fn roll(&mut self, top: usize, now: Instant) -> Evicted {
        let mut ranked: Vec<(Uuid, u64)> = self.traffic.drain().collect();
        // Most traffic first; the id breaks ties, so the choice is stable.
        ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let busiest: HashSet<Uuid> = ranked.into_iter().take(top).map(|(t, _)| t).collect();
        let evicted = self.labelled.difference(&busiest).copied().collect();
        self.labelled = busiest;
        self.started = now;
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_keep_their_labels_and_the_rest_share_other() {
        let labels = TenantLabels::new(2, Duration::from_secs(60));
        let [a, b, c] = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
        let start = Instant::now();
        // Room for two: the first two seen have their own labels.
        assert!(labels.count_at(a, start).0);
        assert!(labels.count_at(b, start).0);
        assert!(!labels.count_at(c, start).0);
        for _ in 0..5 {
            labels.count_at(c, start);
            labels.count_at(b, start);
        }
        // The window ends: b and c were busiest, a is forgotten.
        let later = start + Duration::from_secs(61);
        let (own, evicted) = labels.count_at(c, later);
        assert!(own);
        assert_eq!(evicted, vec![a]);
        assert!(labels.has_own(b) && !labels.has_own(a));
        assert_eq!(labels.labelled(), 2);
    }

    #[test]
    fn ten_thousand_tenants_leave_top_labels() {
        let labels = TenantLabels::new(20, Duration::from_secs(60));
        let start = Instant::now();
        for n in 0..10_000u128 {
            labels.count_at(Uuid::from_u128(n), start);
        }
        assert_eq!(labels.labelled(), 20);
    }
}
