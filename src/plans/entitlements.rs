//! A plan and the entitlement values it grants, parsed and validated against
//! the [registry](super::registry).

use super::registry::{self, Entitlement, EntitlementKind};
use crate::entities::catalog::plan;
use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Entitlement key → value: `true`/`false` for a feature, a non-negative
/// integer for the others; a number that is absent means unlimited.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Entitlements(BTreeMap<&'static str, Value>);

impl Entitlements {
    pub fn feature(&self, key: &str) -> bool {
        self.0.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// The ceiling, or `None` for unlimited.
    pub fn number(&self, key: &str) -> Option<i64> {
        self.0.get(key).and_then(Value::as_i64)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// The value as a form shows it: `true`, `10`, or empty for unlimited.
    pub fn text(&self, key: &str) -> String {
        value_text(self.0.get(key))
    }

    pub(crate) fn set(&mut self, entitlement: &'static Entitlement, value: Value) {
        if value.is_null() {
            self.0.remove(entitlement.key);
        } else {
            self.0.insert(entitlement.key, value);
        }
    }

    /// From stored JSON. Unknown keys and values of the wrong kind are
    /// dropped with a warning: a stored plan never grants more than the
    /// registry allows.
    pub fn from_json(raw: &str) -> Self {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw) else {
            tracing::warn!("plan entitlements are not a JSON object; granting nothing");
            return Self::default();
        };
        let mut out = Self::default();
        for (key, value) in map {
            match registry::find(&key).map(|e| (e, check_value(e, &value))) {
                Some((entitlement, Ok(value))) => out.set(entitlement, value),
                _ => tracing::warn!(key, "stored entitlement ignored"),
            }
        }
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }

    /// From form input: one raw string per registry key (missing: off or
    /// unlimited). Every field is checked; the first bad one is reported.
    pub fn parse_form(raw: &BTreeMap<String, String>) -> Result<Self> {
        let mut out = Self::default();
        for entitlement in registry::REGISTRY {
            let text = raw.get(entitlement.key).map(|s| s.trim()).unwrap_or("");
            out.set(entitlement, parse_text(entitlement, text)?);
        }
        Ok(out)
    }
}

/// A raw value for `entitlement`: `true`/`false` (or `on`/empty) for a
/// feature, a whole number (or empty for unlimited) otherwise.
pub fn parse_text(entitlement: &'static Entitlement, text: &str) -> Result<Value> {
    let field = entitlement.key;
    match entitlement.kind {
        EntitlementKind::Feature => match text {
            "true" | "on" | "yes" => Ok(Value::Bool(true)),
            "false" | "off" | "no" | "" => Ok(Value::Bool(false)),
            _ => Err(Error::invalid(field, "must be true or false")),
        },
        _ if text.is_empty() || text.eq_ignore_ascii_case("unlimited") => Ok(Value::Null),
        _ if field == registry::PAYMENT_FEE_BPS => match text.replace('_', "").parse::<i64>() {
            Ok(n) if (0..=10_000).contains(&n) => Ok(Value::from(n)),
            _ => Err(Error::invalid(
                field,
                "must be a whole number of basis points from 0 to 10,000 (100 %)",
            )),
        },
        _ => match text.replace('_', "").parse::<i64>() {
            Ok(n) if (0..=1_000_000_000_000).contains(&n) => Ok(Value::from(n)),
            Ok(_) => Err(Error::invalid(
                field,
                "must be between 0 and 1,000,000,000,000",
            )),
            Err(_) => Err(Error::invalid(
                field,
                "must be a whole number, or empty for unlimited",
            )),
        },
    }
}

/// A value as a form shows it (empty: unlimited / unset).
pub fn value_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(v) => v.to_string(),
    }
}

fn check_value(entitlement: &'static Entitlement, value: &Value) -> Result<Value> {
    let ok = match entitlement.kind {
        EntitlementKind::Feature => value.is_boolean(),
        _ => value.is_null() || value.as_i64().is_some_and(|n| n >= 0),
    };
    if ok {
        Ok(value.clone())
    } else {
        Err(Error::invalid(
            entitlement.key,
            "has the wrong kind of value",
        ))
    }
}

/// What happens when a quota is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    /// Refused with 429 until the next period.
    Hard,
    /// Announced (80 % and 100 % events) but still served.
    Soft,
}

impl Enforcement {
    pub fn parse(raw: &str) -> Result<Self> {
        match raw.trim() {
            "hard" => Ok(Self::Hard),
            "soft" => Ok(Self::Soft),
            _ => Err(Error::invalid("quota_enforcement", "must be hard or soft")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hard => "hard",
            Self::Soft => "soft",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub key: String,
    pub name: String,
    pub tier: String,
    pub price_ref: Option<String>,
    pub placement_hint: Option<String>,
    pub quota_enforcement: Enforcement,
    pub entitlements: Entitlements,
    pub prices: Vec<crate::plans::prices::Price>,
}

impl Plan {
    pub(crate) fn from_model(m: plan::Model) -> Self {
        Self {
            quota_enforcement: Enforcement::parse(&m.quota_enforcement)
                .unwrap_or(Enforcement::Hard),
            entitlements: Entitlements::from_json(&m.entitlements),
            prices: crate::plans::prices::from_stored(&m.prices),
            key: m.key,
            name: m.name,
            tier: m.tier,
            price_ref: m.price_ref,
            placement_hint: m.placement_hint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn form_values_are_typed_and_empty_numbers_mean_unlimited() {
        let e = Entitlements::parse_form(&form(&[
            ("sso", "on"),
            ("max_projects", "3"),
            ("max_members", ""),
            ("api_requests_per_month", "10_000"),
        ]))
        .expect("valid");
        assert!(e.feature("sso"));
        assert!(!e.feature("custom_domains"));
        assert_eq!(e.number("max_projects"), Some(3));
        assert_eq!(e.number("max_members"), None);
        assert_eq!(e.number("api_requests_per_month"), Some(10_000));
        assert_eq!(Entitlements::from_json(&e.to_json()), e);
    }

    #[test]
    fn bad_values_name_their_field() {
        let err =
            Entitlements::parse_form(&form(&[("max_projects", "three")])).expect_err("refused");
        assert_eq!(err.field(), Some("max_projects"));
        let err = Entitlements::parse_form(&form(&[("max_members", "-1")])).expect_err("refused");
        assert_eq!(err.field(), Some("max_members"));
        let err = Entitlements::parse_form(&form(&[("sso", "maybe")])).expect_err("refused");
        assert_eq!(err.field(), Some("sso"));
    }

    #[test]
    fn stored_junk_grants_nothing() {
        let e = Entitlements::from_json(r#"{"sso":"yes","root":true,"max_projects":-4}"#);
        assert_eq!(e, Entitlements::default());
        assert_eq!(Entitlements::from_json("[]"), Entitlements::default());
    }
}
