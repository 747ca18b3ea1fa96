//! Flag definitions in the catalog: save (create or change), kill switch,
//! remove, the change history, and "who gets this flag". Every change is
//! recorded with the definition before and after, audited, and broadcast so
//! every instance evaluates the new definition within a second.

use super::{evaluate, EvalContext, FlagDefinition, FlagKind, Rule};
use crate::audit;
use crate::entities::catalog::{flag, flag_change, tenant};
use crate::error::{Error, Result};
use crate::tenancy::{Engine, PlatformUse, TenantId, TenantState};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;

mod form;

use form::kind_name;
pub use form::FlagInput;

/// A stored row as a definition.
pub(crate) fn definition(m: flag::Model) -> Result<FlagDefinition> {
    let kind: FlagKind = serde_json::from_value(Value::String(m.kind.clone()))
        .map_err(|_| anyhow::anyhow!("flag {} has unknown kind {:?}", m.key, m.kind))?;
    Ok(FlagDefinition {
        default: serde_json::from_str(&m.default_value).map_err(anyhow::Error::from)?,
        rules: serde_json::from_str(&m.rules).map_err(anyhow::Error::from)?,
        key: m.key,
        description: m.description,
        kind,
        kill_switch: m.kill_switch,
    })
}

/// Every flag, by key.
pub async fn list(engine: &Engine) -> Result<Vec<std::sync::Arc<FlagDefinition>>> {
    Ok(engine.policy().await?.flags.values().cloned().collect())
}

pub async fn get(engine: &Engine, key: &str) -> Result<std::sync::Arc<FlagDefinition>> {
    engine
        .policy()
        .await?
        .flags
        .get(key)
        .cloned()
        .ok_or(Error::NotFound)
}

/// Creates the flag or replaces its definition.
pub async fn save(engine: &Engine, input: &FlagInput, actor: &str) -> Result<FlagDefinition> {
    let mut flag = input.parse(engine).await?;
    let before = engine.policy().await?.flags.get(&flag.key).cloned();
    // Per-user rules are set through the core API, not the form: a form
    // save keeps them.
    if let Some(old) = &before {
        let kind = flag.kind;
        let users = old
            .rules
            .iter()
            .filter(|r| matches!(r, Rule::Users { value, .. } if kind.accepts(value)));
        flag.rules.extend(users.cloned());
    }
    let summary = match &before {
        None => "created".to_owned(),
        Some(old) if old.kill_switch != flag.kill_switch => {
            format!(
                "kill switch {}",
                if flag.kill_switch { "on" } else { "off" }
            )
        }
        Some(_) => "changed".to_owned(),
    };
    write(
        engine,
        &flag.key,
        Some(&flag),
        before.as_deref(),
        &summary,
        actor,
    )
    .await?;
    Ok(flag)
}

/// Targets users inside one tenant: they get `value` (of the flag's kind);
/// an empty list removes the tenant's user rule.
pub async fn set_user_rule(
    engine: &Engine,
    key: &str,
    tenant: TenantId,
    users: Vec<uuid::Uuid>,
    value: Value,
    actor: &str,
) -> Result<()> {
    let before = get(engine, key).await?;
    if !before.kind.accepts(&value) {
        return Err(Error::invalid(
            "value",
            format!("must be a {} value", kind_name(before.kind)),
        ));
    }
    let mut after = (*before).clone();
    after
        .rules
        .retain(|r| !matches!(r, Rule::Users { tenant: t, .. } if *t == tenant));
    let summary = format!("{} user(s) of tenant {tenant} targeted", users.len());
    if !users.is_empty() {
        after.rules.push(Rule::Users {
            tenant,
            users,
            value,
        });
    }
    write(engine, key, Some(&after), Some(&before), &summary, actor).await
}

/// Turns the kill switch on (the flag is off everywhere) or off.
pub async fn set_kill_switch(engine: &Engine, key: &str, on: bool, actor: &str) -> Result<()> {
    let before = get(engine, key).await?;
    let mut after = (*before).clone();
    after.kill_switch = on;
    let summary = format!("kill switch {}", if on { "on" } else { "off" });
    write(engine, key, Some(&after), Some(&before), &summary, actor).await
}

