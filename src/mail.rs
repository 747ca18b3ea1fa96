//! Outgoing email. Messages are composed with the tenant's branding (sender
//! name, logo, colours) as HTML with a plain-text alternative, and queued in
//! the catalog in the same transaction as what they announce; a worker sends
//! them through SMTP with retries. With no SMTP server configured they stay
//! in the dev mailbox, readable on the console, so every flow works locally.

pub mod compose;
pub mod outbox;
pub mod transport;

pub use compose::Letter;
