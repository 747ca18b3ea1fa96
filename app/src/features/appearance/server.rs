//! The scheme lives in a cookie of its own, not in the session: it applies
//! before anyone signs in, and holds nothing secret.

use crate::backend::fail;
use crate::components::Theme;
use crate::error::AppError;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub async fn set_theme(raw: String) -> Result<(), AppError> {
    let theme = Theme::parse(raw.trim())
        .ok_or_else(|| fail(tenantry::Error::invalid("theme", "system, light or dark")))?;
    let secure = crate::backend::engine().await?.settings().secure_cookies;
    if let Some(response) = use_context::<ResponseOptions>() {
        // Made of fixed words only, so always a valid header value.
        if let Ok(cookie) = http::HeaderValue::from_str(&theme.cookie(secure)) {
            response.append_header(http::header::SET_COOKIE, cookie);
        }
    }
    Ok(())
}
