#[cfg(feature = "mimalloc")]
mod allocator;

use clap::Parser;
use std::net::SocketAddr;
use std::time::Duration;
use tenantry::config::Backend;
use tenantry::jobs::{periodic, Runner};
use tenantry::tenancy::{audit, Engine};
use tenantry::Settings;
use tenantry_server::cli::{self, Cli, Command};
use tenantry_server::shutdown::Stop;
use tenantry_server::{router, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    let command = Cli::parse().command.unwrap_or(Command::Serve);
    let result = match command {
        Command::Serve => serve(settings).await,
        other => cli::run(settings, other).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    // SQLite (or an explicit owner URL) can migrate on start; a Postgres
    // runtime role cannot run DDL, so there `tenantry migrate` runs first.
    if settings.backend() == Backend::Sqlite || settings.owner_database_url.is_some() {
        Engine::migrate(&settings).await?;
    }
    let engine = tenantry::runtime::connect(&settings).await?;
    let findings = audit::run(&engine).await?;
    if !findings.is_empty() {
        for f in &findings {
            tracing::error!(subject = %f.subject, problem = %f.problem, "isolation audit finding");
        }
        anyhow::bail!(
            "refusing to serve: the isolation audit has {} finding(s)",
            findings.len()
        );
    }
    if std::env::var("TENANTRY_DEV_BOOTSTRAP").is_ok_and(|v| v == "1") {
        print_dev_banner(&engine).await?;
    }
    tokio::spawn(tenantry::events::dispatch::run(engine.clone()));
    tokio::spawn(tenantry::billing::platform_usage::run(engine.clone()));
    tokio::spawn(tenantry::platform::pool_health_loop(engine.clone()));
    tokio::spawn(tenantry::platform::cost_ledger_loop(engine.clone()));
    let grace = Duration::from_secs(settings.shutdown_grace_secs);
    let stop = Stop::on_signals(grace);
    tokio::spawn(periodic::run(
        engine.clone(),
        tenantry::platform::periodic_work(),
        stop.draining(),
    ));
    let runner = Runner::new(engine.clone(), tenantry_server::jobs::registry());
    // A second less than the server's, so that what could not finish is put
    // back before the process exits.
    let jobs_grace = grace.saturating_sub(Duration::from_secs(1));
    let jobs = tokio::spawn(runner.run(stop.draining(), jobs_grace));
    let app = router::build(engine.clone(), router::leptos_options(&settings));
    if let Some(addr) = settings.https_listen {
        let tls = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!(%addr, "listening for https (verified custom domains)");
        tokio::spawn(tenantry_server::https::serve(
            tls,
            engine.clone(),
            app.clone(),
        ));
    }
    if let Some(addr) = settings.observability.metrics_listen {
        let metrics = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!(%addr, "serving /metrics");
        tokio::spawn(tenantry_server::metrics_endpoint::serve(
            metrics,
            engine.clone(),
        ));
    }
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    tracing::info!(addr = %settings.listen, "listening");
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop.draining());
    tokio::select! {
        served = served => served?,
        _ = stop.exiting() => {}
    }
    // The jobs running here finish within the same grace period, or go back
    // to the queue for another instance.
    tokio::select! {
        _ = jobs => {}
        _ = stop.exiting() => {}
    }
    // Counted API calls not yet written as usage, including those of the
    // requests just finished.
    engine.api_calls().flush(&engine).await;
    // And what this instance's last requests cost.
    if let Err(e) = tenantry::tenancy::cost_ledger::flush(&engine).await {
        tracing::warn!(error = %e, "the last tenant costs were not written");
    }
    tracing::info!("stopped");
    Ok(())
}

async fn print_dev_banner(engine: &Engine) -> anyhow::Result<()> {
    let creds = tenantry::platform::bootstrap_dev(engine).await?;
    let s = engine.settings();
    let port = s.listen.port();
    println!(
        "\n  Tenantry is running (embedded SQLite under {}/)",
        s.data_dir.display()
    );
    println!("  console:     http://{}:{port}/console", s.console_host());
    println!("  demo tenant: http://demo.{}:{port}/", s.base_domain);
    for line in creds.text.lines() {
        println!("  {line}");
    }
    println!();
    Ok(())
}