pub async fn remove(engine: &Engine, key: &str, actor: &str) -> Result<()> {
    let before = get(engine, key).await?;
    write(engine, key, None, Some(&before), "removed", actor).await
}

async fn write(
    engine: &Engine,
    key: &str,
    after: Option<&FlagDefinition>,
    before: Option<&FlagDefinition>,
    summary: &str,
    actor: &str,
) -> Result<()> {
    let txn = engine.platform(PlatformUse::Records).await?;
    match after {
        Some(flag) => upsert(&txn, flag).await?,
        None => {
            flag::Entity::delete_by_id(key.to_owned())
                .exec(&txn)
                .await?;
        }
    }
    let as_json =
        |f: Option<&FlagDefinition>| f.map(|f| serde_json::to_string(f).unwrap_or_default());
    flag_change::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        flag: Set(key.to_owned()),
        at: Set(chrono::Utc::now()),
        actor: Set(actor.to_owned()),
        summary: Set(summary.to_owned()),
        before: Set(as_json(before)),
        after: Set(as_json(after)),
    }
    .insert(&txn)
    .await?;
    let detail = json!({ "flag": key, "change": summary }).to_string();
    audit::record_in(&txn, actor, "flag.changed", None, &detail).await?;
    txn.commit().await?;
    engine.policy_changed().await
}

async fn upsert(conn: &impl ConnectionTrait, flag: &FlagDefinition) -> Result<()> {
    let kind = serde_json::to_value(flag.kind).map_err(anyhow::Error::from)?;
    flag::Entity::insert(flag::ActiveModel {
        key: Set(flag.key.clone()),
        description: Set(flag.description.clone()),
        kind: Set(kind.as_str().unwrap_or("boolean").to_owned()),
        default_value: Set(flag.default.to_string()),
        kill_switch: Set(flag.kill_switch),
        rules: Set(serde_json::to_string(&flag.rules).map_err(anyhow::Error::from)?),
        updated_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::column(flag::Column::Key)
            .update_columns([
                flag::Column::Description,
                flag::Column::Kind,
                flag::Column::DefaultValue,
                flag::Column::KillSwitch,
                flag::Column::Rules,
                flag::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct FlagChange {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub summary: String,
}

/// The flag's changes, newest first.
pub async fn history(engine: &Engine, key: &str, limit: u64) -> Result<Vec<FlagChange>> {
    let rows = flag_change::Entity::find()
        .filter(flag_change::Column::Flag.eq(key))
        .order_by_desc(flag_change::Column::At)
        .order_by_desc(flag_change::Column::Id)
        .limit(limit)
        .all(engine.platform_tables())
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| FlagChange {
            at: r.at,
            actor: r.actor,
            summary: r.summary,
        })
        .collect())
}

/// A live tenant and the value the flag resolves to for it.
#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    pub slug: String,
    pub name: String,
    pub value: Value,
}

/// Who gets this flag: every live tenant whose value differs from the
/// default, and how many live tenants there are.
pub async fn preview(engine: &Engine, key: &str) -> Result<(Vec<Resolution>, usize)> {
    let policy = engine.policy().await?;
    let flag = policy.flags.get(key).cloned().ok_or(Error::NotFound)?;
    let tenants = tenant::Entity::find()
        .filter(tenant::Column::State.is_in([
            TenantState::Active.as_str(),
            TenantState::Suspended.as_str(),
        ]))
        .order_by_asc(tenant::Column::Slug)
        .all(engine.platform_tables())
        .await?;
    let total = tenants.len();
    let resolved = tenants
        .into_iter()
        .filter_map(|t| {
            let tier = policy.plan(&t.plan).map(|p| p.tier.clone());
            let ctx = EvalContext {
                tenant: TenantId::from_uuid(t.id),
                plan: Some(t.plan),
                tier,
                user: None,
            };
            let value = evaluate(&flag, &ctx);
            (value != flag.default).then_some(Resolution {
                slug: t.slug,
                name: t.name,
                value,
            })
        })
        .collect();
    Ok((resolved, total))
}
