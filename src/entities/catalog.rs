pub mod fleet_unit;
pub mod platform_admin;
pub mod platform_audit;
pub mod session;
pub mod tenant;
pub mod tenant_branding;
pub mod tenant_move;
