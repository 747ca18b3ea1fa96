//! Flag evaluation cost per call (cargo bench -p tenantry --bench flags),
//! reported next to a baseline measured in the same run: looking a
//! precomputed value up in a HashMap by tenant, which is what an evaluation
//! would cost if it were free. No thresholds: a report, not a test.

use serde_json::json;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;
use tenantry::flags::{evaluate, EvalContext, FlagDefinition, FlagKind, Rule};
use tenantry::tenancy::TenantId;

const CALLS: u32 = 2_000_000;

fn main() {
    let tenants: Vec<TenantId> = (0..1_000u128)
        .map(|n| TenantId::from_uuid(uuid::Uuid::from_u128(n + 1)))
        .collect();
    let flag = FlagDefinition {
        key: "new_board".into(),
        description: String::new(),
        kind: FlagKind::Boolean,
        default: json!(false),
        kill_switch: false,
        rules: vec![
            Rule::Deny {
                tenants: tenants[..5].to_vec(),
            },
            Rule::Tenants {
                tenants: tenants[5..10].to_vec(),
                value: json!(true),
            },
            Rule::Plans {
                plans: vec!["enterprise".into()],
                value: json!(true),
            },
            Rule::Percentage {
                percent: 50.0,
                value: json!(true),
            },
        ],
    };
    let contexts: Vec<EvalContext> = tenants
        .iter()
        .map(|t| EvalContext {
            tenant: *t,
            plan: Some("pro".into()),
            tier: None,
            user: None,
        })
        .collect();
    let table: HashMap<TenantId, serde_json::Value> = contexts
        .iter()
        .map(|c| (c.tenant, evaluate(&flag, c)))
        .collect();

    for round in 1..=3 {
        let started = Instant::now();
        for i in 0..CALLS {
            let c = &contexts[i as usize % contexts.len()];
            black_box(table.get(&c.tenant));
        }
        let baseline = started.elapsed().as_nanos() as f64 / f64::from(CALLS);
        let started = Instant::now();
        for i in 0..CALLS {
            black_box(evaluate(
                &flag,
                black_box(&contexts[i as usize % contexts.len()]),
            ));
        }
        let ours = started.elapsed().as_nanos() as f64 / f64::from(CALLS);
        println!(
            "round {round}: evaluate {ours:.0} ns/call, HashMap lookup {baseline:.0} ns/call, ratio {:.1}x",
            ours / baseline
        );
    }
}
