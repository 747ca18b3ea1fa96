//! Billing mirrored to Stripe, against localstripe: a customer per tenant
//! created once through async-stripe with an idempotency key, and Stripe's
//! own signed webhooks (a declined payment, then a paid invoice) delivered
//! to the real server over HTTP, where the invoice is read back from Stripe
//! and its current state decides the tenant's standing; and the billing job
//! mirroring a tenant's subscription, seats and usage.
//!
//! About 520 lines, one scenario per test: Stripe scenarios against the fake
//! Stripe server, sharing its setup.

use crate::billing::past_due_notice;
use crate::harness::{TestApp, STRIPE_WEBHOOK_SECRET};
use crate::localstripe::{LocalStripe, SECRET_KEY};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tenantry::billing::{accounts, stripe, stripe_mirror};
use tenantry::events::signature::sign;
use tenantry::plans::store::PlanInput;

/// The Stripe peer, and an app on SQLite or Postgres configured to use it.
async fn with_peer(postgres: bool) -> (TestApp, LocalStripe) {
    let peer = LocalStripe::start().await;
    let settings = [
        ("stripe_secret_key", SECRET_KEY),
        ("stripe_api_base", peer.base.as_str()),
    ];
    let app = if postgres {
        TestApp::postgres_with(&settings).await
    } else {
        TestApp::sqlite_with(&settings).await
    };
    (app, peer)
}

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

