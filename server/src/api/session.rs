use super::body::JsonObject;
use super::error::ApiError;
use crate::arrival::Arriving;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;
use tenantry::identity::throttle::ClientIp;
use tenantry::identity::{members, two_factor};
use tenantry::tenancy::RequestScope;
use tenantry::Error;
use tower_sessions::Session;

/// `POST /api/v1/session` `{email, password, code?}` → a session cookie. A
/// member with a second factor sends its code too (a wrong or missing one
/// is refused); one who must set a factor up does so in the browser first.
pub async fn sign_in(
    Extension(scope): Extension<RequestScope>,
    client: Option<Extension<ClientIp>>,
    Arriving(arrival): Arriving,
    session: Session,
    body: Bytes,
) -> Result<Response, ApiError> {
    let client = client.map(|Extension(c)| c).unwrap_or_default();
    let ctx = scope.tenant()?;
    let body = JsonObject::parse(&body)?;
    let email = body.string("email")?;
    let password = body.string("password")?;
    let member = members::authenticate(ctx, &email, &password, client).await?;
    let (enrolled, required) = two_factor::members::at_sign_in(ctx, member.id).await?;
    if enrolled {
        let code = body.optional_string("code")?;
        if code.is_empty() {
            return Err(
                Error::invalid("code", "enter the code from your authenticator app").into(),
            );
        }
        two_factor::members::verify(ctx, member.id, &member.email, &code, client).await?;
    } else if required {
        return Err(Error::forbidden(
            "two_factor_setup_required",
            "your organisation requires two-factor sign-in: sign in in the browser to set it up",
        )
        .into());
    }
    tenantry::session::sign_in(&session, &scope, member.id, arrival)
        .await
        .map_err(Error::Unexpected)?;
    Ok((StatusCode::OK, Json(json!({ "user": member }))).into_response())
}
