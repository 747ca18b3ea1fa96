//! The members this instance has read for a tenant, so that a signed-in
//! page costs no read of its member (see `tenancy::Kept`). A change of a
//! member's role or their removal forgets them here after its commit and
//! raises a record change, so every other instance loads a new record with
//! nothing kept. Only reads keep: a write looks its member up in its own
//! transaction.

use super::Member;
use crate::tenancy::{Kept, TenantCtx, Ticket};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Default)]
pub(super) struct KnownMembers(pub(super) Kept<Uuid, Member>);

impl KnownMembers {
    pub(super) fn of(ctx: &TenantCtx) -> Arc<Self> {
        ctx.tenant().memo.get::<Self>()
    }
}

/// A member as this instance knows them, or the ticket to read them with.
pub enum Known {
    Member(Member),
    Unknown(Ticket),
}
