//! Stripe Connect against the Stripe peer (`scripts/stripe_connect.py`):
//! two tenants connect their own Stripe accounts through the owner's
//! server functions and Stripe's onboarding page, a member buys an offer on
//! Stripe's checkout (branded as the tenant), the purchase and the
//! platform's fee come back through signed Connect events delivered by the
//! peer to the real server over HTTP, a refund gives the fee back, a
//! dispute is mirrored, and events aimed across tenants change nothing.
//!
//! About 400 lines: the scenario on both backends, and the helpers the
//! attack suite uses to give tenant B a sale.

use crate::harness::{TestApp, STRIPE_WEBHOOK_SECRET};
use crate::localstripe::{LocalStripe, SECRET_KEY};
use crate::stripe::serve;
use axum::http::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use std::time::Duration;
use tenantry::billing::connect::{accounts, ledger, purchases};
use tenantry::entities::tenant::{connected_account, offer, purchase};
use tenantry::events::signature::sign;
use tenantry::tenancy::TenantCtx;
use tenantry_app::features::payments::api::{
    AddOffer, BuyOffer, ConnectPayments, ConsolePayments, DisconnectPayments, MyPurchase,
    PaymentsOverview, RefundPurchase, Shop,
};

pub const CONNECT_WEBHOOK_SECRET: &str = "whsec_connect_test";

/// The connected account the attack suite's tenant B is given.
pub const VICTIM_ACCOUNT: &str = "acct_BravoSecretAcct";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite() {
    let (app, peer) = with_peer(false).await;
    scenario(app, &peer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres() {
    let (app, peer) = with_peer(true).await;
    scenario(app, &peer).await;
}

async fn with_peer(postgres: bool) -> (TestApp, LocalStripe) {
    let peer = LocalStripe::start().await;
    let settings = [
        ("stripe_secret_key", SECRET_KEY),
        ("stripe_api_base", peer.base.as_str()),
        ("stripe_connect_webhook_secret", CONNECT_WEBHOOK_SECRET),
    ];
    let app = match postgres {
        true => TestApp::postgres_with(&settings).await,
        false => TestApp::sqlite_with(&settings).await,
    };
    (app, peer)
}

/// A browser on the peer's own pages (onboarding, checkout): redirects are
/// looked at, not followed (they lead back to the tenant's host).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn register_endpoints(peer: &LocalStripe, port: u16) {
    for (path, secret, connect) in [
        ("/webhooks/stripe/connect", CONNECT_WEBHOOK_SECRET, true),
        ("/webhooks/stripe", STRIPE_WEBHOOK_SECRET, false),
    ] {
        let res = reqwest::Client::new()
            .post(format!("{}/_tenantry/webhook_endpoints", peer.base))
            .header("content-type", "application/json")
            .body(json!({"url": format!("http://127.0.0.1:{port}{path}"), "secret": secret, "connect": connect}).to_string())
            .send()
            .await
            .expect("peer");
        assert!(
            res.status().is_success(),
            "{}",
            res.text().await.unwrap_or_default()
        );
    }
}

/// Polls `check` (up to 10 s: the peer delivers events after answering).
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

/// The owner of `slug` connects and completes Stripe's onboarding; the
/// account's id.
async fn connect_and_onboard(app: &TestApp, slug: &str) -> String {
    let mut owner = app.owner_client(slug).await;
    let link = owner.server_fn::<ConnectPayments>(&[]).await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.text);
    let url = link.json().as_str().expect("an onboarding link").to_owned();
    let page = browser().get(&url).send().await.expect("onboarding page");
    assert_eq!(page.status(), 200);
    let submitted = browser()
        .post(&url)
        .send()
        .await
        .expect("onboarding submitted");
    let back = submitted.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        back.contains(&format!("{slug}.")) && back.ends_with("/admin/payments?onboarding=returned"),
        "Stripe returns the owner to the tenant's own host: {back}"
    );
    let ctx = app.ctx(slug).await;
    eventually("account.updated enabled charges", || async {
        accounts::current(&ctx)
            .await
            .expect("account")
            .is_some_and(|a| a.charges_enabled)
    })
    .await;
    // The page the owner returns to reads the account back too.
    let overview = owner
        .server_fn::<PaymentsOverview>(&[("returned", "true")])
        .await;
    assert_eq!(
        overview.json()["account"]["state"],
        "active",
        "{}",
        overview.text
    );
    accounts::current(&ctx)
        .await
        .expect("account")
        .expect("connected")
        .account
}

