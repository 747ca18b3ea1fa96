//! The one error type that crosses to the browser: the core's public view
//! of an error (`tenantry::Error::public`) — a stable code, a safe message,
//! the field at fault and the entitlement that refused; internals stay in
//! the server log. The HTTP status is set from the code on the server.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppError {
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub field: Option<String>,
    /// The plan entitlement that refused the request, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entitlement: Option<String>,
}

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            field: None,
            entitlement: None,
        }
    }

    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }

    /// The message for `field`, if this error is about it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        (self.field.as_deref() == Some(field)).then(|| self.message.clone())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {}", field.replace('_', " "), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => {
                AppError::new("invalid", "the request was malformed")
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::new(
                "network",
                "could not reach the server; check your connection",
            ),
            _ => AppError::new("internal", "something went wrong; please try again"),
        }
    }
}
