//! Rows read from a tenant's plane and kept in its record's memo
//! ([`super::RecordMemo`]), so that a busy row (a member, an API key) costs
//! no read per request.
//!
//! A change must not be undone by a read that raced it: a read that began
//! before the change committed may finish after it, holding the old row.
//! So every read takes a [`Ticket`] before it goes to the database, and its
//! row is kept only if nothing was forgotten since. Writers forget after
//! their commit; other instances load a new record (an empty memo) when the
//! change is relayed.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

/// Rows kept per tenant at most; past it the map starts over, so that a
/// tenant with many rows costs bounded memory.
const MAX_KEPT: usize = 1024;

pub struct Kept<K, V>(Mutex<Inner<K, V>>);

struct Inner<K, V> {
    rows: HashMap<K, V>,
    /// Raised by every forget: a read whose ticket is older keeps nothing.
    generation: u64,
}

/// Taken before a read goes to the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(u64);

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Self(Mutex::new(Inner {
            rows: HashMap::new(),
            generation: 0,
        }))
    }
}

impl<K: Eq + Hash, V: Clone> Kept<K, V> {
    /// The row kept under `key`, if any, and the ticket to hand to
    /// [`Kept::keep`] with whatever is read or changed from here on.
    pub fn lookup<Q>(&self, key: &Q) -> (Option<V>, Ticket)
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let inner = self.lock();
        (inner.rows.get(key).cloned(), Ticket(inner.generation))
    }

    /// Keeps `value`, unless something was forgotten since `ticket`.
    pub fn keep(&self, ticket: Ticket, key: K, value: V) {
        let mut inner = self.lock();
        if inner.generation != ticket.0 {
            return;
        }
        if inner.rows.len() >= MAX_KEPT {
            inner.rows.clear();
        }
        inner.rows.insert(key, value);
    }

    /// Forgets every row, and whatever a read in flight would keep.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.rows.clear();
        inner.generation += 1;
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_raced_a_change_keeps_nothing() {
        let kept = Kept::<u32, &str>::default();
        let (_, before) = kept.lookup(&1);
        kept.forget_all();
        kept.keep(before, 1, "old");
        let (old, after) = kept.lookup(&1);
        assert_eq!(old, None, "the old row was not kept");
        kept.keep(after, 1, "new");
        assert_eq!(kept.lookup(&1).0, Some("new"));
    }

    #[test]
    fn it_starts_over_past_its_bound() {
        let kept = Kept::<usize, usize>::default();
        for n in 0..=MAX_KEPT {
            let (_, ticket) = kept.lookup(&n);
            kept.keep(ticket, n, n);
        }
        assert_eq!(kept.lookup(&0).0, None);
        assert_eq!(kept.lookup(&MAX_KEPT).0, Some(MAX_KEPT));
    }
}
