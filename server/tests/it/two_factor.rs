//! Two-factor sign-in through the router, with codes computed here as an
//! authenticator app would: members and superadmins set up a factor, sign
//! in with a code or a recovery code (each used once), a tenant requires it
//! of its members (who set it up at their next sign-in), the JSON API asks
//! for the code too, and impersonation asks a superadmin for a fresh one.

use crate::harness::{Client, TestApp, PASSWORD};
use crate::on_both_backends;
use axum::http::StatusCode;
use tenantry::identity::two_factor::{code_at, STEP_SECS};
use tenantry_app::features::account::api::MyAccount;
use tenantry_app::features::console::api::{Impersonate, ListAudit};
use tenantry_app::features::members::api::AddMember;
use tenantry_app::features::session::api::{SignIn, SignInCode};
use tenantry_app::features::two_factor::api::{
    BeginTwoFactor, ConfirmFactor, EnrolTwoFactor, RenewRecoveryCodes, SetTwoFactorRule,
    TurnOffTwoFactor, TwoFactorStatus,
};

on_both_backends!(
    a_member_sets_up_a_factor_and_each_code_signs_in_once,
    a_tenant_that_requires_it_has_members_set_it_up_at_sign_in,
    a_superadmin_proves_a_fresh_factor_before_impersonating,
);

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970")
}

/// An authenticator app: the key, and the moment its first code was read.
struct Authenticator {
    key: Vec<u8>,
    t0: u64,
}

impl Authenticator {
    /// From the setup's base32 text, reading its first code now.
    fn scanned(shown: &str) -> Self {
        let key = totp_rs::Secret::Encoded(shown.replace(' ', ""))
            .to_bytes()
            .expect("base32 key");
        Self { key, t0: now() }
    }

    /// The code `steps` steps after the first (0: the first itself), so a
    /// test that runs across a step boundary still names the step it means.
    fn code(&self, steps: u64) -> String {
        code_at(&self.key, self.t0 + steps * STEP_SECS).expect("code")
    }
}

/// Sets a factor up for whoever `client` is signed in as; the key and the
/// recovery codes. The first code used is this step's.
async fn enrol(client: &mut Client) -> (Authenticator, Vec<String>) {
    let begun = client.server_fn::<BeginTwoFactor>(&[]).await;
    assert_eq!(begun.status, StatusCode::OK, "{}", begun.text);
    let begun = begun.json();
    let ticket = begun["ticket"].as_str().expect("ticket").to_owned();
    assert!(begun["qr_svg"].as_str().expect("qr").starts_with("<svg"));
    let key = Authenticator::scanned(begun["secret"].as_str().expect("secret"));

    let wrong = client
        .server_fn::<EnrolTwoFactor>(&[("ticket", &ticket), ("code", "12345")])
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text
    );
    assert_eq!(wrong.json()["field"], "code");

    let done = client
        .server_fn::<EnrolTwoFactor>(&[("ticket", &ticket), ("code", &key.code(0))])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let codes: Vec<String> = serde_json::from_value(done.json()).expect("codes");
    assert_eq!(codes.len(), 10);
    (key, codes)
}

