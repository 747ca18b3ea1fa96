//! Issue 18, point 6: one outbound policy for every outgoing call. Each way
//! of writing a loopback address is refused for every destination, through
//! the code that really sends (Stripe's client, the SMTP transport, the ACME
//! client), and nothing reaches the listener those addresses name; with
//! private services allowed, the same calls do reach it, so the check is
//! what stopped them.

use crate::harness::TestApp;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tenantry::outbound::{admit, Destination};
use tenantry::tenancy::TenantRecord;
use tenantry::Settings;

/// A loopback listener that counts who connects, and hangs up on them.
struct Trap {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Trap {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                drop(socket);
            }
        });
        Self { port, connections }
    }

    fn reached(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// 127.0.0.1 written every way a URL can carry it (and the IPv6 loopback).
const LOOPBACK_FORMS: &[&str] = &[
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "[::ffff:127.0.0.1]",
    "[::127.0.0.1]",
    "[::ffff:0:127.0.0.1]",
    "[64:ff9b::127.0.0.1]",
    "[2002:7f00:1::]",
    "[::1]",
    "localhost",
    "mail.localhost",
];

const DESTINATIONS: &[Destination] = &[
    Destination::Webhook,
    Destination::SsoProvider,
    Destination::Stripe,
    Destination::Acme,
    Destination::Mail,
];

fn production() -> Settings {
    Settings::from_pairs(&[]).expect("defaults")
}

fn message() -> tenantry::entities::tenant::mail_message::Model {
    let now = chrono::Utc::now();
    tenantry::entities::tenant::mail_message::Model {
        tenant_id: uuid::Uuid::now_v7(),
        id: uuid::Uuid::now_v7(),
        to_address: "someone@example.com".into(),
        from_name: "Alpha".into(),
        subject: "Hello".into(),
        text_body: "Hello".into(),
        html_body: "<p>Hello</p>".into(),
        state: "queued".into(),
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        created_at: now,
        sent_at: None,
    }
}

async fn stripe_call(
    app: &TestApp,
    tenant: &TenantRecord,
    base: &str,
    private_ok: &str,
) -> tenantry::Result<()> {
    let engine = app
        .with_settings(&[
            ("stripe_secret_key", "sk_test_outbound"),
            ("stripe_api_base", base),
            ("outbound_allow_private_services", private_ok),
        ])
        .await;
    tenantry::billing::stripe::ensure_customer(&engine, tenant)
        .await
        .map(|_| ())
}

async fn mail_send(smtp_url: &str, private_ok: &str) -> Result<(), String> {
    let settings = Settings::from_pairs(&[
        ("smtp_url", smtp_url),
        ("outbound_allow_private_services", private_ok),
    ])
    .expect("settings");
    let transport = tenantry::mail::transport::Transport::from_settings(&settings)
        .expect("valid")
        .expect("configured");
    transport.send(&message()).await
}

async fn acme_directory(directory: &str, private_ok: &str) -> Result<(), String> {
    let settings =
        Settings::from_pairs(&[("outbound_allow_private_services", private_ok)]).expect("settings");
    let http = tenantry::outbound::AcmeHttp::new(&settings).expect("client");
    let new = instant_acme::NewAccount {
        contact: &[],
        terms_of_service_agreed: true,
        only_return_existing: false,
    };
    instant_acme::Account::builder_with_http(Box::new(http))
        .create(&new, directory.to_owned(), None)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

#[tokio::test]
async fn the_policy_refuses_every_form_of_a_private_address_for_every_destination() {
    let settings = production();
    for form in LOOPBACK_FORMS {
        for destination in DESTINATIONS {
            let scheme = if *destination == Destination::Mail {
                "smtp"
            } else {
                "https"
            };
            let url = url::Url::parse(&format!("{scheme}://{form}:8443/")).expect("url");
            let refused = admit(*destination, &settings, &url).await;
            let refused = refused.expect_err(&format!("{destination:?} {form}"));
            assert_eq!(refused.named_by, destination.named_by());
        }
    }
    // Public addresses pass, written as literals (no DNS needed here).
    for public in ["https://93.184.216.34/", "https://[2606:4700::1111]/"] {
        let url = url::Url::parse(public).expect("url");
        for destination in DESTINATIONS {
            admit(*destination, &settings, &url)
                .await
                .unwrap_or_else(|e| panic!("{destination:?} {public}: {e}"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_mail_and_acme_reach_no_private_address_unless_allowed() {
    let app = TestApp::sqlite().await;
    let alpha = app.tenant("alpha").await;
    let tenant = alpha.tenant();
    let trap = Trap::start().await;
    let port = trap.port;

    for form in LOOPBACK_FORMS {
        let refused = stripe_call(&app, tenant, &format!("http://{form}:{port}"), "false")
            .await
            .expect_err(form);
        let refused = format!("{refused:?}");
        assert!(
            refused.contains("stripe_api_base is not at a public address"),
            "{form}: {refused}"
        );
        let refused = mail_send(&format!("smtp://{form}:{port}"), "false")
            .await
            .expect_err(form);
        assert!(
            refused.starts_with("smtp_url is not at a public address"),
            "{form}: {refused}"
        );
        let refused = acme_directory(&format!("https://{form}:{port}/dir"), "false")
            .await
            .expect_err(form);
        assert!(refused.contains("acme_directory_url"), "{form}: {refused}");
    }
    assert_eq!(trap.reached(), 0, "a refused destination was contacted");

    // The same calls, with private services allowed, do reach the listener
    // (and fail there, as it hangs up): the policy is what refused them.
    let loopback = format!("127.0.0.1:{port}");
    assert!(
        stripe_call(&app, tenant, &format!("http://{loopback}"), "true")
            .await
            .is_err()
    );
    let after_stripe = trap.reached();
    assert!(after_stripe >= 1, "Stripe never connected");
    assert!(mail_send(&format!("smtp://{loopback}"), "true")
        .await
        .is_err());
    let after_mail = trap.reached();
    assert!(after_mail > after_stripe, "SMTP never connected");
    assert!(acme_directory(&format!("https://{loopback}/dir"), "true")
        .await
        .is_err());
    assert!(trap.reached() > after_mail, "ACME never connected");
}

/// The directory names every later URL: one that points at a private
/// address is refused even when the directory itself was public.
#[tokio::test]
async fn an_acme_directory_cannot_send_the_client_to_a_private_address() {
    let settings = production();
    let http = tenantry::outbound::AcmeHttp::new(&settings).expect("client");
    let request = http::Request::builder()
        .method("POST")
        .uri("https://[::ffff:169.254.169.254]/new-order")
        .body(instant_acme::BodyWrapper::from(b"{}".to_vec()))
        .expect("request");
    let refused = instant_acme::HttpClient::request(&http, request).await;
    let refused = refused.err().expect("refused");
    assert!(
        format!("{refused:?}").contains("acme_directory_url"),
        "{refused:?}"
    );
}
