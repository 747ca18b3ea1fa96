//! A flag as the console's form edits it: targeting as form fields (tenant
//! slugs, plans, a percentage) checked field by field and turned into rules,
//! and a stored definition turned back into the form.

use super::*;

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

pub(super) fn words(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(super) fn parse_json(
    field: &'static str,
    kind: FlagKind,
    raw: &str,
    empty: Value,
) -> Result<Value> {
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

pub(super) fn kind_name(kind: FlagKind) -> &'static str {
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

pub(super) async fn tenant_ids(
    engine: &Engine,
    field: &'static str,
    raw: &str,
) -> Result<Vec<TenantId>> {
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

pub(super) async fn slugs_by_id(engine: &Engine) -> Result<HashMap<TenantId, String>> {
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
