//! Events raised inside a tenant's plane reach the platform's log exactly
//! once: relayed after the change commits, by the writer or, when it died
//! first, by the dispatcher's sweep and pass; relayed again after a crash, they add
//! nothing twice.

use crate::harness::TestApp;
use crate::on_both_backends;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};
use serde_json::json;
use tenantry::audit;
use tenantry::entities::tenant::outgoing_event;
use tenantry::events::relay::{self, Raised};
use tenantry::events::{outbox, EventKind};
use tenantry::tenancy::directory::{self, Queue};
use tenantry::tenancy::TenantCtx;

on_both_backends!(
    an_event_raised_in_a_plane_is_relayed_once_even_when_its_writer_dies_before_relaying,
);

/// This tenant's `branding.changed` events and platform audit entries
/// carrying the test's detail.
async fn relayed(app: &TestApp, ctx: &TenantCtx) -> (usize, usize) {
    let events = outbox::recent(&app.engine, Some(ctx.id()), 100)
        .await
        .expect("events");
    let events = events
        .iter()
        .filter(|e| e.kind == EventKind::BrandingChanged && e.data["marker"] == "relay-test")
        .count();
    let entries = audit::recent(&app.engine, 500).await.expect("audit");
    let entries = entries
        .iter()
        .filter(|e| e.tenant == Some(ctx.id().uuid()) && e.detail == "relay-test")
        .count();
    (events, entries)
}

async fn waiting(ctx: &TenantCtx) -> Vec<outgoing_event::Model> {
    ctx.run(false, async |db| {
        Ok(outgoing_event::Entity::find().all(db).await?)
    })
    .await
    .expect("outbox")
}

async fn an_event_raised_in_a_plane_is_relayed_once_even_when_its_writer_dies_before_relaying(
    app: TestApp,
) {
    let ctx = app.tenant("alpha").await;
    let db = ctx.db().await.expect("db");
    let event = Raised {
        kind: Some(EventKind::BrandingChanged),
        actor: "member:test",
        data: json!({ "marker": "relay-test" }),
        audit_action: Some("tenant.branding_changed"),
        audit_detail: "relay-test",
    };
    relay::raise(&db, event).await.expect("raise");
    db.commit().await.expect("commit");
    // The writer died here, before relaying: the event waits in the plane.
    let raised = waiting(&ctx).await;
    assert_eq!(raised.len(), 1);
    assert_eq!(relayed(&app, &ctx).await, (0, 0));

    // Nothing noted it (the writer noted nothing before dying): the
    // dispatcher's sweep finds it, and its next pass relays it.
    assert_eq!(relay::relay_due(&app.engine).await.expect("pass"), 0);
    assert_eq!(relay::sweep(&app.engine).await.expect("sweep"), 1);
    assert_eq!(relay::relay_due(&app.engine).await.expect("pass"), 1);
    assert_eq!(relayed(&app, &ctx).await, (1, 1));
    assert!(
        waiting(&ctx).await.is_empty(),
        "relayed events leave the plane"
    );

    // A crash between the catalog's commit and the plane's delete leaves
    // the row behind: relaying it again adds nothing.
    let again = raised[0].clone().into_active_model().reset_all();
    ctx.run(true, async |db| Ok(again.insert(db).await?))
        .await
        .expect("put back");
    directory::work_due_now(&app.engine, Queue::Relay, ctx.id())
        .await
        .expect("noted");
    assert_eq!(relay::relay_due(&app.engine).await.expect("pass"), 1);
    assert_eq!(relayed(&app, &ctx).await, (1, 1), "nothing twice");
    assert!(waiting(&ctx).await.is_empty());
    // With nothing waiting, a pass finds nothing.
    assert_eq!(relay::relay_due(&app.engine).await.expect("pass"), 0);
}
