//! Operator commands. Passwords are read from standard input, never from
//! arguments (which other users can see in the process list).

use anyhow::Context;
use clap::{Parser, Subcommand};
use tenantry::catalog::tenants::{self, NewTenant};
use tenantry::config::Backend;
use tenantry::identity::admins;
use tenantry::tenancy::{audit, fleet, moves, parse_placement, Engine, TenantState};
use tenantry_migrations::TenantMigrator;

mod progress;
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
    /// Run pending migrations fleet-wide (as the owner role on Postgres): the
    /// catalog, the shared pool and templates, then every tenant schema,
    /// database or file in canary batches. Resumes where a failed run stopped.
    Migrate {
        /// Tenants migrated at once (default: `migrate_concurrency`).
        #[arg(long)]
        concurrency: Option<usize>,
        /// Size of the first (canary) batch (default: `migrate_canary`).
        #[arg(long)]
        canary: Option<usize>,
    },
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
    /// The platform's key-encryption key and the tenants' data keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// After changing `encryption.key` (the old one listed in
    /// `encryption.retired_keys`): wrap every tenant's data key with the new
    /// key-encryption key. No data is re-encrypted; then the old key can go.
    Rewrap,
    /// Rotate every tenant's data key (those with a rotation under way are
    /// left to it): after `encryption.personal_data` names more columns, the
    /// rotations seal what was stored plain and index it.
    RotateAll,
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
    /// Create a tenant and its first owner; the password is read from stdin
    /// (an empty line invites the owner by email instead).
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        /// pool, schema or database (default: `default_placement`).
        #[arg(long, default_value = "")]
        placement: String,
        /// Provision it but leave it pending (see `tenant activate`).
        #[arg(long)]
        pending: bool,
        /// The plan's key (default: `default_plan`).
        #[arg(long, default_value = "")]
        plan: String,
        /// The region its data stays in (default: the home cluster's).
        #[arg(long, default_value = "")]
        region: String,
    },
    /// Move a tenant onto another plan.
    Plan {
        slug: String,
        plan: String,
    },
    /// Make a pending tenant live.
    Activate {
        slug: String,
    },
    /// Move a tenant to another placement while it keeps serving. Re-run the
    /// same command to resume a move that was interrupted.
    Move {
        slug: String,
        /// pool, schema or database.
        #[arg(long, required_unless_present = "rollback")]
        to: Option<String>,
        /// The cluster to move to (default: the tenant's own).
        #[arg(long, conflicts_with = "rollback")]
        cluster: Option<String>,
        /// Why the tenant's data leaves its region (a move into another
        /// region is refused without one; the platform audit keeps it).
        #[arg(long, conflicts_with = "rollback")]
        leave_region: Option<String>,
        /// Abandon an interrupted move that has not switched yet.
        #[arg(long, conflicts_with = "to")]
        rollback: bool,
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
    /// Rotate a tenant's data key: a new key now, everything sealed again
    /// with it in the background (the job runner), then the old key
    /// destroyed. Prints the rotation; `tenant key` shows its progress.
    RotateKey {
        slug: String,
    },
    /// Restore one of this platform's export archives: replacing a tenant's
    /// data (`--into`, with `--confirm`) or as a new tenant (`--as-new`).
    /// Runs in the background; `tenant restore-status` shows its progress.
    Restore {
        /// The archive (`.tar`) the export produced.
        #[arg(long)]
        archive: std::path::PathBuf,
        #[arg(long, conflicts_with = "as_new")]
        into: Option<String>,
        /// Repeat the slug given to `--into`.
        #[arg(long, default_value = "")]
        confirm: String,
        #[arg(long, requires = "name", requires = "owner_email")]
        as_new: Option<String>,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long, default_value = "")]
        owner_email: String,
        /// pool, schema or database (default: `default_placement`).
        #[arg(long, default_value = "")]
        placement: String,
    },
    /// Import a tenant's data from a directory of `<table>.jsonl` / `.csv`
    /// files, replacing its data; `--dry-run` reports what would be
    /// imported and every row refused, writing nothing.
    Import {
        slug: String,
        #[arg(long)]
        from: std::path::PathBuf,
        #[arg(long)]
        dry_run: bool,
        #[arg(long, default_value = "")]
        confirm: String,
    },
    /// The tenant's last restore or import, with its progress.
    RestoreStatus {
        slug: String,
    },
    /// A tenant's data key: its generations and the last rotation's progress.
    Key {
        slug: String,
    },
    /// Purge a deleted tenant now; prints the deletion receipt.
    Purge {
        slug: String,
        /// Repeat the slug to confirm.
        #[arg(long)]
        confirm: String,
    },
}

const CLI_ACTOR: &str = "cli";

