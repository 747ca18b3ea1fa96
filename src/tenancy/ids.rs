use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A tenant's public id (UUIDv7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TenantId(Uuid);

impl TenantId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }
    pub fn uuid(self) -> Uuid {
        self.0
    }
}

impl Default for TenantId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Hostname labels the platform keeps for itself.
pub const RESERVED_SLUGS: &[&str] = &[
    "admin", "www", "api", "app", "console", "mail", "static", "assets", "status", "help",
    "support", "docs", "t", "root", "system", "platform", "login", "auth", "billing",
];

/// A tenant's slug: its subdomain label. 3–40 characters, lowercase letters,
/// digits and inner hyphens, not reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let slug = raw.trim();
        let field = "slug";
        if slug.len() < 3 || slug.len() > 40 {
            return Err(Error::invalid(field, "must be 3 to 40 characters long"));
        }
        if !slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(Error::invalid(
                field,
                "may contain only lowercase letters, digits and hyphens",
            ));
        }
        if slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
            return Err(Error::invalid(
                field,
                "must start and end with a letter or digit, with no double hyphens",
            ));
        }
        if RESERVED_SLUGS.contains(&slug) {
            return Err(Error::invalid(field, format!("\"{slug}\" is reserved")));
        }
        Ok(Self(slug.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a tenant's tenant-plane rows live (the shared word).
pub use tenantry_vocab::Placement;

/// Parses a placement from user input, naming the field in the error.
pub fn parse_placement(raw: &str, field: &'static str) -> Result<Placement, Error> {
    Placement::parse(raw.trim())
        .ok_or_else(|| Error::invalid(field, "must be one of pool, schema, database"))
}

/// The schema or database name `placement` gives a tenant on Postgres
/// (`None` for the shared pool).
pub(crate) fn location_of(
    placement: Placement,
    tenant: TenantId,
    database_prefix: &str,
) -> Option<String> {
    let id = tenant.uuid().simple().to_string();
    match placement {
        Placement::Pool => None,
        Placement::Schema => Some(format!("t_{id}")),
        Placement::Database => Some(format!("{database_prefix}{id}")),
    }
}

/// Lifecycle: pending → active → suspended ⇄ active → deleted (→ purged).
pub use tenantry_vocab::TenantState;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_accepts_lowercase_labels_with_inner_hyphens() {
        assert_eq!(
            Slug::parse("acme-corp").map(|s| s.0).ok(),
            Some("acme-corp".into())
        );
        assert!(Slug::parse("a1b").is_ok());
    }

    #[test]
    fn slug_rejects_reserved_short_long_and_malformed_values() {
        for bad in [
            "admin",
            "www",
            "api",
            "ab",
            "Acme",
            "-acme",
            "acme-",
            "ac--me",
            "ac me",
            &"a".repeat(41),
        ] {
            let err = Slug::parse(bad).expect_err(bad);
            assert_eq!(err.field(), Some("slug"), "{bad}");
        }
    }
}
