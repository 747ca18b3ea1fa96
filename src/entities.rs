//! SeaORM entities. Control-plane entities live in [`catalog`]; tenant-plane
//! entities in [`tenant`] are only reachable through a `TenantDb`. Entities
//! never leave the server: the browser sees DTOs built from them.

pub mod catalog;
pub mod tenant;

pub mod search;