/// Connects as the runtime role. The embedded default (SQLite) migrates
/// first, as `serve` does, so every command works on a fresh `data/`.
async fn connect(settings: &Settings) -> anyhow::Result<Engine> {
    if settings.backend() == Backend::Sqlite {
        Engine::migrate(settings).await.map_err(report)?;
    }
    tenantry::runtime::connect(settings).await.map_err(report)
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
        Command::Migrate {
            concurrency,
            canary,
        } => {
            let mut options = fleet::FleetOptions::from_settings(&settings);
            options.concurrency = concurrency.unwrap_or(options.concurrency).max(1);
            options.canary = canary.unwrap_or(options.canary).max(1);
            let bar = progress::Bar::new("migrating tenants");
            let report = fleet::migrate_all::<TenantMigrator>(&settings, &options, &bar)
                .await
                .map_err(report)?;
            bar.finish();
            println!(
                "migrations applied: version {}, {} tenant unit(s) migrated, {} already current",
                report.version, report.migrated, report.current
            );
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
        Command::Keys {
            command: KeysCommand::Rewrap,
        } => {
            let engine = connect(&settings).await?;
            let rewrapped = engine.rewrap_data_keys().await.map_err(report)?;
            println!("{rewrapped} data keys wrapped with the current key-encryption key");
        }
        Command::Keys {
            command: KeysCommand::RotateAll,
        } => {
            let engine = connect(&settings).await?;
            let (started, under_way) =
                tenantry::lifecycle::key_rotation::start_for_every_tenant(&engine, CLI_ACTOR)
                    .await
                    .map_err(report)?;
            println!(
                "key rotations started: {started}; already under way: {under_way} (`tenantry tenant key <slug>` follows one)"
            );
        }
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
            placement,
            pending,
            plan,
            region,
        } => {
            let admin_password = read_password().await?;
            let input = NewTenant {
                slug,
                name,
                admin_email,
                admin_password,
                placement,
                region,
                pending,
                plan,
            };
            let created = tenantry::lifecycle::create(&engine, input, CLI_ACTOR)
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
        TenantCommand::Activate { slug } => {
            let t = tenants::activate(&engine, &slug, CLI_ACTOR)
                .await
                .map_err(report)?;
            println!("{}", serde_json::to_string(&t)?);
        }
        TenantCommand::Plan { slug, plan } => {
            tenantry::lifecycle::plan::assign(&engine, &slug, &plan, CLI_ACTOR)
                .await
                .map_err(report)?;
            let (t, _) = tenants::get(&engine, &slug).await.map_err(report)?;
            println!("{}", serde_json::to_string(&t)?);
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
        TenantCommand::RotateKey { slug } => {
            let rotation =
                tenantry::lifecycle::key_rotation::start_by_slug(&engine, &slug, CLI_ACTOR)
                    .await
                    .map_err(report)?;
            println!("{}", serde_json::to_string(&rotation)?);
        }
        TenantCommand::Restore {
            archive,
            into,
            confirm,
            as_new,
            name,
            owner_email,
            placement,
        } => {
            use tenantry::lifecycle::restore;
            let bytes = std::fs::read(&archive)
                .with_context(|| format!("reading {}", archive.display()))?;
            let started = match (into, as_new) {
                (Some(slug), None) => {
                    restore::restore_replacing(&engine, &slug, &bytes, &confirm, CLI_ACTOR).await
                }
                (None, Some(slug)) => {
                    let target = restore::NewTarget {
                        slug,
                        name,
                        placement,
                        owner_email,
                    };
                    restore::restore_as_new(&engine, &bytes, target, CLI_ACTOR).await
                }
                _ => anyhow::bail!("give --into <slug> or --as-new <slug>"),
            }
            .map_err(report)?;
            println!("{}", serde_json::to_string(&started)?);
        }
        TenantCommand::Import {
            slug,
            from,
            dry_run,
            confirm,
        } => {
            use tenantry::lifecycle::restore;
            let import = restore::Import::from_dir(&from).map_err(report)?;
            if dry_run {
                let slug = tenantry::tenancy::Slug::parse(&slug).map_err(report)?;
                let record = engine
                    .record_by_slug(&slug)
                    .await
                    .map_err(report)?
                    .ok_or_else(|| anyhow::anyhow!("slug: no such tenant"))?;
                let dry = restore::dry_run(&engine, &record, &import)
                    .await
                    .map_err(report)?;
                println!("{}", serde_json::to_string(&dry)?);
                if !dry.refused.is_empty() {
                    anyhow::bail!("{} refusals (see the report)", dry.refused.len());
                }
            } else {
                let started = restore::import(&engine, &slug, &import, &confirm, CLI_ACTOR)
                    .await
                    .map_err(report)?;
                println!("{}", serde_json::to_string(&started)?);
            }
        }
        TenantCommand::RestoreStatus { slug } => {
            let status = tenantry::lifecycle::restore::status_by_slug(&engine, &slug)
                .await
                .map_err(report)?;
            println!("{}", serde_json::to_string(&status)?);
        }
        TenantCommand::Key { slug } => {
            let status = tenantry::lifecycle::key_rotation::status_by_slug(&engine, &slug)
                .await
                .map_err(report)?;
            println!("{}", serde_json::to_string(&status)?);
        }
        TenantCommand::Purge { slug, confirm } => {
            let receipt = tenantry::lifecycle::purge_now(&engine, &slug, &confirm, CLI_ACTOR)
                .await
                .map_err(report)?;
            println!("{}", serde_json::to_string(&receipt)?);
            if !receipt.complete() {
                anyhow::bail!("the purge left records behind (see the receipt)");
            }
        }
        TenantCommand::Move {
            slug,
            to,
            cluster,
            leave_region,
            rollback,
        } => {
            let status = match (rollback, to) {
                (true, _) => moves::rollback(&engine, &slug, CLI_ACTOR).await,
                (false, to) => {
                    let destination = moves::Destination {
                        placement: parse_placement(to.as_deref().unwrap_or_default(), "to")
                            .map_err(report)?,
                        cluster,
                        leave_region,
                    };
                    let id = moves::plan_to(&engine, &slug, &destination, CLI_ACTOR)
                        .await
                        .map_err(report)?;
                    let watcher = progress::watch_move(engine.clone(), id);
                    let outcome = moves::run(&engine, id).await;
                    watcher.abort();
                    outcome
                }
            }
            .map_err(report)?;
            println!("{}", serde_json::to_string(&status)?);
        }
    }
    Ok(())
}
