//! Billing mirrored to Stripe, against localstripe: a customer per tenant
//! created once through async-stripe with an idempotency key, and Stripe's
//! own signed webhooks (a declined payment, then a paid invoice) delivered
//! to the real server over HTTP, where the invoice is read back from Stripe
//! and its current state decides the tenant's standing.

use crate::harness::{TestApp, STRIPE_WEBHOOK_SECRET};
use crate::localstripe::{LocalStripe, SECRET_KEY};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use tenantry::billing::{accounts, stripe};
use tenantry::events::signature::sign;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite() {
    let peer = LocalStripe::start().await;
    let settings = [
        ("stripe_secret_key", SECRET_KEY),
        ("stripe_api_base", peer.base.as_str()),
    ];
    scenario(TestApp::sqlite_with(&settings).await, &peer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres() {
    let peer = LocalStripe::start().await;
    let settings = [
        ("stripe_secret_key", SECRET_KEY),
        ("stripe_api_base", peer.base.as_str()),
    ];
    scenario(TestApp::postgres_with(&settings).await, &peer).await;
}

/// Serves the app's router on a real port, for localstripe to post to.
async fn serve(app: &TestApp) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let port = listener.local_addr().expect("addr").port();
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serves");
    });
    port
}

/// Waits (up to 10 s: localstripe delivers about a second after the event)
/// until the tenant's standing is `past_due` or not.
async fn wait_standing(app: &TestApp, tenant: tenantry::tenancy::TenantId, past_due: bool) {
    for _ in 0..100 {
        let notice = accounts::notice(&app.engine, tenant).await.expect("notice");
        if notice.is_some() == past_due {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the tenant's standing never became past_due={past_due}");
}

/// A payment method attached to the customer as its default: `form`
/// describes it (a card, or a SEPA debit whose IBAN decides whether the
/// charge fails, asynchronously, as a real bank would).
async fn payment_method(peer: &LocalStripe, customer: &str, form: &[(&str, &str)]) {
    let pm = peer.call("POST", "/v1/payment_methods", form).await;
    let pm = pm["id"].as_str().expect("payment method").to_owned();
    peer.call(
        "POST",
        &format!("/v1/payment_methods/{pm}/attach"),
        &[("customer", customer)],
    )
    .await;
    peer.call(
        "POST",
        &format!("/v1/customers/{customer}"),
        &[("invoice_settings[default_payment_method]", pm.as_str())],
    )
    .await;
}

async fn scenario(app: TestApp, peer: &LocalStripe) {
    let port = serve(&app).await;
    peer.register_webhook(
        &format!("http://127.0.0.1:{port}/webhooks/stripe"),
        STRIPE_WEBHOOK_SECRET,
    )
    .await;
    let ctx = app.tenant("alpha").await;
    let record = ctx.tenant().clone();

    // One customer per tenant, named and tagged with the tenant; asking
    // again finds the same one.
    let customer = stripe::ensure_customer(&app.engine, &record)
        .await
        .expect("customer")
        .expect("stripe is configured");
    let again = stripe::ensure_customer(&app.engine, &record)
        .await
        .expect("again");
    assert_eq!(again.as_deref(), Some(customer.as_str()));
    let remote = peer
        .call("GET", &format!("/v1/customers/{customer}"), &[])
        .await;
    assert_eq!(
        remote["metadata"]["tenant_id"],
        record.id.to_string(),
        "{remote}"
    );
    assert_eq!(remote["name"], record.name.as_str());
    let all = peer.call("GET", "/v1/customers", &[("limit", "100")]).await;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(1), "{all}");

    // Stripe's side: a monthly plan, a SEPA debit that the bank refuses, a
    // subscription. Stripe reports invoice.payment_failed; the invoice, read
    // back, is open after an attempt: the tenant is past due.
    peer.call(
        "POST",
        "/v1/plans",
        &[
            ("id", "pro"),
            ("amount", "2000"),
            ("currency", "usd"),
            ("interval", "month"),
            ("product[name]", "Pro"),
        ],
    )
    .await;
    let refused = [
        ("type", "sepa_debit"),
        ("sepa_debit[iban]", "DE62370400440532013001"),
    ];
    payment_method(peer, &customer, &refused).await;
    let subscription = peer
        .call(
            "POST",
            "/v1/subscriptions",
            &[("customer", customer.as_str()), ("items[0][plan]", "pro")],
        )
        .await;
    let invoice = subscription["latest_invoice"]
        .as_str()
        .expect("an invoice")
        .to_owned();
    wait_standing(&app, ctx.id(), true).await;

    // The customer enters a working card and the invoice is paid: Stripe
    // reports it, and the tenant is in good standing again.
    let card = [
        ("type", "card"),
        ("card[number]", "4242424242424242"),
        ("card[exp_month]", "12"),
        ("card[exp_year]", "2030"),
        ("card[cvc]", "123"),
    ];
    payment_method(peer, &customer, &card).await;
    let paid = peer
        .call("POST", &format!("/v1/invoices/{invoice}/pay"), &[])
        .await;
    assert_eq!(paid["status"], "paid", "{paid}");
    wait_standing(&app, ctx.id(), false).await;

    // A failure notice delivered late (a new event id, signed correctly):
    // the invoice read back is paid, so nothing changes.
    let late = serde_json::json!({
        "id": "evt_late_failure", "object": "event", "type": "invoice.payment_failed",
        "created": chrono::Utc::now().timestamp(),
        "data": {"object": {"object": "invoice", "id": invoice, "customer": customer}}
    })
    .to_string();
    let signature = sign(
        &[STRIPE_WEBHOOK_SECRET],
        chrono::Utc::now().timestamp(),
        late.as_bytes(),
    );
    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/webhooks/stripe"))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(late)
        .send()
        .await
        .expect("delivered");
    let body: Value = serde_json::from_str(&res.text().await.expect("body")).expect("JSON");
    assert_eq!(body["received"], "applied", "{body}");
    assert!(accounts::notice(&app.engine, ctx.id())
        .await
        .expect("notice")
        .is_none());
}
