//! The platform's application fee on a tenant's sale, from the tenant's
//! plan (and its overrides): `payment_fee_bps` of the amount, rounded down,
//! plus `payment_fee_fixed`, never more than the amount itself (Stripe
//! refuses a fee above the charge). Neither set: no fee.

use crate::plans::entitlements::Entitlements;
use crate::plans::registry::{PAYMENT_FEE_BPS, PAYMENT_FEE_FIXED};

/// The fee on `amount` (minor units) under `entitlements`.
pub fn application_fee(entitlements: &Entitlements, amount: i64) -> i64 {
    let bps = entitlements
        .number(PAYMENT_FEE_BPS)
        .unwrap_or(0)
        .clamp(0, 10_000);
    let fixed = entitlements.number(PAYMENT_FEE_FIXED).unwrap_or(0).max(0);
    let share = i64::try_from(i128::from(amount) * i128::from(bps) / 10_000).unwrap_or(i64::MAX);
    share.saturating_add(fixed).clamp(0, amount.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plans::registry;
    use serde_json::json;

    fn with(bps: Option<i64>, fixed: Option<i64>) -> Entitlements {
        let mut e = Entitlements::default();
        if let Some(b) = bps {
            e.set(
                registry::find(PAYMENT_FEE_BPS).expect("registered"),
                json!(b),
            );
        }
        if let Some(f) = fixed {
            e.set(
                registry::find(PAYMENT_FEE_FIXED).expect("registered"),
                json!(f),
            );
        }
        e
    }

    #[test]
    fn a_percentage_and_a_fixed_part_add_up_and_never_pass_the_amount() {
        assert_eq!(application_fee(&with(None, None), 5_000), 0);
        assert_eq!(application_fee(&with(Some(250), None), 5_000), 125);
        assert_eq!(application_fee(&with(Some(250), Some(30)), 5_000), 155);
        // 2.5 % of 99 is 2.475: rounded down.
        assert_eq!(application_fee(&with(Some(250), None), 99), 2);
        assert_eq!(application_fee(&with(None, Some(500)), 300), 300);
        assert_eq!(application_fee(&with(Some(10_000), Some(1)), 700), 700);
    }
}