/// Serves the app's router on a real port, for localstripe to post to.
pub(crate) async fn serve(app: &TestApp) -> u16 {
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
        let notice = past_due_notice(app, tenant).await;
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
    assert!(past_due_notice(&app, ctx.id()).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_on_sqlite() {
    let (app, peer) = with_peer(false).await;
    mirror_scenario(app, &peer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_on_postgres() {
    let (app, peer) = with_peer(true).await;
    mirror_scenario(app, &peer).await;
}

/// The subscription as Stripe holds it: `(our price key, quantity)` per
/// item, sorted, read through each item's price.
async fn items(peer: &LocalStripe, subscription: &str) -> Vec<(String, Option<i64>)> {
    let sub = peer
        .call("GET", &format!("/v1/subscriptions/{subscription}"), &[])
        .await;
    let mut out = Vec::new();
    for item in sub["items"]["data"].as_array().expect("items") {
        let price_id = item["price"]["id"].as_str().expect("price id");
        let price = peer
            .call("GET", &format!("/v1/prices/{price_id}"), &[])
            .await;
        let metered = price["recurring"]["usage_type"] == "metered";
        let key = price["metadata"]["tenantry_price"]
            .as_str()
            .expect("our key")
            .to_owned();
        out.push((
            key,
            (!metered).then(|| item["quantity"].as_i64().expect("quantity")),
        ));
    }
    out.sort();
    out
}

async fn subscription_id(app: &TestApp, tenant: tenantry::tenancy::TenantId) -> Option<String> {
    accounts::account_of(&app.engine, tenant)
        .await
        .expect("account")
        .stripe_subscription_id
}

async fn writes(peer: &LocalStripe) -> Vec<Value> {
    peer.view("/_tenantry/requests", &[])
        .await
        .as_array()
        .expect("writes")
        .clone()
}

async fn meter_value(peer: &LocalStripe, customer: &str) -> f64 {
    let event = stripe_mirror::event_name("hybrid", "emails");
    let usage = peer
        .view(
            "/_tenantry/meter_usage",
            &[("meter", event.as_str()), ("customer", customer)],
        )
        .await;
    usage["value"].as_f64().expect("value")
}

/// The emails allowance our preview applies (prorated from the plan's 100,
/// the tenant having joined mid-period), once it shows `used` emails.
async fn emails_included(app: &TestApp, ctx: &tenantry::tenancy::TenantCtx, used: i64) -> i64 {
    let rated = tenantry::billing::invoices::preview(&app.engine, ctx, chrono::Utc::now())
        .await
        .expect("preview");
    let line = rated
        .lines
        .iter()
        .find(|l| l.price == "emails")
        .expect("an emails line");
    assert_eq!(line.quantity, used);
    line.included
}

/// The billing job mirrors a tenant on a hybrid plan: its customer; once it
/// can pay, a subscription with an item per price (the headcount on the
/// seats item); usage past the allowance as meter events; a plan change as
/// new items; a plan without prices, or the tenant's deletion, as a
/// cancellation. Every write carries
/// our idempotency key, so an operation retried after losing its answer
/// finds what the first attempt created.
/// One run of the periodic mirroring as the server does it: a job per
/// active tenant, run by the job runner (a deleted tenant's subscription
/// is cancelled by the periodic work itself).
async fn mirror(app: &TestApp, now: chrono::DateTime<chrono::Utc>) {
    tenantry::billing::mirror_jobs::queue_all(&app.engine, now)
        .await
        .expect("queued");
    crate::harness::run_due_jobs(&app.engine).await;
    let failed: Vec<_> = tenantry::jobs::manage::overview(&app.engine, 50)
        .await
        .expect("jobs")
        .attention
        .into_iter()
        .filter(|a| a.job.kind == "billing.mirror_stripe")
        .collect();
    assert!(failed.is_empty(), "every mirror job ran: {failed:?}");
}

async fn mirror_scenario(app: TestApp, peer: &LocalStripe) {
    crate::billing::define_meters(&app).await;
    crate::billing::hybrid_plan(&app).await;
    let ctx = app.tenant("alpha").await;
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "hybrid", "test")
        .await
        .expect("assigned");
    let record = ctx.tenant().clone();
    let now = chrono::Utc::now();

    // Before payment details: a customer, no subscription.
    mirror(&app, now).await;
    let customer = stripe::ensure_customer(&app.engine, &record)
        .await
        .expect("customer")
        .expect("stripe is configured");
    assert_eq!(subscription_id(&app, ctx.id()).await, None);

    // The admin's "Payment details" button: a portal session of Stripe's,
    // for this customer, back to the billing page.
    let mut owner = app.owner_client("alpha").await;
    let reply = owner
        .server_fn::<tenantry_app::features::billing::api::BillingPortal>(&[("slug", "")])
        .await;
    assert!(
        reply.status.is_success(),
        "{}: {}",
        reply.status,
        reply.text
    );
    let link: String = serde_json::from_str(&reply.text).expect("a URL");
    assert!(link.starts_with(&peer.base), "{link}");
    let page = reqwest::get(&link)
        .await
        .expect("portal")
        .text()
        .await
        .expect("page");
    assert!(page.contains(&customer), "{page}");
    assert!(page.contains("/admin/billing"), "{page}");

    // Payment details entered (as the portal does): the subscription has
    // one item per price, the owner on the seats item.
    let card = [
        ("type", "card"),
        ("card[number]", "4242424242424242"),
        ("card[exp_month]", "12"),
        ("card[exp_year]", "2030"),
        ("card[cvc]", "123"),
    ];
    payment_method(peer, &customer, &card).await;
    mirror(&app, now).await;
    let subscription = subscription_id(&app, ctx.id()).await.expect("subscribed");
    let expected = |seats: i64| {
        vec![
            ("base".to_owned(), Some(1)),
            ("emails".to_owned(), None),
            ("seats".to_owned(), Some(seats)),
        ]
    };
    assert_eq!(items(peer, &subscription).await, expected(1));
    let remote = peer
        .call("GET", &format!("/v1/subscriptions/{subscription}"), &[])
        .await;
    assert_eq!(remote["metadata"]["tenant_id"], record.id.to_string());
    assert_eq!(remote["customer"], customer.as_str());

    // A member joins: the seats item follows.
    crate::billing::add_member(&ctx, "second@alpha.test").await;
    mirror(&app, now).await;
    assert_eq!(items(peer, &subscription).await, expected(2));

    // Usage past the 100 included emails is what Stripe's meter holds.
    let mut api = app.bearer_client("alpha.localhost", &app.api_key("alpha", "member").await);
    let at = now.to_rfc3339();
    let (status, _) = crate::billing::send(
        &mut api,
        json!([{"id": "m-1", "meter": "emails", "quantity": 150, "timestamp": at}]),
    )
    .await;
    assert!(status.is_success(), "{status}");
    mirror(&app, now).await;
    let included = emails_included(&app, &ctx, 150).await;
    assert!(included > 0 && included <= 100, "allowance {included}");
    assert_eq!(meter_value(peer, &customer).await, (150 - included) as f64);
    let (status, _) = crate::billing::send(
        &mut api,
        json!([{"id": "m-2", "meter": "emails", "quantity": 30, "timestamp": at}]),
    )
    .await;
    assert!(status.is_success(), "{status}");
    mirror(&app, now).await;
    assert_eq!(emails_included(&app, &ctx, 180).await, included);
    assert_eq!(meter_value(peer, &customer).await, (180 - included) as f64);

    // Nothing changed: nothing is written.
    let before = writes(peer).await.len();
    mirror(&app, now).await;
    assert_eq!(writes(peer).await.len(), before);

    // Our record of the subscription lost (a crash after Stripe answered):
    // the retry carries the same key and finds the same subscription.
    ctx.run(true, async |db| {
        db.execute_unprepared("UPDATE billing_accounts SET stripe_subscription_id = NULL")
            .await?;
        Ok(())
    })
    .await
    .expect("forgotten");
    mirror(&app, now).await;
    assert_eq!(
        subscription_id(&app, ctx.id()).await.as_deref(),
        Some(subscription.as_str())
    );
    let all = peer
        .call(
            "GET",
            "/v1/subscriptions",
            &[("customer", customer.as_str())],
        )
        .await;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(1), "{all}");

    // A plan change replaces the items; a plan without prices cancels.
    let flat = PlanInput {
        key: "flat".into(),
        name: "Flat".into(),
        tier: "flat".into(),
        prices: r#"[{"key":"fee","name":"Fee","type":"flat","amount":9000,"currency":"usd"}]"#
            .into(),
        ..Default::default()
    };
    tenantry::plans::store::save(&app.engine, &flat, "test")
        .await
        .expect("plan");
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "flat", "test")
        .await
        .expect("assigned");
    mirror(&app, now).await;
    assert_eq!(
        items(peer, &subscription).await,
        vec![("fee".to_owned(), Some(1))]
    );
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "standard", "test")
        .await
        .expect("assigned");
    mirror(&app, now).await;
    assert_eq!(
        subscription_id(&app, ctx.id()).await.as_deref(),
        Some(subscription.as_str())
    );
    let ended = peer
        .call("GET", &format!("/v1/subscriptions/{subscription}"), &[])
        .await;
    assert_eq!(ended["status"], "canceled", "{ended}");

    // Back on a priced plan, then deleted: a deleted tenant is not billed.
    tenantry::lifecycle::plan::assign(&app.engine, "alpha", "flat", "test")
        .await
        .expect("assigned");
    mirror(&app, now).await;
    let again = subscription_id(&app, ctx.id())
        .await
        .expect("subscribed again");
    assert_ne!(again, subscription);
    tenantry::catalog::tenants::delete(&app.engine, "alpha", "alpha", "test")
        .await
        .expect("deleted");
    mirror(&app, now).await;
    assert_eq!(subscription_id(&app, ctx.id()).await, None);
    let ended = peer
        .call("GET", &format!("/v1/subscriptions/{again}"), &[])
        .await;
    assert_eq!(ended["status"], "canceled", "{ended}");

    // Every write to Stripe from the platform (async-stripe's user agent,
    // not the test's own calls as Stripe's side) carried our idempotency key.
    let all: Vec<Value> = writes(peer)
        .await
        .into_iter()
        .filter(|w| {
            w["user_agent"]
                .as_str()
                .unwrap_or_default()
                .contains("RustBindings")
        })
        .collect();
    assert!(all.len() >= 10, "{all:?}");
    for write in &all {
        let key = write["idempotency_key"].as_str().unwrap_or_default();
        assert!(key.starts_with("tenantry-"), "{write}");
    }

    // Purged, the tenant leaves no customer at Stripe, and the receipt says so.
    let receipt = tenantry::lifecycle::purge_now(&app.engine, "alpha", "alpha", "test")
        .await
        .expect("purged");
    let store = receipt
        .stores
        .iter()
        .find(|s| s.store == "stripe: customer")
        .unwrap_or_else(|| panic!("no Stripe store in {receipt:?}"));
    assert_eq!((store.before, store.after), (1, 0));
    assert!(receipt.complete(), "{receipt:?}");
    let gone = peer
        .call("GET", &format!("/v1/customers/{customer}"), &[])
        .await;
    assert!(
        gone.get("error").is_some() || gone["deleted"] == true,
        "the customer is gone at Stripe: {gone}"
    );
}
