//! Requests in a superadmin's impersonation session: each one is checked
//! against the impersonation (ended or past its time: the session is signed
//! out and the request goes on anonymous) and written to the tenant's audit
//! log under both identities. Compiled assets are not requests anyone made.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tenantry::identity::impersonation;
use tenantry::tenancy::RequestScope;
use tower_sessions::Session;

pub async fn layer(req: Request, next: Next) -> Response {
    let (Some(RequestScope::Tenant(ctx)), Some(session)) = (
        req.extensions().get::<RequestScope>().cloned(),
        req.extensions().get::<Session>().cloned(),
    ) else {
        return next.run(req).await;
    };
    let scope = RequestScope::Tenant(ctx.clone());
    let Some(id) = tenantry::session::impersonation(&session, &scope).await else {
        return next.run(req).await;
    };
    match impersonation::active(&ctx, id).await {
        Ok(Some(active)) => {
            let path = req.uri().path().to_owned();
            let asset =
                path.starts_with("/pkg/") || path.starts_with("/brand/") || path == "/favicon.ico";
            if !asset {
                let method = req.method().as_str().to_owned();
                if let Err(e) = impersonation::record_request(&ctx, &active, &method, &path).await {
                    // Unattributed work must not happen: refuse the request.
                    tracing::error!(error = ?e, "impersonated request could not be audited");
                    return crate::api::error::json_error(&e);
                }
            }
            next.run(req).await
        }
        Ok(None) => {
            let _ = tenantry::session::sign_out(&session).await;
            next.run(req).await
        }
        Err(e) => crate::api::error::json_error(&e),
    }
}