/// Signs in on `host` with the password; what the first step answered.
async fn password_step(app: &TestApp, host: &str, email: &str) -> (Client, serde_json::Value) {
    let mut client = app.client(host);
    let res = client
        .server_fn::<SignIn>(&[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let step = res.json();
    (client, step)
}

async fn signed_in(client: &mut Client) -> bool {
    let res = client.server_fn::<MyAccount>(&[]).await;
    match res.status {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("account: {other} {}", res.text),
    }
}

async fn a_member_sets_up_a_factor_and_each_code_signs_in_once(app: TestApp) {
    // Room for the wrong codes tried here; the limit itself is checked last.
    let app = app
        .with_router_settings(&[("signin_attempts_per_account", "10")])
        .await;
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    let (key, recovery) = enrol(&mut owner).await;
    // Kept sealed with the tenant's own data key (shredded with it).
    let ctx = app.ctx("acme").await;
    let db = ctx.read().await.expect("db");
    let sealed: String = sea_orm::ConnectionTrait::query_one_raw(
        &db,
        sea_orm::Statement::from_string(
            sea_orm::ConnectionTrait::get_database_backend(&db),
            "SELECT secret_sealed AS v FROM member_factors",
        ),
    )
    .await
    .expect("read")
    .expect("a factor")
    .try_get("", "v")
    .expect("v");
    db.commit().await.expect("commit");
    assert!(sealed.starts_with("tk1.1."), "{sealed}");
    let status = owner.server_fn::<TwoFactorStatus>(&[]).await.json();
    assert_eq!(
        (status["enrolled"].clone(), status["recovery_left"].clone()),
        (true.into(), 10.into())
    );

    // The password alone signs nobody in now.
    let (mut client, step) = password_step(&app, "acme.localhost", "owner@acme.test").await;
    assert_eq!(step, "Code");
    assert!(
        !signed_in(&mut client).await,
        "signed in on the password alone"
    );
    let wrong = client
        .server_fn::<SignInCode>(&[("code", "000000"), ("ticket", "")])
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.text
    );
    // The setup's own code (this step) was used already: refused.
    let replay = client
        .server_fn::<SignInCode>(&[("code", &key.code(0)), ("ticket", "")])
        .await;
    assert_eq!(
        replay.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        replay.text
    );
    let next = key.code(1);
    let ok = client
        .server_fn::<SignInCode>(&[("code", &next), ("ticket", "")])
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert!(signed_in(&mut client).await);

    // That code again, in another sign-in: refused.
    let (mut again, _) = password_step(&app, "acme.localhost", "owner@acme.test").await;
    let reused = again
        .server_fn::<SignInCode>(&[("code", &next), ("ticket", "")])
        .await;
    assert_eq!(
        reused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reused.text
    );
    // A recovery code, typed loosely, works once.
    let loose = recovery[0].to_uppercase().replace('-', " ");
    let ok = again
        .server_fn::<SignInCode>(&[("code", &loose), ("ticket", "")])
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let (mut third, _) = password_step(&app, "acme.localhost", "owner@acme.test").await;
    let spent = third
        .server_fn::<SignInCode>(&[("code", &recovery[0]), ("ticket", "")])
        .await;
    assert_eq!(
        spent.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        spent.text
    );

    // The JSON API asks for the code as well.
    let mut api = app.client("acme.localhost");
    let bare = serde_json::json!({"email": "owner@acme.test", "password": PASSWORD});
    let res = api.post_json("/api/v1/session", bare).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    let with_code =
        serde_json::json!({"email": "owner@acme.test", "password": PASSWORD, "code": recovery[1]});
    let res = api.post_json("/api/v1/session", with_code).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // New recovery codes replace the old; turning off asks for a code.
    let renewed = owner
        .server_fn::<RenewRecoveryCodes>(&[("code", &recovery[2])])
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text);
    let fresh: Vec<String> = serde_json::from_value(renewed.json()).expect("codes");
    let off = owner
        .server_fn::<TurnOffTwoFactor>(&[("code", &recovery[3])])
        .await;
    assert_eq!(
        off.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "old codes are gone: {}",
        off.text
    );
    let off = owner
        .server_fn::<TurnOffTwoFactor>(&[("code", &fresh[0])])
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    let (_, step) = password_step(&app, "acme.localhost", "owner@acme.test").await;
    assert_eq!(step, "Done", "the password alone is enough again");

    // Wrong codes count as failed sign-ins: guessing stops at the limit.
    let (key, _) = enrol(&mut owner).await;
    let (mut guesser, _) = password_step(&app, "acme.localhost", "owner@acme.test").await;
    let mut refused_at = None;
    for n in 1..=10 {
        let res = guesser
            .server_fn::<SignInCode>(&[("code", "999999"), ("ticket", "")])
            .await;
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            refused_at = Some(n);
            break;
        }
    }
    assert!(refused_at.is_some(), "ten wrong codes and no throttle");
    let right = guesser
        .server_fn::<SignInCode>(&[("code", &key.code(1)), ("ticket", "")])
        .await;
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        right.text
    );
}

