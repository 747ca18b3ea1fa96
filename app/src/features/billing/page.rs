//! Billing: each meter's daily usage over the current period as an SVG
//! chart, the invoice preview, final invoices and the account's standing.
//! Tenant admins see it at `/admin/billing`; a superadmin on the console's
//! tenant page also grants credit, closes a period and marks invoices paid.
//! The console's `/console/meters` defines what is metered.

use crate::components::{
    action_error, loaded, Bar, BarChart, ConsoleShell, Field, FormError, Paging, PagingButtons,
    PagingFilter, TenantShell, BUTTON, BUTTON_QUIET, CARD, INPUT,
};
use crate::dto::{InvoiceStatus, PageDto};
use crate::features::billing::api::{
    billing_overview, list_invoices, list_meters, money, BillingDto, BillingPortal, ClosePeriod,
    GrantCredit, InvoiceDto, MarkInvoicePaid, MeterChartDto, MeterDefDto, SaveMeter,
};
use leptos::prelude::*;

#[component]
pub fn TenantBilling() -> impl IntoView {
    view! {
        <TenantShell admin_only=true>
            <BillingPanel slug=String::new() />
        </TenantShell>
    }
}

#[derive(Clone, Copy)]
struct ConsoleActions {
    credit: ServerAction<GrantCredit>,
    close: ServerAction<ClosePeriod>,
    paid: ServerAction<MarkInvoicePaid>,
}

#[component]
pub fn BillingPanel(slug: String) -> impl IntoView {
    let actions = ConsoleActions {
        credit: ServerAction::new(),
        close: ServerAction::new(),
        paid: ServerAction::new(),
    };
    // Both resources here, outside any Suspense, so that the browser picks
    // up what the server loaded for each when it hydrates the page.
    let overview = Resource::new(
        {
            let slug = slug.clone();
            move || {
                (
                    slug.clone(),
                    actions.credit.version().get(),
                    actions.close.version().get(),
                    actions.paid.version().get(),
                )
            }
        },
        |(slug, ..)| billing_overview(slug),
    );
    let paging = Paging::default();
    let list = Resource::new(
        move || {
            let done = actions.paid.version().get() + actions.close.version().get();
            let (filter, order) = (paging.filter.get(), paging.order.get());
            (slug.clone(), filter, order, paging.after(), done)
        },
        |(slug, status, order, after, _)| {
            list_invoices(slug, Some(status), Some(order), Some(after))
        },
    );
    let invoices = Invoices { paging, list };
    view! { {loaded(overview, move |b| view! { <BillingView b actions invoices /> })} }
}

/// The final invoices a page at a time, and where the list stands.
#[derive(Clone, Copy)]
struct Invoices {
    paging: Paging,
    list: Resource<Result<PageDto<InvoiceDto>, crate::error::AppError>>,
}

#[component]
fn BillingView(b: BillingDto, actions: ConsoleActions, invoices: Invoices) -> impl IntoView {
    let past_due = b.standing == "past_due";
    view! {
        <section class=CARD data-testid="billing">
            <h2 class="text-lg font-semibold">{format!("Billing · {} · period {}", b.plan_name, b.period)}</h2>
            <p class="mt-1 text-sm" data-testid="billing-standing" data-standing=b.standing.clone()>
                {if past_due { "Past due" } else { "In good standing" }}
                {(b.credit_balance > 0).then(|| format!(" · prepaid credit {}", money(b.credit_balance, &b.preview.currency)))}
            </p>
            {b.notice.clone().map(|n| view! { <p class="mt-2 text-sm text-red-800">{n}</p> })}
            {(b.stripe && !b.on_console).then(|| view! { <PaymentDetails slug=b.slug.clone() /> })}
        </section>
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Usage this period"</h2>
            {b.on_console.then(|| {
                let href = format!("/console/tenants/{}/usage.csv?period={}", b.slug, b.period);
                view! {
                    <p class="mb-3 text-sm">
                        <a class="text-indigo-700 underline" rel="external" download="" href=href data-testid="usage-csv">"Download this period's usage (CSV)"</a>
                    </p>
                }
            })}
            <div class="grid gap-6 sm:grid-cols-2">
                {b.meters.into_iter().map(|m| view! { <UsageChart m /> }).collect_view()}
            </div>
        </section>
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Invoice preview"</h2>
            <Invoice invoice=b.preview testid="invoice-preview" />
        </section>
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Invoices"</h2>
            <InvoiceList invoices slug=b.slug.clone() on_console=b.on_console actions />
        </section>
        {b.on_console.then(|| view! { <ConsoleBilling slug=b.slug.clone() actions /> })}
    }
}

