//! The tenant-plane columns whose values may be sealed with the tenant's
//! key: its secrets, always, and the personal data the settings name
//! ([`super::personal`]).

use super::personal;

/// A tenant-plane column whose values are sealed with the tenant's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// `table.column`: the associated data its values are sealed under.
    pub name: &'static str,
    /// How a value stored before sealing existed reads: as it is, or
    /// sealed with the deployment's `secret_key` (`crate::seal`).
    pub legacy: Legacy,
    /// The column beside it holding its blind index, for the lookups that
    /// need equality (a sealed value differs every time it is sealed).
    pub index: Option<&'static str>,
    /// Personal data: sealed only when `encryption.personal_data` names it
    /// (a secret is always sealed).
    pub personal: bool,
}

impl SealedColumn {
    /// The column naming one row of its table, where it has one (the SSO
    /// configuration is the tenant's only row): a key rotation seals each
    /// row's value on its own, so equal values never show as equal texts.
    pub fn row_id(&self) -> Option<&'static str> {
        match self.table {
            "sso_configs" => None,
            "member_factors" => Some("user_id"),
            _ => Some("id"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legacy {
    Plain,
    /// Text sealed with `secret_key`.
    Sealer,
    /// Bytes sealed with `secret_key`, read as hex (the text form the
    /// tenant's key seals them in).
    SealerBytes,
}

pub const WEBHOOK_SECRET: SealedColumn = SealedColumn {
    table: "webhook_endpoints",
    column: "secret",
    name: "webhook_endpoints.secret",
    legacy: Legacy::Plain,
    index: None,
    personal: false,
};
pub const WEBHOOK_PREVIOUS_SECRET: SealedColumn = SealedColumn {
    table: "webhook_endpoints",
    column: "previous_secret",
    name: "webhook_endpoints.previous_secret",
    legacy: Legacy::Plain,
    index: None,
    personal: false,
};
pub const SSO_CLIENT_SECRET: SealedColumn = SealedColumn {
    table: "sso_configs",
    column: "client_secret_sealed",
    name: "sso_configs.client_secret_sealed",
    legacy: Legacy::Sealer,
    index: None,
    personal: false,
};

/// A member's two-factor secret, as hex.
pub const MEMBER_FACTOR_SECRET: SealedColumn = SealedColumn {
    table: "member_factors",
    column: "secret_sealed",
    name: "member_factors.secret_sealed",
    legacy: Legacy::SealerBytes,
    index: None,
    personal: false,
};

/// Every column that may hold sealed values, secrets and personal data:
/// what a key rotation seals again.
pub const SEALED_COLUMNS: &[SealedColumn] = &[
    WEBHOOK_SECRET,
    WEBHOOK_PREVIOUS_SECRET,
    SSO_CLIENT_SECRET,
    MEMBER_FACTOR_SECRET,
    personal::USER_EMAIL,
    personal::USER_NAME,
    personal::INVITATION_EMAIL,
];
