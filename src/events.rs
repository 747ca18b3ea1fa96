//! Tenant lifecycle events. Every change (created, activated, suspended, …)
//! is written to an outbox in the same transaction as the change itself, then
//! delivered at least once, in order per tenant, to in-process subscribers
//! and to signed outgoing webhooks. See `docs/webhooks.md`.

pub mod bus;
pub mod delivery;
pub mod dispatch;
pub mod endpoints;
pub mod kind;
pub mod outbox;
pub mod relay;
pub mod signature;
pub mod target;

pub use bus::{Bus, Subscriber};
pub use endpoints::Owner;
pub use kind::EventKind;
pub use outbox::LifecycleEvent;
