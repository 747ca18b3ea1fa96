//! Stripe Connect: a tenant takes payments from its own customers on its
//! own Stripe account, and the platform takes an application fee.
//!
//! - [`accounts`]: the tenant's connected account (a Standard account,
//!   onboarded through Stripe's account links on the tenant's own host),
//!   its state mirrored from Stripe, and disconnecting it.
//! - [`offers`]: what the tenant sells.
//! - [`purchases`]: an end-user's checkout, created as a **direct charge**
//!   on the connected account (the tenant is the merchant: Stripe's checkout
//!   page and receipt carry its name and colours, never the platform's),
//!   with the platform's application fee from the tenant's plan; the
//!   purchase's state read back from Stripe; refunds.
//! - [`webhook`]: Connect events (`account` names the connected account),
//!   routed through the directory to the one tenant that owns the account.
//! - [`ledger`]: the platform's own record of volume and fees, per tenant
//!   and period, for the console.
//!
//! Every write to Stripe carries an idempotency key derived from our own
//! operation, and every read of a tenant's Stripe objects is made as that
//! tenant's account, so another tenant's objects are "not found" to it.

pub mod accounts;
pub mod fees;
pub mod ledger;
pub mod offers;
pub mod purchases;
pub mod webhook;

use crate::error::{Error, Result};
use crate::tenancy::Engine;
use stripe::Client;

/// The Stripe client, or a clear refusal when the platform has no Stripe.
pub(crate) async fn client(engine: &Engine) -> Result<Client> {
    super::stripe::client(engine).await?.ok_or_else(|| {
        Error::invalid(
            "payments",
            "payments are not available: the platform has no Stripe account configured",
        )
    })
}

/// Whether `id` looks like a Stripe id with `prefix` (`acct_`, `cs_`): ids
/// from events go into URL paths only once checked.
pub(crate) fn stripe_id(id: &str, prefix: &str) -> bool {
    id.len() > prefix.len()
        && id.len() <= 255
        && id.starts_with(prefix)
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
