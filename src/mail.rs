//! Outgoing email. Messages are composed with the tenant's branding (sender
//! name, logo, colours) as HTML with a plain-text alternative, and queued in
//! the tenant's plane in the same transaction as what they announce, each
//! with a job that sends it through SMTP with retries (`outbox::SendMail`).
//! With no SMTP server configured they stay in the dev mailbox, readable on
//! the console, so every flow works locally.

pub mod compose;
pub mod outbox;
pub mod transport;

pub use compose::Letter;
