//! Request bodies and callers. Bodies are parsed by hand from JSON so that a
//! bad one yields the specific field and reason, never a parser's internals.

use axum::body::Bytes;
use serde_json::{Map, Value};
use tenantry::Error;

pub struct JsonObject(Map<String, Value>);

impl JsonObject {
    pub fn parse(bytes: &Bytes) -> tenantry::Result<Self> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            _ => Err(Error::invalid("body", "must be a JSON object")),
        }
    }

    /// A field as sent, if present.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field)
    }

    /// A required string field.
    pub fn string(&self, field: &'static str) -> tenantry::Result<String> {
        match self.0.get(field) {
            Some(Value::String(s)) => Ok(s.clone()),
            None | Some(Value::Null) => Err(Error::invalid(field, "is required")),
            Some(_) => Err(Error::invalid(field, "must be a string")),
        }
    }

    /// An optional string field: absent or null is empty.
    pub fn optional_string(&self, field: &'static str) -> tenantry::Result<String> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(Error::invalid(field, "must be a string")),
        }
    }

    /// An optional boolean field: absent or null is false.
    pub fn flag(&self, field: &'static str) -> tenantry::Result<bool> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(Error::invalid(field, "must be true or false")),
        }
    }
}

/// Ids in paths: anything that is not a UUID is simply not found.
pub fn parse_id(raw: &str) -> tenantry::Result<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).map_err(|_| Error::NotFound)
}