/// The final invoices a page at a time, each opening to its lines; on the
/// console an open one can be marked paid.
#[component]
fn InvoiceList(
    invoices: Invoices,
    slug: String,
    on_console: bool,
    actions: ConsoleActions,
) -> impl IntoView {
    let Invoices {
        paging,
        list: invoices,
    } = invoices;
    view! {
        <PagingFilter paging label="Show invoices" options=&[("", "Every invoice"), ("open", "Open"), ("paid", "Paid")] />
        {loaded(invoices, move |page| {
            let slug = slug.clone();
            let empty = page.rows.is_empty().then(|| view! {
                <p class="text-sm text-slate-500">"No invoice here: the first one is written when a period ends."</p>
            });
            let rows = page.rows.into_iter().map(|i| {
                let open = i.status == InvoiceStatus::Open;
                let number = i.number.clone();
                let slug = slug.clone();
                let testid = format!("invoice-{}", i.number);
                view! {
                    <details class="mb-3" data-testid=testid>
                        <summary class="cursor-pointer text-sm">{format!("{} · {} · {} · {}", i.number, i.period, money(i.total, &i.currency), i.status)}</summary>
                        <Invoice invoice=i testid="invoice" />
                        {(on_console && open).then(|| view! {
                            <ActionForm action=actions.paid>
                                <input type="hidden" name="slug" value=slug />
                                <input type="hidden" name="number" value=number />
                                <button type="submit" class=format!("{BUTTON_QUIET} mt-2")>"Mark paid"</button>
                            </ActionForm>
                        })}
                    </details>
                }
            }).collect_view();
            view! { {empty} {rows} <PagingButtons paging next=page.next /> }
        })}
    }
}

/// Opens Stripe's billing portal, where the admin enters or changes payment
/// details; Stripe brings them back here.
#[component]
fn PaymentDetails(slug: String) -> impl IntoView {
    let portal = ServerAction::<BillingPortal>::new();
    let error = action_error(portal);
    Effect::new(move |_| {
        if let Some(Ok(url)) = portal.value().get() {
            let _ = window().location().set_href(&url);
        }
    });
    view! {
        <ActionForm action=portal attr:class="mt-3">
            <input type="hidden" name="slug" value=slug />
            <button type="submit" class=BUTTON data-testid="payment-details">"Payment details"</button>
            <p class="mt-1 text-xs text-slate-500">"Entered on Stripe's pages and kept by Stripe."</p>
        </ActionForm>
        <FormError error />
    }
}

/// Daily values as bars, with the period total.
#[component]
fn UsageChart(m: MeterChartDto) -> impl IntoView {
    let unit = m.unit.clone();
    let bars = m
        .daily
        .iter()
        .map(|(day, v)| Bar {
            at: day.clone(),
            value: *v as f64,
            text: amount(*v, &unit),
        })
        .collect();
    let total = format!(
        "{} {}",
        amount(m.total, &m.unit),
        aggregation_words(&m.aggregation)
    );
    let aria = format!("{} per day, in {}", m.name, m.unit);
    let legend = format!(
        "{} per day (point at a day, or tab to it, for its value)",
        m.unit
    );
    view! {
        <figure data-testid=format!("chart-{}", m.key)>
            <figcaption class="flex justify-between text-sm">
                <span class="font-medium">{m.name.clone()}</span>
                <span data-testid=format!("usage-total-{}", m.key)>{total}</span>
            </figcaption>
            <BarChart bars aria legend top=|peak| format!("{peak}") />
        </figure>
    }
}

/// `n` of `unit`, with the unit singular for one (`1 member`, `2 members`).
fn amount(n: i64, unit: &str) -> String {
    let unit = match (n, unit.strip_suffix('s')) {
        (1, Some(one)) if !one.is_empty() => one,
        _ => unit,
    };
    format!("{n} {unit}").trim_end().to_owned()
}

/// How a meter's period figure was reached, in words.
fn aggregation_words(aggregation: &str) -> String {
    match aggregation {
        "sum" => "this period".into(),
        "max" => "at the peak".into(),
        "unique_count" => "distinct".into(),
        "count" => "events".into(),
        other => format!("({other})"),
    }
}

