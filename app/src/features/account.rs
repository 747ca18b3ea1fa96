//! The signed-in person's own account: a member's name, password, sessions
//! and second factor; a superadmin's second factor on the console.

pub mod api;
pub mod console_page;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
