//! Payments (Stripe Connect): a tenant's owner connects the organisation's
//! Stripe account, its admins put offers on sale and refund purchases, its
//! members buy on the tenant's shop, and the console sees volume and fees.

pub mod api;
pub mod console_page;
pub mod page;
#[cfg(feature = "ssr")]
pub mod server;
pub mod shop_page;
