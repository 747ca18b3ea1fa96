//! `/shop`: what the organisation sells, bought on its Stripe account's
//! checkout (the organisation's name and colours, never the platform's);
//! `/shop/purchases/:id`: where the buyer lands afterwards.

use crate::components::{action_error, loaded, FormError, TenantShell, BUTTON, CARD};
use crate::features::payments::api::{my_purchase, shop, BuyOffer, OfferDto, ShopDto};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ShopPage() -> impl IntoView {
    let buy = ServerAction::<BuyOffer>::new();
    let offers = Resource::new(|| (), |_| shop());
    Effect::new(move |_| {
        if let Some(Ok(url)) = buy.value().get() {
            let _ = window().location().set_href(&url);
        }
    });
    let error = action_error(buy);
    view! {
        <TenantShell>
            <section class=CARD>
                <h1 class="mb-4 text-xl font-semibold">"Shop"</h1>
                <FormError error />
                {loaded(offers, move |dto| view! { <Offers dto buy /> })}
            </section>
        </TenantShell>
    }
}

#[component]
fn Offers(dto: ShopDto, buy: ServerAction<BuyOffer>) -> impl IntoView {
    if !dto.open {
        return view! {
            <p class="text-sm text-slate-600" data-testid="shop-closed">"Nothing is on sale right now."</p>
        }
        .into_any();
    }
    if dto.offers.is_empty() {
        return view! {
            <p class="text-sm text-slate-600" data-testid="shop-empty">"Nothing is on sale right now."</p>
        }
        .into_any();
    }
    view! {
        <ul class="grid gap-4 sm:grid-cols-2">
            {dto.offers.into_iter().map(|o| view! { <OfferCard o buy /> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn OfferCard(o: OfferDto, buy: ServerAction<BuyOffer>) -> impl IntoView {
    view! {
        <li class="rounded border border-slate-200 p-4" data-offer=o.name.clone()>
            <p class="font-medium">{o.name.clone()}</p>
            <p class="text-sm text-slate-600">{o.description.clone()}</p>
            <p class="my-2 text-lg" data-testid="offer-price">{o.price.clone()}</p>
            <ActionForm action=buy>
                <input type="hidden" name="offer_id" value=o.id.clone() />
                <button type="submit" class=BUTTON data-testid="buy">"Buy"</button>
            </ActionForm>
        </li>
    }
}

#[component]
pub fn PurchasePage() -> impl IntoView {
    let id = use_params_map()
        .read_untracked()
        .get("id")
        .unwrap_or_default();
    let purchase = Resource::new(move || id.clone(), my_purchase);
    view! {
        <TenantShell>
            <section class=CARD>
                <h1 class="mb-4 text-xl font-semibold">"Your purchase"</h1>
                {loaded(purchase, |p| {
                    let thanks = match p.status.as_str() {
                        "paid" => "Thank you: your payment went through.",
                        "refunded" | "partially_refunded" => "This purchase was refunded.",
                        "expired" => "This checkout expired; nothing was charged.",
                        _ => "Your payment has not gone through yet.",
                    };
                    view! {
                        <p class="mb-3" role="status" data-testid="purchase-status" data-status=p.status.clone()>{thanks}</p>
                        <dl class="grid grid-cols-2 gap-2 text-sm">
                            <dt class="text-slate-600">"Item"</dt><dd>{p.item.clone()}</dd>
                            <dt class="text-slate-600">"Amount"</dt><dd data-testid="purchase-amount">{p.amount.clone()}</dd>
                            <dt class="text-slate-600">"Refunded"</dt><dd>{p.refunded.clone()}</dd>
                            <dt class="text-slate-600">"Date"</dt><dd>{p.created_at.clone()}</dd>
                        </dl>
                        <p class="mt-4 text-sm"><a href="/shop" class="underline">"Back to the shop"</a></p>
                    }
                })}
            </section>
        </TenantShell>
    }
}
