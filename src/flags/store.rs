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

/// A flag as the console edits it: the targeting is a form, not raw rules.
/// Tenants are named by slug.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlagInput {
    pub key: String,
    pub description: String,
    /// `boolean`, `string`, `number` or `json`.
    pub kind: String,
    /// JSON text (for a boolean flag, `false` if empty).
    pub default: String,
    pub kill_switch: bool,
    /// JSON text of the value targeted tenants get (`true` if empty for a
    /// boolean flag).
    pub value: String,
    /// Tenants that always get the value (slugs, comma or space separated).
    pub allow: String,
    /// Tenants that never do.
    pub deny: String,
    /// Plan keys and tiers that get the value.
    pub plans: String,
    pub tiers: String,
    /// 0 to 100, empty for none.
    pub percentage: String,
}

fn words(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_json(field: &'static str, kind: FlagKind, raw: &str, empty: Value) -> Result<Value> {
    let raw = raw.trim();
    let value = if raw.is_empty() {
        empty
    } else {
        match serde_json::from_str(raw) {
            Ok(value) => value,
            // A bare word is taken as a string, for string flags.
            Err(_) if kind == FlagKind::String => Value::String(raw.to_owned()),
            Err(_) => return Err(Error::invalid(field, "must be valid JSON")),
        }
    };
    if !kind.accepts(&value) {
        return Err(Error::invalid(
            field,
            format!("must be a {} value", kind_name(kind)),
        ));
    }
    Ok(value)
}

fn kind_name(kind: FlagKind) -> &'static str {
    match kind {
        FlagKind::Boolean => "boolean",
        FlagKind::String => "string",
        FlagKind::Number => "number",
        FlagKind::Json => "JSON",
    }
}

impl FlagInput {
    /// Every field checked, tenants looked up, before anything is written.
    pub async fn parse(&self, engine: &Engine) -> Result<FlagDefinition> {
        let key = self.key.trim();
        let key_ok = (1..=60).contains(&key.len())
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !key_ok {
            return Err(Error::invalid(
                "key",
                "1 to 60 lowercase letters, digits, _ or -, starting with a letter",
            ));
        }
        let kind: FlagKind = serde_json::from_value(Value::String(self.kind.trim().into()))
            .map_err(|_| Error::invalid("kind", "must be boolean, string, number or json"))?;
        if self.description.chars().count() > 500 {
            return Err(Error::invalid(
                "description",
                "must be at most 500 characters",
            ));
        }
        let empty_default = match kind {
            FlagKind::Boolean => json!(false),
            FlagKind::String => json!(""),
            FlagKind::Number => json!(0),
            FlagKind::Json => Value::Null,
        };
        let default = parse_json("default", kind, &self.default, empty_default)?;
        let targets = [&self.allow, &self.plans, &self.tiers, &self.percentage];
        let value = if targets.iter().any(|t| !t.trim().is_empty()) {
            parse_json("value", kind, &self.value, json!(true))?
        } else {
            default.clone()
        };
        let percentage = match self.percentage.trim().trim_end_matches('%') {
            "" => None,
            raw => match raw.parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => Some((p * 100.0).round() / 100.0),
                _ => {
                    return Err(Error::invalid(
                        "percentage",
                        "must be a number from 0 to 100",
                    ))
                }
            },
        };
        let known_plans = engine.policy().await?;
        let plans = words(&self.plans);
        if let Some(unknown) = plans.iter().find(|p| known_plans.plan(p).is_none()) {
            return Err(Error::invalid(
                "plans",
                format!("there is no plan {unknown:?}"),
            ));
        }
        let mut rules = Vec::new();
        let deny = tenant_ids(engine, "deny", &self.deny).await?;
        if !deny.is_empty() {
            rules.push(Rule::Deny { tenants: deny });
        }
        let allow = tenant_ids(engine, "allow", &self.allow).await?;
        if !allow.is_empty() {
            rules.push(Rule::Tenants {
                tenants: allow,
                value: value.clone(),
            });
        }
        if !plans.is_empty() {
            rules.push(Rule::Plans {
                plans,
                value: value.clone(),
            });
        }
        let tiers = words(&self.tiers);
        if !tiers.is_empty() {
            rules.push(Rule::Tiers {
                tiers,
                value: value.clone(),
            });
        }
        if let Some(percent) = percentage {
            rules.push(Rule::Percentage { percent, value });
        }
        Ok(FlagDefinition {
            key: key.to_owned(),
            description: self.description.trim().to_owned(),
            kind,
            default,
            kill_switch: self.kill_switch,
            rules,
        })
    }

    /// The form for an existing definition (tenant ids shown as slugs).
    pub async fn of(engine: &Engine, flag: &FlagDefinition) -> Result<Self> {
        let slugs = slugs_by_id(engine).await?;
        let names = |ids: &[TenantId]| {
            ids.iter()
                .filter_map(|id| slugs.get(id).cloned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut input = Self {
            key: flag.key.clone(),
            description: flag.description.clone(),
            kind: kind_name(flag.kind).to_lowercase(),
            default: flag.default.to_string(),
            kill_switch: flag.kill_switch,
            ..Self::default()
        };
        for rule in &flag.rules {
            match rule {
                Rule::Deny { tenants } => input.deny = names(tenants),
                Rule::Tenants { tenants, value } => {
                    input.allow = names(tenants);
                    input.value = value.to_string();
                }
                Rule::Plans { plans, value } => {
                    input.plans = plans.join(", ");
                    input.value = value.to_string();
                }
                Rule::Tiers { tiers, value } => {
                    input.tiers = tiers.join(", ");
                    input.value = value.to_string();
                }
                Rule::Percentage { percent, value } => {
                    input.percentage = percent.to_string();
                    input.value = value.to_string();
                }
                Rule::Users { .. } => {}
            }
        }
        Ok(input)
    }
}

async fn tenant_ids(engine: &Engine, field: &'static str, raw: &str) -> Result<Vec<TenantId>> {
    let slugs = words(raw);
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let rows = tenant::Entity::find()
        .filter(tenant::Column::Slug.is_in(slugs.clone()))
        .all(engine.platform_tables())
        .await?;
    slugs
        .iter()
        .map(|slug| {
            rows.iter()
                .find(|t| &t.slug == slug)
                .map(|t| TenantId::from_uuid(t.id))
                .ok_or_else(|| Error::invalid(field, format!("there is no tenant {slug:?}")))
        })
        .collect()
}

async fn slugs_by_id(engine: &Engine) -> Result<HashMap<TenantId, String>> {
    let rows: Vec<(uuid::Uuid, String)> = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .column(tenant::Column::Slug)
        .into_tuple()
        .all(engine.platform_tables())
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, slug)| (TenantId::from_uuid(id), slug))
        .collect())
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
