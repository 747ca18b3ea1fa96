//! Sessions held in memory: a signed-in request reads its session from the
//! catalog once, and a session ended anywhere stops working here at once
//! (this process) or within moments (another process, through the
//! catalog's notifications).

use crate::harness::{pg_admin_in, Client, TestApp};
use axum::http::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ended_by_another_process_is_refused_here_within_moments() {
    let app = TestApp::postgres().await;
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    assert_eq!(owner.get("/api/v1/projects").await.status, StatusCode::OK);
    assert!(
        !app.engine.session_cache().is_empty(),
        "the session is held in memory now"
    );

    // Another instance (here: the superuser, by hand) ends every session.
    let db = app.pg_database.clone().expect("postgres");
    pg_admin_in(&db, "DELETE FROM sessions").await;
    assert!(
        signed_out_within_moments(&mut owner).await,
        "the notification evicted the cached session"
    );
    assert!(app.engine.session_cache().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_changed_by_another_process_is_read_again_here() {
    let app = TestApp::postgres().await;
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    assert_eq!(owner.get("/api/v1/projects").await.status, StatusCode::OK);

    // A change to the row (here: its data, by hand, as another instance's
    // save would) is what this server reads next: its scope no longer
    // matches this host, so the request is anonymous.
    let db = app.pg_database.clone().expect("postgres");
    pg_admin_in(
        &db,
        "UPDATE sessions SET data = replace(data, '\"scope\":\"', '\"scope\":\"elsewhere-')",
    )
    .await;
    assert!(
        signed_out_within_moments(&mut owner).await,
        "the changed session was read again"
    );
}

/// Whether the client's requests are refused as signed out within a second.
async fn signed_out_within_moments(client: &mut Client) -> bool {
    for _ in 0..50 {
        if client.get("/api/v1/projects").await.status == StatusCode::UNAUTHORIZED {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}