async fn a_tenant_that_requires_it_has_members_set_it_up_at_sign_in(app: TestApp) {
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    for email in ["ann@acme.test", "bob@acme.test"] {
        let res = owner
            .server_fn::<AddMember>(&[
                ("email", email),
                ("display_name", ""),
                ("password", PASSWORD),
                ("role", "member"),
            ])
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
    let mut ann = app.owner_client_as("acme", "ann@acme.test").await;
    let refused = ann
        .server_fn::<SetTwoFactorRule>(&[("required", "true")])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "a member sets no rule: {}",
        refused.text
    );
    let set = owner
        .server_fn::<SetTwoFactorRule>(&[("required", "true")])
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);

    // Bob's next sign-in sets a factor up before it lets him in.
    let (mut bob, step) = password_step(&app, "acme.localhost", "bob@acme.test").await;
    let enrol = &step["Enrol"];
    let ticket = enrol["ticket"].as_str().expect("a setup, not a sign-in");
    assert!(!signed_in(&mut bob).await);
    let key = Authenticator::scanned(enrol["secret"].as_str().expect("secret"));
    let done = bob
        .server_fn::<SignInCode>(&[("code", &key.code(0)), ("ticket", ticket)])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(
        done.json()["recovery_codes"].as_array().map(Vec::len),
        Some(10)
    );
    assert!(signed_in(&mut bob).await);
    // Required: it cannot be turned off.
    let off = bob
        .server_fn::<TurnOffTwoFactor>(&[("code", &key.code(1))])
        .await;
    assert_eq!(off.status, StatusCode::CONFLICT, "{}", off.text);

    // The API cannot set a factor up: it says where to.
    let res = app
        .client("acme.localhost")
        .post_json(
            "/api/v1/session",
            serde_json::json!({"email": "owner@acme.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    assert_eq!(res.json()["error"]["code"], "two_factor_setup_required");
    // A ticket made for Bob is no good for anyone else's setup.
    let (mut owner_again, step) = password_step(&app, "acme.localhost", "owner@acme.test").await;
    assert!(step["Enrol"].is_object(), "{step}");
    let stolen = owner_again
        .server_fn::<SignInCode>(&[("code", &key.code(1)), ("ticket", ticket)])
        .await;
    assert_eq!(
        stolen.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stolen.text
    );
    assert!(!signed_in(&mut owner_again).await);
}

async fn a_superadmin_proves_a_fresh_factor_before_impersonating(app: TestApp) {
    app.tenant("acme").await;
    // Signed in before any factor: this session proved none.
    let mut old_session = app.superadmin().await;
    let mut enrolling = app.client("admin.localhost");
    let res = enrolling
        .server_fn::<SignIn>(&[("email", "root@platform.test"), ("password", PASSWORD)])
        .await;
    assert_eq!(res.json(), "Done", "{}", res.text);
    let (key, _) = enrol(&mut enrolling).await;

    let form = [
        ("slug", "acme"),
        ("email", "owner@acme.test"),
        ("reason", "ticket 42: cannot see projects"),
    ];
    let refused = old_session.server_fn::<Impersonate>(&form).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(refused.json()["code"], "fresh_factor_required");
    let confirmed = old_session
        .server_fn::<ConfirmFactor>(&[("code", &key.code(1))])
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    let started = old_session.server_fn::<Impersonate>(&form).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);

    // Where the platform requires it, the console asks for a code too.
    let strict = app
        .with_router_settings(&[("two_factor.superadmins_required", "true")])
        .await;
    let (_, step) = password_step(&strict, "admin.localhost", "root@platform.test").await;
    assert_eq!(step, "Code");
    tenantry::identity::admins::create(&strict.engine, "two@platform.test", PASSWORD, "test")
        .await
        .expect("admin");
    let (mut newcomer, step) = password_step(&strict, "admin.localhost", "two@platform.test").await;
    assert!(step["Enrol"]["ticket"].is_string(), "{step}");
    let res = newcomer.server_fn::<ListAudit>(&[]).await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "signed in before setting a factor up"
    );
}