#[component]
fn Invoice(invoice: InvoiceDto, testid: &'static str) -> impl IntoView {
    let currency = invoice.currency.clone();
    let c = currency.clone();
    view! {
        <table class="w-full text-left text-sm" data-testid=testid>
            <thead><tr class="border-b text-slate-500"><th class="py-1">"Item"</th><th>"Quantity"</th><th>"Unit"</th><th class="text-right">"Amount"</th></tr></thead>
            <tbody>
                {invoice.lines.into_iter().map(|l| {
                    let c = c.clone();
                    view! {
                        <tr class="border-b" data-prorated=l.prorated.to_string()>
                            <td class="py-1">{l.description}{(!l.tiers.is_empty()).then(|| view! { <span class="block text-xs text-slate-500">{l.tiers.clone()}</span> })}</td>
                            <td>{l.quantity}{(l.included > 0).then(|| format!(" ({} included)", l.included))}</td>
                            <td>{l.unit_amount.map(|u| money(u, &c))}</td>
                            <td class="text-right">{money(l.amount, &c)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
            <tfoot>
                <tr><td colspan="3" class="pt-2 text-right">"Subtotal"</td><td class="pt-2 text-right" data-testid=format!("{testid}-subtotal")>{money(invoice.subtotal, &currency)}</td></tr>
                {(invoice.credits_applied > 0).then(|| view! { <tr><td colspan="3" class="text-right">"Prepaid credit"</td><td class="text-right">{money(-invoice.credits_applied, &currency)}</td></tr> })}
                <tr class="font-semibold"><td colspan="3" class="text-right">"Total"</td><td class="text-right" data-testid=format!("{testid}-total")>{money(invoice.total, &currency)}</td></tr>
            </tfoot>
        </table>
    }
}

#[component]
fn ConsoleBilling(slug: String, actions: ConsoleActions) -> impl IntoView {
    let credit_error = action_error(actions.credit);
    let close_error = action_error(actions.close);
    let paid_error = action_error(actions.paid);
    let slug2 = slug.clone();
    view! {
        <section class=format!("{CARD} mt-6")>
            <h2 class="mb-3 text-lg font-semibold">"Platform actions"</h2>
            <FormError error=paid_error />
            <FormError error=credit_error />
            <ActionForm action=actions.credit>
                <input type="hidden" name="slug" value=slug />
                <div class="grid grid-cols-2 gap-3">
                    <Field label="Credit (minor units, e.g. cents)" name="amount" error=credit_error />
                    <Field label="Reason" name="reason" error=credit_error />
                </div>
                <button type="submit" class=format!("{BUTTON} mt-3")>"Grant prepaid credit"</button>
            </ActionForm>
            <FormError error=close_error />
            <ActionForm action=actions.close>
                <input type="hidden" name="slug" value=slug2 />
                <button type="submit" class=format!("{BUTTON_QUIET} mt-3")>"Close last period now"</button>
            </ActionForm>
        </section>
    }
}

/// The console's meters: what usage counts and how it adds up.
#[component]
pub fn ConsoleMeters() -> impl IntoView {
    let save = ServerAction::<SaveMeter>::new();
    let meters = Resource::new(move || save.version().get(), |_| list_meters());
    let error = action_error(save);
    view! {
        <ConsoleShell>
            <h1 class="mb-4 text-xl font-semibold">"Meters"</h1>
            <p class="mb-4 text-sm text-slate-600">"Usage events name a meter. Built-in meters are recorded by the platform itself."</p>
            {loaded(meters, move |list: Vec<MeterDefDto>| view! {
                <table class="mb-6 w-full text-left text-sm" data-testid="meters">
                    <thead><tr class="border-b text-slate-500"><th class="py-1">"Key"</th><th>"Name"</th><th>"Aggregation"</th><th>"Filters"</th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|m| view! {
                            <tr class="border-b" data-meter=m.key.clone()>
                                <td class="py-1 font-mono text-xs">{m.key.clone()}{m.built_in.then_some(" (built in)")}</td>
                                <td>{format!("{} ({})", m.name, m.unit)}</td>
                                <td>{m.aggregation.clone()}{(!m.property.is_empty()).then(|| format!(" of {}", m.property))}</td>
                                <td class="whitespace-pre font-mono text-xs">{m.filters.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <section class=CARD>
                <h2 class="mb-3 text-lg font-semibold">"Define a meter"</h2>
                <FormError error />
                <ActionForm action=save>
                    <div class="grid grid-cols-3 gap-3">
                        <Field label="Key" name="key" placeholder="emails_sent" error />
                        <Field label="Name" name="name" error />
                        <Field label="Unit" name="unit" placeholder="emails" error />
                        <label class="block text-sm">
                            <span class="font-medium text-slate-700">"Aggregation"</span>
                            <select class=INPUT name="aggregation">
                                <option value="sum">"sum of quantities"</option>
                                <option value="count">"count of events"</option>
                                <option value="max">"max quantity"</option>
                                <option value="unique_count">"unique values of a property"</option>
                            </select>
                        </label>
                        <Field label="Property (unique_count)" name="property" error />
                        <label class="block text-sm">
                            <span class="font-medium text-slate-700">"Filters (property=value per line)"</span>
                            <textarea class=INPUT name="filters" rows="2"></textarea>
                        </label>
                    </div>
                    <button type="submit" class=format!("{BUTTON} mt-3")>"Save meter"</button>
                </ActionForm>
            </section>
        </ConsoleShell>
    }
}
