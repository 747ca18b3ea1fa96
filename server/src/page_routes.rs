//! Routes outside the JSON API and the server functions that a browser
//! reaches (brand assets, single sign-on, the console's impersonation link,
//! a signup's confirmation link): each declares its [`Need`] beside its
//! handler, and the attack suite reads the same tables.

use crate::router::Site;
use axum::routing::MethodRouter;
use axum::{Extension, Router};
use tenantry::authz::Need;

pub struct PageRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub need: Need,
    pub handler: MethodRouter<Site>,
}

/// The routes of `table`, each carrying its need for the gateway.
pub fn router_of(table: Vec<PageRoute>) -> Router<Site> {
    table.into_iter().fold(Router::new(), |router, r| {
        router.route(r.path, r.handler.layer(Extension(r.need)))
    })
}
