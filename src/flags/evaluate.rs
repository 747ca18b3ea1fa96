//! Flag evaluation. Precedence, first match wins:
//!
//! 1. the **kill switch** — the flag is off everywhere (its default, and
//!    `false` for a boolean flag);
//! 2. the **deny list** — listed tenants get the default;
//! 3. **per-user** targeting inside a tenant;
//! 4. the **allow list** — listed tenants;
//! 5. **plans** and **tiers**;
//! 6. **percentage rollout** by a stable hash of (flag, tenant);
//! 7. the default.
//!
//! The rollout hash places each tenant at a fixed point in 0..10,000 for a
//! flag; a tenant is in at `p` % when its point is below `p × 100`, so as the
//! percentage grows tenants only ever join, and one flag's rollout says
//! nothing about another's.

use crate::tenancy::TenantId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlagKind {
    Boolean,
    String,
    Number,
    Json,
}

impl FlagKind {
    /// Whether `value` is of this kind.
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            FlagKind::Boolean => value.is_boolean(),
            FlagKind::String => value.is_string(),
            FlagKind::Number => value.is_number(),
            FlagKind::Json => true,
        }
    }
}

/// A targeting rule and the value it gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// These tenants get the default, whatever else matches.
    Deny {
        tenants: Vec<TenantId>,
    },
    /// These users, inside this tenant.
    Users {
        tenant: TenantId,
        users: Vec<uuid::Uuid>,
        value: Value,
    },
    Tenants {
        tenants: Vec<TenantId>,
        value: Value,
    },
    Plans {
        plans: Vec<String>,
        value: Value,
    },
    Tiers {
        tiers: Vec<String>,
        value: Value,
    },
    /// `percent` of tenants (0 to 100, two decimals), chosen by the hash.
    Percentage {
        percent: f64,
        value: Value,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagDefinition {
    pub key: String,
    pub description: String,
    pub kind: FlagKind,
    pub default: Value,
    pub kill_switch: bool,
    pub rules: Vec<Rule>,
}

/// Who a flag is evaluated for.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalContext {
    pub tenant: TenantId,
    pub plan: Option<String>,
    pub tier: Option<String>,
    pub user: Option<uuid::Uuid>,
}

/// The tenant's fixed point (0..10,000) in the flag's rollout.
pub fn rollout_bucket(flag_key: &str, tenant: TenantId) -> u32 {
    let digest = Sha256::digest(format!("{flag_key}:{}", tenant.uuid()).as_bytes());
    let first = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    first % 10_000
}

fn off_value(flag: &FlagDefinition) -> Value {
    match flag.kind {
        FlagKind::Boolean => Value::Bool(false),
        _ => flag.default.clone(),
    }
}

/// The flag's value for `ctx`.
pub fn evaluate(flag: &FlagDefinition, ctx: &EvalContext) -> Value {
    if flag.kill_switch {
        return off_value(flag);
    }
    let denied = flag.rules.iter().any(|rule| match rule {
        Rule::Deny { tenants } => tenants.contains(&ctx.tenant),
        _ => false,
    });
    if denied {
        return flag.default.clone();
    }
    let ordered = [
        |r: &Rule| matches!(r, Rule::Users { .. }),
        |r: &Rule| matches!(r, Rule::Tenants { .. }),
        |r: &Rule| matches!(r, Rule::Plans { .. } | Rule::Tiers { .. }),
        |r: &Rule| matches!(r, Rule::Percentage { .. }),
    ];
    for stage in ordered {
        for rule in flag.rules.iter().filter(|r| stage(r)) {
            if let Some(value) = matches(flag, rule, ctx) {
                return value.clone();
            }
        }
    }
    flag.default.clone()
}

