//! Integration tests, in-process through the real router, against SQLite files
//! and a real PostgreSQL (a fresh database per test, cloned from a template
//! migrated once per run). Scenarios that hold on both backends are written
//! once and instantiated for each by `on_both_backends!`.

mod harness;

mod account;
mod api;
mod api_keys;
mod attack;
mod audit_faults;
mod audit_trail;
mod billing;
mod binding_guard;
mod branding_assets;
mod cache;
mod cli;
mod console_list;
mod dns_server;
mod domains;
mod exports;
mod flags;
mod fleet;
mod fuzz;
mod hand_filters;
mod impersonation;
mod ingest_faults;
mod isolation;
mod job_crashes;
mod jobs;
mod jobs_console;
mod layers;
mod legacy_rows;
mod lifecycle;
mod localstripe;
mod mail;
mod members;
mod moto;
mod moves;
mod oidc_provider;
mod outbound;
mod pages;
mod peer;
mod periodic;
mod placements;
mod plans;
mod platform_api;
mod privileges;
mod purge;
mod ratelimit;
mod receiver;
mod relay;
mod round_trips;
mod security_headers;
mod session_cache;
mod shutdown;
mod signin;
mod signup;
mod smtp_sink;
mod sso;
mod stripe;
mod tenant_map;
mod tls;
mod tokens;
mod two_factor;
mod wall;
mod webhooks;