/// A member of `slug` buys `offer` on Stripe's checkout; the purchase id.
async fn buy(app: &TestApp, slug: &str, offer: &str, brand: &str) -> String {
    let mut owner = app.owner_client(slug).await;
    let started = owner.server_fn::<BuyOffer>(&[("offer_id", offer)]).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let checkout = started.json().as_str().expect("checkout url").to_owned();
    let page = browser().get(&checkout).send().await.expect("checkout");
    let html = page.text().await.expect("html");
    assert!(
        html.contains(brand),
        "the checkout carries the tenant's name: {html}"
    );
    assert!(
        !html.to_lowercase().contains("tenantry"),
        "never the platform's: {html}"
    );
    let paid = browser().post(&checkout).send().await.expect("paid");
    let back = paid.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let id = back
        .split("/shop/purchases/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .expect("back on the tenant's purchase page")
        .to_owned();
    assert!(back.contains("session=cs_"), "{back}");
    id
}

async fn purchase_of(ctx: &TenantCtx, id: &str) -> purchase::Model {
    purchases::get(ctx, uuid::Uuid::parse_str(id).expect("uuid"))
        .await
        .expect("purchase")
}

async fn scenario(app: TestApp, peer: &LocalStripe) {
    let port = serve(&app).await;
    register_endpoints(peer, port).await;
    let alpha = app.tenant("alpha").await;
    let beta = app.tenant("beta").await;
    // Alpha's plan takes 2.5 % plus 0.30 of each sale.
    for (key, value) in [("payment_fee_bps", "250"), ("payment_fee_fixed", "30")] {
        let input = tenantry::plans::overrides::OverrideInput {
            key: key.into(),
            value: value.into(),
            reason: "marketplace terms".into(),
            expires_at: String::new(),
        };
        tenantry::plans::overrides::set(&app.engine, "alpha", &input, "test")
            .await
            .expect("fee override");
    }

    // Nothing to sell before an account is connected.
    let mut alpha_owner = app.owner_client("alpha").await;
    let shop = alpha_owner.server_fn::<Shop>(&[]).await;
    assert_eq!(shop.json()["open"], false, "{}", shop.text);

    let alpha_account = connect_and_onboard(&app, "alpha").await;
    let beta_account = connect_and_onboard(&app, "beta").await;
    assert_ne!(alpha_account, beta_account);
    let remote = peer
        .call("GET", &format!("/v1/accounts/{alpha_account}"), &[])
        .await;
    assert_eq!(
        remote["metadata"]["tenant_id"],
        alpha.id().to_string(),
        "{remote}"
    );
    assert_eq!(remote["business_profile"]["name"], "alpha Inc", "{remote}");

    // Bad input writes nothing and names its field.
    let bad = alpha_owner
        .server_fn::<AddOffer>(&[
            ("name", "Coaching"),
            ("price", "12,50"),
            ("currency", "eur"),
        ])
        .await;
    assert!(bad.status.is_client_error(), "{}", bad.text);
    assert!(bad.text.contains("price"), "{}", bad.text);
    let added = alpha_owner
        .server_fn::<AddOffer>(&[
            ("name", "Coaching session"),
            ("description", "One hour"),
            ("price", "50.00"),
            ("currency", "eur"),
        ])
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    assert_eq!(added.json()["price"], "50.00 EUR");
    let offer = added.json()["id"].as_str().expect("offer id").to_owned();
    let shop = alpha_owner.server_fn::<Shop>(&[]).await.json();
    assert_eq!(shop["offers"].as_array().map(Vec::len), Some(1), "{shop}");

    // A sale on alpha's account, its checkout branded as alpha.
    let sold = buy(&app, "alpha", &offer, "alpha Inc").await;
    let mut buyer = app.owner_client("alpha").await;
    let mine = buyer
        .server_fn::<MyPurchase>(&[("purchase_id", &sold)])
        .await;
    assert_eq!(mine.json()["status"], "paid", "{}", mine.text);
    let bought = purchase_of(&alpha, &sold).await;
    assert_eq!(
        (bought.amount, bought.fee),
        (5_000, 155),
        "2.5 % of 50.00 plus 0.30"
    );
    assert_eq!(bought.account, alpha_account);
    // One receipt, from alpha, whichever of the return and the events read
    // the payment first.
    let receipts = receipts_of(&alpha).await;
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let letter = &receipts[0];
    assert_eq!(
        (letter.to_address.as_str(), letter.from_name.as_str()),
        ("owner@alpha.test", "alpha Inc")
    );
    assert!(
        letter.text_body.contains("Coaching session: 50.00 EUR"),
        "{}",
        letter.text_body
    );
    assert!(
        !letter.html_body.to_lowercase().contains("tenantry"),
        "{}",
        letter.html_body
    );
    // The charge is on alpha's account: Stripe's own records say so, and
    // beta's account cannot see it.
    let charge = bought.charge.clone().expect("charge");
    let fee = peer.view("/_tenantry/events", &[]).await;
    assert!(fee.to_string().contains("application_fee.created"), "{fee}");
    eventually("the ledger has the payment", || async {
        let period = tenantry::billing::period::Period::containing(chrono::Utc::now());
        let totals = ledger::of_tenant(&app.engine, alpha.id(), &period)
            .await
            .expect("ledger");
        totals
            .first()
            .is_some_and(|t| t.volume == 5_000 && t.fees == 155)
    })
    .await;

    // Events aimed across tenants: beta's account naming alpha's session,
    // and alpha's account naming nothing of alpha's. Neither changes a row.
    let session = bought.checkout_session.clone().expect("session");
    for (account, id) in [
        (&beta_account, "evt_cross_1"),
        (&alpha_account, "evt_cross_2"),
    ] {
        let object = match id {
            "evt_cross_1" => {
                json!({"object": "checkout.session", "id": session, "metadata": {"purchase_id": sold}})
            }
            _ => {
                json!({"object": "charge", "id": "ch_NotAlphas", "payment_intent": "pi_NotAlphas"})
            }
        };
        let answer = post_event(
            port,
            "/webhooks/stripe/connect",
            CONNECT_WEBHOOK_SECRET,
            id,
            "charge.refunded",
            Some(account),
            object,
        )
        .await;
        assert_eq!(answer["received"], "ignored", "{answer}");
    }
    assert_eq!(purchase_of(&alpha, &sold).await.status, "paid");
    // A Connect event signed with the platform's secret, or with none, is refused.
    let forged = post_event(
        port,
        "/webhooks/stripe/connect",
        STRIPE_WEBHOOK_SECRET,
        "evt_forged",
        "account.updated",
        Some(&alpha_account),
        json!({"object": "account", "id": alpha_account}),
    )
    .await;
    assert!(forged["error"].is_object(), "{forged}");

    // Beta's owner reaches none of alpha's sales.
    let mut beta_owner = app.owner_client("beta").await;
    let foreign = beta_owner
        .server_fn::<MyPurchase>(&[("purchase_id", &sold)])
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.text);
    let foreign = beta_owner
        .server_fn::<RefundPurchase>(&[("purchase_id", &sold)])
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.text);
    let foreign = beta_owner
        .server_fn::<BuyOffer>(&[("offer_id", &offer)])
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.text);

    // A refund gives the platform's fee back, in proportion: all of it.
    let refunded = alpha_owner
        .server_fn::<RefundPurchase>(&[("purchase_id", &sold)])
        .await;
    assert_eq!(refunded.status, StatusCode::OK, "{}", refunded.text);
    assert_eq!(refunded.json()["status"], "refunded", "{}", refunded.text);
    let after = purchase_of(&alpha, &sold).await;
    assert_eq!((after.amount_refunded, after.fee_refunded), (5_000, 155));
    let fee_on_stripe = peer
        .call(
            "GET",
            "/v1/application_fees",
            &[("charge", charge.as_str())],
        )
        .await;
    assert_eq!(
        fee_on_stripe["data"][0]["amount_refunded"], 155,
        "{fee_on_stripe}"
    );
    // An old "paid" event arriving late changes nothing: the state is read back.
    let late = post_event(
        port,
        "/webhooks/stripe/connect",
        CONNECT_WEBHOOK_SECRET,
        "evt_late_paid",
        "checkout.session.completed",
        Some(&alpha_account),
        json!({"object": "checkout.session", "id": session}),
    )
    .await;
    assert_eq!(late["received"], "applied", "{late}");
    assert_eq!(purchase_of(&alpha, &sold).await.status, "refunded");
    let again = post_event(
        port,
        "/webhooks/stripe/connect",
        CONNECT_WEBHOOK_SECRET,
        "evt_late_paid",
        "checkout.session.completed",
        Some(&alpha_account),
        json!({"object": "checkout.session", "id": session}),
    )
    .await;
    assert_eq!(again["received"], "duplicate", "{again}");

    // A second sale, disputed on Stripe: the purchase shows it.
    let second = buy(&app, "alpha", &offer, "alpha Inc").await;
    // The buyer's return page reads the purchase back from Stripe.
    let back = buyer
        .server_fn::<MyPurchase>(&[("purchase_id", &second)])
        .await;
    assert_eq!(back.json()["status"], "paid", "{}", back.text);
    let second_charge = purchase_of(&alpha, &second).await.charge.expect("charge");
    let dispute = reqwest::Client::new()
        .post(format!("{}/_tenantry/disputes", peer.base))
        .header("content-type", "application/json")
        .body(json!({"charge": second_charge}).to_string())
        .send()
        .await
        .expect("dispute");
    assert!(dispute.status().is_success());
    eventually("the dispute is mirrored", || async {
        purchase_of(&alpha, &second).await.disputed
    })
    .await;

    // The console: alpha's volume and fees (net of the refund), beta's
    // none, and the platform's total.
    let mut admin = app.superadmin().await;
    let console = admin
        .server_fn::<ConsolePayments>(&[("slug", "alpha"), ("period", "")])
        .await;
    let figures = console.json();
    assert_eq!(figures["account"]["state"], "active", "{figures}");
    assert_eq!(figures["totals"][0]["payments"], 2, "{figures}");
    assert_eq!(figures["totals"][0]["volume"], "50.00 EUR", "{figures}");
    assert_eq!(figures["totals"][0]["fees"], "1.55 EUR", "{figures}");
    assert_eq!(figures["totals"][0]["disputed"], 1, "{figures}");
    let beta_figures = admin
        .server_fn::<ConsolePayments>(&[("slug", "beta"), ("period", "")])
        .await
        .json();
    assert_eq!(beta_figures["totals"], json!([]), "{beta_figures}");
    let platform = admin
        .server_fn::<ConsolePayments>(&[("slug", ""), ("period", "")])
        .await
        .json();
    assert_eq!(platform["totals"], figures["totals"], "{platform}");

    // Every write to Stripe carried an idempotency key.
    let writes = peer.view("/_tenantry/requests", &[]).await;
    for write in writes.as_array().expect("writes") {
        assert!(
            write["idempotency_key"].is_string(),
            "a write without a key: {write}"
        );
    }

    // Deauthorized on Stripe's side: the account is disconnected and the
    // shop closes; the owner can also disconnect beta's by hand.
    let deauthorize = reqwest::Client::new()
        .post(format!(
            "{}/_tenantry/accounts/{alpha_account}/deauthorize",
            peer.base
        ))
        .send()
        .await
        .expect("deauthorize");
    assert!(deauthorize.status().is_success());
    eventually("deauthorization disconnects", || async {
        accounts::current(&alpha)
            .await
            .expect("account")
            .is_some_and(|a| a.disconnected_at.is_some())
    })
    .await;
    assert_eq!(
        alpha_owner.server_fn::<Shop>(&[]).await.json()["open"],
        false
    );
    let wrong = beta_owner
        .server_fn::<DisconnectPayments>(&[("confirm", "yes")])
        .await;
    assert!(wrong.text.contains("confirm"), "{}", wrong.text);
    let done = beta_owner
        .server_fn::<DisconnectPayments>(&[("confirm", "disconnect")])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(
        accounts::State::of(accounts::current(&beta).await.expect("account").as_ref()),
        accounts::State::None
    );
}

