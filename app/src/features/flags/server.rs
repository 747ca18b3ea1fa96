//! Feature flags on the console: list, edit (targeting as a form), kill
//! switch, "who gets this flag", and the change history.

use crate::backend::{admin, fail, timestamp};
use crate::error::AppError;
use crate::features::flags::api::{FlagDetailDto, FlagFormDto, FlagRowDto};
use tenantry::flags::store::{self, FlagInput};
use tenantry::flags::{FlagDefinition, Rule};

fn targeting(flag: &FlagDefinition) -> String {
    if flag.kill_switch {
        return "killed: off everywhere".into();
    }
    let parts: Vec<String> = flag
        .rules
        .iter()
        .map(|rule| match rule {
            Rule::Deny { tenants } => format!("deny {}", tenants.len()),
            Rule::Users { users, .. } => format!("{} users", users.len()),
            Rule::Tenants { tenants, .. } => format!("{} tenants", tenants.len()),
            Rule::Plans { plans, .. } => format!("plans {}", plans.join(", ")),
            Rule::Tiers { tiers, .. } => format!("tiers {}", tiers.join(", ")),
            Rule::Percentage { percent, .. } => format!("{percent} %"),
        })
        .collect();
    if parts.is_empty() {
        "default for everyone".into()
    } else {
        parts.join(" · ")
    }
}

pub async fn list_flags() -> Result<Vec<FlagRowDto>, AppError> {
    let (engine, _) = admin().await?;
    let flags = store::list(&engine).await?;
    Ok(flags
        .iter()
        .map(|f| FlagRowDto {
            key: f.key.clone(),
            description: f.description.clone(),
            kind: serde_label(f),
            kill_switch: f.kill_switch,
            targeting: targeting(f),
        })
        .collect())
}

fn serde_label(f: &FlagDefinition) -> String {
    format!("{:?}", f.kind).to_lowercase()
}

fn form_dto(input: FlagInput) -> FlagFormDto {
    FlagFormDto {
        key: input.key,
        description: input.description,
        kind: input.kind,
        default: input.default,
        kill_switch: input.kill_switch,
        value: input.value,
        allow: input.allow,
        deny: input.deny,
        plans: input.plans,
        tiers: input.tiers,
        percentage: input.percentage,
    }
}

pub async fn get_flag(key: String) -> Result<FlagDetailDto, AppError> {
    let (engine, _) = admin().await?;
    let flag = store::get(&engine, &key).await?;
    let form = FlagInput::of(&engine, &flag).await?;
    let (resolved, live_tenants) = store::preview(&engine, &key).await?;
    let history = store::history(&engine, &key, 50).await?;
    Ok(FlagDetailDto {
        form: form_dto(form),
        resolved: resolved
            .into_iter()
            .map(|r| (r.slug, r.name, r.value.to_string()))
            .collect(),
        live_tenants,
        history: history
            .into_iter()
            .map(|h| (timestamp(h.at), h.actor, h.summary))
            .collect(),
    })
}

pub async fn save_flag(input: FlagInput) -> Result<String, AppError> {
    let (engine, who) = admin().await?;
    let flag = store::save(&engine, &input, &crate::backend::actor(&who.email)).await?;
    Ok(flag.key)
}

pub async fn set_kill_switch(key: String, on: bool) -> Result<(), AppError> {
    let (engine, who) = admin().await?;
    store::set_kill_switch(&engine, &key, on, &crate::backend::actor(&who.email))
        .await
        .map_err(fail)
}

pub async fn remove_flag(key: String) -> Result<(), AppError> {
    let (engine, who) = admin().await?;
    store::remove(&engine, &key, &crate::backend::actor(&who.email)).await?;
    leptos_axum::redirect("/console/flags");
    Ok(())
}
