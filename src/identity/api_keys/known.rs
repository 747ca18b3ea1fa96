//! The keys this instance has read for a tenant, so that a busy key costs
//! no read per request. They are kept in the tenant's record memo
//! (`RecordMemo`): revoking a key forgets it here at once and raises a
//! record change, which makes every other instance load a new record with
//! nothing known. Only rows that were found are kept, and each use still
//! checks the secret, the expiry and the revocation of the row it finds.

use crate::entities::tenant::api_key as row;
use crate::tenancy::TenantCtx;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Keys kept per tenant at most; past it the memo starts over, so that a
/// tenant with many keys costs bounded memory.
const MAX_KNOWN: usize = 1024;

#[derive(Default)]
pub(super) struct KnownKeys(Mutex<HashMap<String, row::Model>>);

impl KnownKeys {
    pub(super) fn of(ctx: &TenantCtx) -> Arc<Self> {
        ctx.tenant().memo.get::<Self>()
    }

    pub(super) fn get(&self, prefix: &str) -> Option<row::Model> {
        self.lock().get(prefix).cloned()
    }

    pub(super) fn keep(&self, found: &row::Model) {
        let mut known = self.lock();
        if known.len() >= MAX_KNOWN {
            known.clear();
        }
        known.insert(found.prefix.clone(), found.clone());
    }

    pub(super) fn forget(&self, prefix: &str) {
        self.lock().remove(prefix);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, row::Model>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