/// The receipts in the tenant's mail outbox.
async fn receipts_of(ctx: &TenantCtx) -> Vec<tenantry::entities::tenant::mail_message::Model> {
    let db = ctx.db().await.expect("db");
    let all = tenantry::entities::tenant::mail_message::Entity::find()
        .all(&db)
        .await
        .expect("mail");
    db.commit().await.expect("commit");
    all.into_iter()
        .filter(|m| m.subject.starts_with("Your receipt"))
        .collect()
}

/// Posts a signed event to the server; its JSON answer.
async fn post_event(
    port: u16,
    path: &str,
    secret: &str,
    id: &str,
    kind: &str,
    account: Option<&String>,
    object: Value,
) -> Value {
    let mut event = json!({
        "id": id, "object": "event", "type": kind,
        "created": chrono::Utc::now().timestamp(),
        "data": {"object": object},
    });
    if let Some(account) = account {
        event["account"] = json!(account);
    }
    let body = event.to_string();
    let signature = sign(&[secret], chrono::Utc::now().timestamp(), body.as_bytes());
    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}{path}"))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("posted");
    let text = res.text().await.expect("answer");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON answer: {text}"))
}

/// Tenant B of the attack suite gets a connected account, an offer and a
/// purchase of it (written into its plane as Stripe's mirror would).
pub async fn victim_sale(ctx: &TenantCtx) -> (String, String) {
    use sea_orm::Set;
    let now = chrono::Utc::now();
    let (offer_id, purchase_id) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let db = ctx.db().await.expect("db");
    db.insert(connected_account::ActiveModel {
        account: Set(VICTIM_ACCOUNT.into()),
        details_submitted: Set(true),
        charges_enabled: Set(true),
        payouts_enabled: Set(true),
        requirements_due: Set("[]".into()),
        disabled_reason: Set(None),
        connected_at: Set(now),
        disconnected_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    })
    .await
    .expect("account");
    db.insert(offer::ActiveModel {
        id: Set(offer_id),
        name: Set("Bravo secret coaching".into()),
        description: Set(String::new()),
        amount: Set(9_900),
        currency: Set("eur".into()),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    })
    .await
    .expect("offer");
    db.insert(purchase::ActiveModel {
        id: Set(purchase_id),
        offer_id: Set(offer_id),
        buyer_id: Set(uuid::Uuid::new_v4()),
        buyer_email: Set("buyer@bravo-secret.test".into()),
        item: Set("Bravo secret coaching".into()),
        account: Set(VICTIM_ACCOUNT.into()),
        amount: Set(9_900),
        currency: Set("eur".into()),
        fee: Set(0),
        checkout_session: Set(Some("cs_test_BravoSecretSession".into())),
        checkout_url: Set(None),
        payment_intent: Set(Some("pi_BravoSecret".into())),
        charge: Set(Some("ch_BravoSecret".into())),
        status: Set("paid".into()),
        amount_refunded: Set(0),
        fee_refunded: Set(0),
        disputed: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .await
    .expect("purchase");
    db.commit().await.expect("commit");
    (offer_id.to_string(), purchase_id.to_string())
}

/// B's payments as they stand, for the attack suite's snapshot.
pub async fn sales_of(ctx: &TenantCtx) -> String {
    let db = ctx.db().await.expect("db");
    let account = connected_account::Entity::find()
        .all(&db)
        .await
        .expect("account");
    let offers = offer::Entity::find().all(&db).await.expect("offers");
    let sales = purchase::Entity::find().all(&db).await.expect("purchases");
    db.commit().await.expect("commit");
    format!("{account:?}{offers:?}{sales:?}")
}
