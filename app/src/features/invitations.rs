//! Invitations and the links sent by email (accept, reset password, verify).

pub mod account_page;
pub mod api;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
