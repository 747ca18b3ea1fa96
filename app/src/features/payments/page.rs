//! `/admin/payments`: the organisation's Stripe account (connect, its
//! state, what Stripe still needs, disconnect), its offers and the
//! purchases its customers made, each refundable.

use crate::components::{
    action_error, cleared_on_success, loaded, versions, Field, FormError, ListTable, Paging,
    PagingButtons, RowAction, TenantShell, BUTTON, BUTTON_DANGER, BUTTON_QUIET, CARD, INPUT,
};
use crate::features::payments::api::{
    list_purchases, payments_overview, AccountDto, AddOffer, ArchiveOffer, ConnectPayments,
    DisconnectPayments, OfferDto, PaymentsDto, PurchaseDto, RefundPurchase,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn TenantPayments() -> impl IntoView {
    let query = use_query_map();
    let onboarding = query.read_untracked().get("onboarding").unwrap_or_default();
    let returned = onboarding == "returned";
    let connect = ServerAction::<ConnectPayments>::new();
    let disconnect = ServerAction::<DisconnectPayments>::new();
    let add = ServerAction::<AddOffer>::new();
    let archive = ServerAction::<ArchiveOffer>::new();
    let refund = ServerAction::<RefundPurchase>::new();
    let overview = Resource::new(
        move || versions(&[disconnect.version(), add.version(), archive.version()]),
        move |_| payments_overview(Some(returned)),
    );
    // Newest first, a page at a time (the server pages by keyset).
    let paging = Paging::default();
    let purchases = Resource::new(
        move || (refund.version().get(), paging.after()),
        |(_, after)| list_purchases(Some(after)),
    );
    // Stripe's onboarding page is another site: go there once it is made.
    Effect::new(move |_| {
        if let Some(Ok(url)) = connect.value().get() {
            let _ = window().location().set_href(&url);
        }
    });
    let expired = onboarding == "expired";
    view! {
        <TenantShell admin_only=true>
            <div class="grid gap-6 md:grid-cols-3">
                <section class=format!("{CARD} md:col-span-2")>
                    <h1 class="mb-4 text-xl font-semibold">"Payments"</h1>
                    <p class="mb-4 text-sm text-slate-600">
                        "Take payments from your own customers on your organisation's Stripe account. "
                        "Checkout pages and receipts carry your name and colours."
                    </p>
                    {expired.then(|| view! {
                        <p class="mb-3 rounded border border-amber-300 bg-amber-50 p-3 text-sm" role="status">
                            "Your Stripe onboarding link expired. Continue below: a new link is made for you."
                        </p>
                    })}
                    {loaded(overview, move |dto| view! { <AccountPanel dto connect disconnect /> })}
                </section>
                <section class=CARD>
                    <h2 class="mb-4 text-lg font-semibold">"New offer"</h2>
                    <OfferForm add />
                </section>
            </div>
            <section class=format!("{CARD} mt-6")>
                <h2 class="mb-4 text-lg font-semibold">"Offers"</h2>
                <FormError error=action_error(archive) />
                {loaded(overview, move |dto| view! { <OfferTable list=dto.offers archive /> })}
            </section>
            <section class=format!("{CARD} mt-6")>
                <h2 class="mb-4 text-lg font-semibold">"Purchases"</h2>
                <FormError error=action_error(refund) />
                {loaded(purchases, move |page| view! {
                    <PurchaseTable list=page.rows refund />
                    <PagingButtons paging next=page.next />
                })}
            </section>
        </TenantShell>
    }
}

#[component]
fn AccountPanel(
    dto: PaymentsDto,
    connect: ServerAction<ConnectPayments>,
    disconnect: ServerAction<DisconnectPayments>,
) -> impl IntoView {
    if !dto.available {
        return view! {
            <p class="text-sm text-slate-600" data-testid="payments-unavailable">
                "Payments are not available on this platform yet."
            </p>
        }
        .into_any();
    }
    let connect_error = action_error(connect);
    let disconnect_error = action_error(disconnect);
    let a = dto.account.clone();
    let label = match a.state.as_str() {
        "active" => "Taking payments",
        "onboarding" => "Stripe needs your details",
        "restricted" => "Restricted by Stripe",
        _ => "Not connected",
    };
    let button = match a.state.as_str() {
        "none" => "Connect with Stripe",
        _ => "Continue on Stripe",
    };
    let owner = dto.owner;
    view! {
        <dl class="mb-4 grid grid-cols-2 gap-2 text-sm">
            <dt class="text-slate-600">"State"</dt>
            <dd data-testid="payments-state" data-state=a.state.clone()>{label}</dd>
            <dt class="text-slate-600">"Stripe account"</dt>
            <dd data-testid="payments-account">{a.account.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt class="text-slate-600">"Details submitted"</dt>
            <dd>{yes_no(a.details_submitted)}</dd>
            <dt class="text-slate-600">"Charges"</dt>
            <dd data-testid="payments-charges">{enabled(a.charges_enabled)}</dd>
            <dt class="text-slate-600">"Payouts"</dt>
            <dd>{enabled(a.payouts_enabled)}</dd>
            <dt class="text-slate-600">"Fee"</dt>
            <dd data-testid="payments-fee">{dto.fee.clone()}</dd>
        </dl>
        <Requirements account=a.clone() />
        {owner.then(|| view! {
            <FormError error=connect_error />
            {(a.state != "active").then(|| view! {
                <ActionForm action=connect>
                    <button type="submit" class=BUTTON data-testid="connect-stripe">{button}</button>
                </ActionForm>
            })}
            {(a.state != "none").then(|| view! {
                <ActionForm action=disconnect attr:class="mt-4">
                    <div class="flex items-end gap-2">
                        <Field label="Type disconnect to stop taking payments" name="confirm" error=disconnect_error />
                        <button type="submit" class=BUTTON_DANGER data-testid="disconnect-stripe">"Disconnect"</button>
                    </div>
                </ActionForm>
            })}
        })}
        {(!owner).then(|| view! {
            <p class="text-xs text-slate-500">"Only an owner can connect or disconnect the Stripe account."</p>
        })}
    }
    .into_any()
}

#[component]
fn Requirements(account: AccountDto) -> impl IntoView {
    (!account.requirements_due.is_empty()).then(|| {
        view! {
            <div class="mb-4 text-sm" data-testid="payments-requirements">
                <p class="font-medium">"Stripe still needs:"</p>
                <ul class="ml-5 list-disc">
                    {account.requirements_due.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                </ul>
            </div>
        }
    })
}

fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

fn enabled(v: bool) -> &'static str {
    if v {
        "enabled"
    } else {
        "not enabled"
    }
}

#[component]
fn OfferForm(add: ServerAction<AddOffer>) -> impl IntoView {
    let error = action_error(add);
    let form = cleared_on_success(add);
    view! {
        <FormError error />
        <ActionForm action=add node_ref=form>
            <div class="space-y-3">
                <Field label="Name" name="name" error />
                <Field label="Description (optional)" name="description" error />
                <Field label="Price" name="price" placeholder="12.50" error />
                <label class="block text-sm">
                    <span class="font-medium text-slate-700">"Currency"</span>
                    <select name="currency" class=INPUT>
                        {["eur", "usd", "gbp", "chf", "cad", "aud", "sek", "nok", "dkk"]
                            .into_iter()
                            .map(|c| view! { <option value=c>{c.to_uppercase()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <button type="submit" class=BUTTON data-testid="add-offer">"Add offer"</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn OfferTable(list: Vec<OfferDto>, archive: ServerAction<ArchiveOffer>) -> impl IntoView {
    let is_empty = list.is_empty();
    view! {
        <ListTable testid="offer-table" head=&["Name", "Price", "State", ""] empty="Nothing on sale yet. Add an offer: your members see it on the shop page." is_empty=is_empty>
            {list.into_iter().map(|o| {
                let id = o.id.clone();
                view! {
                    <tr class="border-b" data-name=o.name.clone()>
                        <td class="py-2">{o.name.clone()}<p class="text-xs text-slate-500">{o.description.clone()}</p></td>
                        <td>{o.price.clone()}</td>
                        <td>{if o.active { "on sale" } else { "archived" }}</td>
                        <td>{o.active.then(|| view! {
                            <RowAction action=archive name="offer_id" value=id.clone() label="Archive" class=BUTTON_QUIET />
                        })}</td>
                    </tr>
                }
            }).collect_view()}
        </ListTable>
    }
    .into_any()
}

#[component]
fn PurchaseTable(list: Vec<PurchaseDto>, refund: ServerAction<RefundPurchase>) -> impl IntoView {
    let is_empty = list.is_empty();
    view! {
        <ListTable testid="purchase-table" head=&["When", "Item", "Buyer", "Amount", "Refunded", "Platform fee", "State", ""] empty="No purchases yet." is_empty=is_empty>
            {list.into_iter().map(|p| {
                let refundable = matches!(p.status.as_str(), "paid" | "partially_refunded");
                let id = p.id.clone();
                let state = if p.disputed { format!("{} (disputed)", p.status) } else { p.status.clone() };
                view! {
                    <tr class="border-b" data-item=p.item.clone() data-status=p.status.clone()>
                        <td class="py-2">{p.created_at.clone()}</td>
                        <td>{p.item.clone()}</td>
                        <td>{p.buyer.clone()}</td>
                        <td>{p.amount.clone()}</td>
                        <td>{p.refunded.clone()}</td>
                        <td>{p.fee.clone()}</td>
                        <td data-testid="purchase-state">{state}</td>
                        <td>{refundable.then(|| view! {
                            <RowAction action=refund name="purchase_id" value=id.clone() label="Refund" class="text-red-700 underline" />
                        })}</td>
                    </tr>
                }
            }).collect_view()}
        </ListTable>
    }
    .into_any()
}
