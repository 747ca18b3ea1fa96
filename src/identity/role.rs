//! A member's role: the shared word (`tenantry_vocab::Role`), the same type
//! on the server and in the browser.

pub use tenantry_vocab::Role;
