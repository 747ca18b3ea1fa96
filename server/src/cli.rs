//! Operator commands. Passwords are read from standard input, never from
//! arguments (which other users can see in the process list).

use anyhow::Context;
use clap::{Parser, Subcommand};
use tenantry::catalog::tenants::{self, NewTenant};
use tenantry::config::Backend;
use tenantry::identity::admins;
use tenantry::tenancy::{audit, Engine, TenantState};
use tenantry::Settings;
use tokio::io::AsyncBufReadExt;

#[derive(Parser)]
#[command(
    name = "tenantry",
    about = "Tenantry: the multi-tenant SaaS platform server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Run pending migrations (as the owner role on Postgres).
    Migrate,
    /// Platform superadmins.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Check the isolation invariants; exits non-zero on any finding.
    AuditIsolation,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create a superadmin; the password is read from stdin.
    Create {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and its first owner; the password is read from stdin.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
    },
    /// List live tenants.
    List {
        #[arg(long)]
        json: bool,
        /// Filter by state (active, suspended, deleted).
        #[arg(long)]
        state: Option<String>,
    },
    Suspend {
        slug: String,
    },
    Resume {
        slug: String,
    },
    /// Soft-delete (kept for the grace period, then purged).
    Delete {
        slug: String,
    },
}

const CLI_ACTOR: &str = "cli";

/// Connects as the runtime role. The embedded default (SQLite) migrates
/// first, as `serve` does, so every command works on a fresh `data/`.
async fn connect(settings: &Settings) -> anyhow::Result<Engine> {
    if settings.backend() == Backend::Sqlite {
        Engine::migrate(settings).await.map_err(report)?;
    }
    Engine::connect(settings).await.map_err(report)
}

async fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    tokio::io::BufReader::new(tokio::io::stdin())
        .read_line(&mut line)
        .await
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Prints a core error as `field: reason` and turns it into a failure.
fn report(err: tenantry::Error) -> anyhow::Error {
    match &err {
        tenantry::Error::Unexpected(cause) => anyhow::anyhow!("unexpected error: {cause:#}"),
        other => anyhow::anyhow!("{other}"),
    }
}

pub async fn run(settings: Settings, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve => unreachable!("handled by main"),
        Command::Migrate => {
            Engine::migrate(&settings).await.map_err(report)?;
            println!("migrations applied");
        }
        Command::AuditIsolation => {
            let engine = connect(&settings).await?;
            let findings = audit::run(&engine).await.map_err(report)?;
            if findings.is_empty() {
                println!("isolation audit: no findings");
            } else {
                for f in &findings {
                    eprintln!("FINDING {}: {}", f.subject, f.problem);
                }
                anyhow::bail!("isolation audit: {} finding(s)", findings.len());
            }
        }
        Command::Admin {
            command: AdminCommand::Create { email },
        } => {
            let engine = connect(&settings).await?;
            let password = read_password().await?;
            let admin = admins::create(&engine, &email, &password, CLI_ACTOR)
                .await
                .map_err(report)?;
            println!("{}", serde_json::to_string(&admin)?);
        }
        Command::Tenant { command } => tenant(settings, command).await?,
    }
    Ok(())
}

async fn tenant(settings: Settings, command: TenantCommand) -> anyhow::Result<()> {
    let engine = connect(&settings).await?;
    match command {
        TenantCommand::Create {
            slug,
            name,
            admin_email,
        } => {
            let admin_password = read_password().await?;
            let input = NewTenant {
                slug,
                name,
                admin_email,
                admin_password,
            };
            let created = tenants::create(&engine, input, CLI_ACTOR)
                .await
                .map_err(report)?;
            println!("{}", serde_json::to_string(&created)?);
        }
        TenantCommand::List { json, state } => {
            let state = match state.as_deref() {
                None => None,
                Some(s) => Some(
                    TenantState::parse(s)
                        .ok_or_else(|| anyhow::anyhow!("state: unknown state {s:?}"))?,
                ),
            };
            let list = tenants::list(&engine, "", state).await.map_err(report)?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                for t in list {
                    println!(
                        "{}\t{}\t{}\t{}",
                        t.slug,
                        t.state.as_str(),
                        t.placement.as_str(),
                        t.name
                    );
                }
            }
        }
        TenantCommand::Suspend { slug } => {
            let t = tenants::suspend(&engine, &slug, CLI_ACTOR)
                .await
                .map_err(report)?;
            println!("{}", serde_json::to_string(&t)?);
        }
        TenantCommand::Resume { slug } => {
            let t = tenants::resume(&engine, &slug, CLI_ACTOR)
                .await
                .map_err(report)?;
            println!("{}", serde_json::to_string(&t)?);
        }
        TenantCommand::Delete { slug } => {
            let t = tenants::delete(&engine, &slug, &slug, CLI_ACTOR)
                .await
                .map_err(report)?;
            println!("{}", serde_json::to_string(&t)?);
        }
    }
    Ok(())
}
