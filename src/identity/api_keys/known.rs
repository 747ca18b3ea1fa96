//! The keys this instance has read for a tenant, so that a busy key costs
//! no read per request (see `tenancy::Kept`: revoking a key forgets them
//! here after its commit, and every other instance loads a new record).
//! Only rows that were found are kept, and each use still checks the
//! secret, the expiry and the revocation of the row it finds.

use crate::entities::tenant::api_key as row;
use crate::tenancy::{Kept, TenantCtx};
use std::sync::Arc;

/// Keys by their visible prefix.
#[derive(Default)]
pub(super) struct KnownKeys(pub(super) Kept<String, row::Model>);

impl KnownKeys {
    pub(super) fn of(ctx: &TenantCtx) -> Arc<Self> {
        ctx.tenant().memo.get::<Self>()
    }
}