/// The rule's value when it applies to `ctx` (deny rules are applied first,
/// in `evaluate`, and never match here).
fn matches<'a>(flag: &FlagDefinition, rule: &'a Rule, ctx: &EvalContext) -> Option<&'a Value> {
    match rule {
        Rule::Deny { .. } => None,
        Rule::Users {
            tenant,
            users,
            value,
        } => {
            (*tenant == ctx.tenant && ctx.user.is_some_and(|u| users.contains(&u))).then_some(value)
        }
        Rule::Tenants { tenants, value } => tenants.contains(&ctx.tenant).then_some(value),
        Rule::Plans { plans, value } => ctx
            .plan
            .as_ref()
            .is_some_and(|p| plans.contains(p))
            .then_some(value),
        Rule::Tiers { tiers, value } => ctx
            .tier
            .as_ref()
            .is_some_and(|t| tiers.contains(t))
            .then_some(value),
        Rule::Percentage { percent, value } => {
            let threshold = (percent.clamp(0.0, 100.0) * 100.0).round() as u32;
            (rollout_bucket(&flag.key, ctx.tenant) < threshold).then_some(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tenant(n: u128) -> TenantId {
        TenantId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn ctx(n: u128) -> EvalContext {
        EvalContext {
            tenant: tenant(n),
            plan: None,
            tier: None,
            user: None,
        }
    }

    fn flag(rules: Vec<Rule>) -> FlagDefinition {
        FlagDefinition {
            key: "new_board".into(),
            description: String::new(),
            kind: FlagKind::Boolean,
            default: json!(false),
            kill_switch: false,
            rules,
        }
    }

    #[test]
    fn the_rollout_hash_is_stable_and_separates_flags() {
        let t = tenant(42);
        assert_eq!(
            rollout_bucket("new_board", t),
            rollout_bucket("new_board", t)
        );
        assert!(rollout_bucket("new_board", t) < 10_000);
        let differ = (0..200)
            .filter(|n| rollout_bucket("a", tenant(*n)) != rollout_bucket("b", tenant(*n)))
            .count();
        assert!(differ > 190, "flags roll out independently");
    }

    #[test]
    fn a_growing_percentage_only_adds_tenants_and_is_about_right() {
        let population: Vec<u128> = (1..=10_000).collect();
        let included = |percent: f64| -> Vec<u128> {
            let f = flag(vec![Rule::Percentage {
                percent,
                value: json!(true),
            }]);
            population
                .iter()
                .copied()
                .filter(|n| evaluate(&f, &ctx(*n)) == json!(true))
                .collect()
        };
        let (ten, fifty, ninety) = (included(10.0), included(50.0), included(90.0));
        assert!(ten.iter().all(|n| fifty.contains(n)), "10 % ⊂ 50 %");
        assert!(fifty.iter().all(|n| ninety.contains(n)), "50 % ⊂ 90 %");
        for (set, expected) in [(&ten, 1_000), (&fifty, 5_000), (&ninety, 9_000)] {
            let diff = (set.len() as i64 - expected).abs();
            assert!(
                diff < 300,
                "{} of 10,000 for an expected {expected}",
                set.len()
            );
        }
        assert!(included(0.0).is_empty());
        assert_eq!(included(100.0).len(), 10_000);
    }

    #[test]
    fn precedence_kill_switch_then_deny_then_users_tenants_plans_percentage() {
        let user = uuid::Uuid::from_u128(7);
        let mut f = flag(vec![
            Rule::Percentage {
                percent: 100.0,
                value: json!(true),
            },
            Rule::Plans {
                plans: vec!["pro".into()],
                value: json!(true),
            },
            Rule::Tenants {
                tenants: vec![tenant(2)],
                value: json!(true),
            },
            Rule::Deny {
                tenants: vec![tenant(3)],
            },
            Rule::Users {
                tenant: tenant(4),
                users: vec![user],
                value: json!(false),
            },
        ]);
        assert_eq!(evaluate(&f, &ctx(1)), json!(true), "percentage");
        assert_eq!(
            evaluate(&f, &ctx(3)),
            json!(false),
            "deny beats everything but the kill switch"
        );
        let mut someone = ctx(4);
        someone.user = Some(user);
        assert_eq!(evaluate(&f, &someone), json!(false), "the user rule wins");
        someone.user = Some(uuid::Uuid::from_u128(8));
        assert_eq!(
            evaluate(&f, &someone),
            json!(true),
            "other users fall through"
        );
        f.kill_switch = true;
        for n in 1..=4 {
            assert_eq!(evaluate(&f, &ctx(n)), json!(false), "kill switch");
        }
    }

    #[test]
    fn plans_tiers_and_non_boolean_values() {
        let f = FlagDefinition {
            key: "theme".into(),
            description: String::new(),
            kind: FlagKind::String,
            default: json!("classic"),
            kill_switch: false,
            rules: vec![
                Rule::Tiers {
                    tiers: vec!["enterprise".into()],
                    value: json!("dark"),
                },
                Rule::Plans {
                    plans: vec!["pro".into()],
                    value: json!("bright"),
                },
            ],
        };
        let mut c = ctx(1);
        assert_eq!(evaluate(&f, &c), json!("classic"));
        c.plan = Some("pro".into());
        assert_eq!(evaluate(&f, &c), json!("bright"));
        c.plan = None;
        c.tier = Some("enterprise".into());
        assert_eq!(evaluate(&f, &c), json!("dark"));
        assert!(FlagKind::String.accepts(&json!("x")) && !FlagKind::Number.accepts(&json!("x")));
    }
}
