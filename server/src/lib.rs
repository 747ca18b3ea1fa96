//! The `tenantry` binary's library: the gateway (tenant resolution, CSRF,
//! sessions, request logging), the JSON API, the platform API, the router,
//! and the CLI.

pub mod api;
pub mod arrival;
pub mod billing_webhook;
pub mod brand_assets;
pub mod cli;
pub mod console_csv;
pub mod console_restore;
pub mod gateway;
pub mod https;
pub mod impersonate;
pub mod jobs;
pub mod metrics_endpoint;
pub mod page_routes;
pub mod page_tasks;
pub mod platform_api;
pub mod router;
pub mod shutdown;
pub mod signup;
pub mod sso;
pub mod telemetry;
