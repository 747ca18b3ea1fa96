//! The console's view of payments: `/console/payments`, the platform's
//! volume and fees per month, and a tenant's panel (its account and its
//! figures) on the tenant's payments page.

use crate::components::{loaded, ConsoleShell, ListTable, CARD, INPUT};
use crate::features::payments::api::{console_payments, ConsolePaymentsDto, TotalsDto};
use leptos::prelude::*;

#[component]
pub fn ConsolePayments() -> impl IntoView {
    view! {
        <ConsoleShell>
            <PaymentsPanel slug=String::new() />
        </ConsoleShell>
    }
}

/// Volume and fees of one tenant (`slug`) or of the platform (empty slug),
/// for a month the reader picks.
#[component]
pub fn PaymentsPanel(slug: String) -> impl IntoView {
    let period = RwSignal::new(String::new());
    let figures = Resource::new(
        move || period.get(),
        move |p| console_payments(Some(slug.clone()), Some(p)),
    );
    view! {
        <section class=CARD>
            <div class="mb-4 flex items-end justify-between gap-4">
                <h1 class="text-xl font-semibold">"Payments"</h1>
                <label class="text-sm">
                    <span class="font-medium text-slate-700">"Month"</span>
                    <input type="month" class=INPUT data-testid="payments-period"
                        on:change=move |ev| period.set(event_target_value(&ev)) />
                </label>
            </div>
            {loaded(figures, |dto| view! { <Figures dto /> })}
        </section>
    }
}

#[component]
fn Figures(dto: ConsolePaymentsDto) -> impl IntoView {
    let account = dto.account.map(|a| {
        let due = match a.requirements_due.len() {
            0 => String::new(),
            1 => ", 1 requirement due".into(),
            n => format!(", {n} requirements due"),
        };
        let state = a.state.clone();
        view! {
            <p class="mb-3 text-sm" data-testid="console-payments-account" data-state=state>
                "Stripe account: " {a.account.unwrap_or_else(|| "not connected".into())}
                " — " {a.state} {due}
            </p>
        }
    });
    let is_empty = dto.totals.is_empty();
    view! {
        {account}
        <p class="mb-2 text-sm text-slate-600">{format!("Payments made in {}", dto.period)}</p>
        <ListTable testid="payments-totals" head=&["Currency", "Payments", "Volume (net of refunds)", "Refunded", "Fees earned", "Disputed"] empty="No payments in this month." is_empty=is_empty>
            {dto.totals.into_iter().map(|t: TotalsDto| view! {
                <tr class="border-b" data-currency=t.currency.clone()>
                    <td class="py-2">{t.currency.to_uppercase()}</td>
                    <td>{t.payments}</td>
                    <td data-testid="payments-volume">{t.volume}</td>
                    <td>{t.refunded}</td>
                    <td data-testid="payments-fees">{t.fees}</td>
                    <td>{t.disputed}</td>
                </tr>
            }).collect_view()}
        </ListTable>
    }
}
