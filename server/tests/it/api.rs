use crate::harness::TestApp;
use crate::on_both_backends;
use axum::http::StatusCode;
use serde_json::json;

on_both_backends!(
    api_round_trip_creates_reads_renames_and_deletes_projects_and_tasks,
    api_bad_input_names_the_field_and_writes_nothing,
    api_without_a_session_is_401_json,
    api_sign_in_failure_is_the_same_for_unknown_email_and_wrong_password,
);

async fn api_round_trip_creates_reads_renames_and_deletes_projects_and_tasks(app: TestApp) {
    app.tenant("acme").await;
    let mut c = app.owner_client("acme").await;
    let created = c
        .post_json("/api/v1/projects", json!({"name": "Launch"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["project"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        uuid::Uuid::parse_str(&id).expect("uuid").get_version_num(),
        7
    );

    let list = c.get("/api/v1/projects").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()["projects"].as_array().expect("array").len(), 1);

    let renamed = c
        .json_request(
            "PATCH",
            &format!("/api/v1/projects/{id}"),
            json!({"name": "Launch v2"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    assert_eq!(renamed.json()["project"]["name"], "Launch v2");

    let task = c
        .post_json(
            &format!("/api/v1/projects/{id}/tasks"),
            json!({"title": "Write docs"}),
        )
        .await;
    assert_eq!(task.status, StatusCode::CREATED, "{}", task.text);
    let tasks = c.get(&format!("/api/v1/projects/{id}/tasks")).await;
    assert_eq!(tasks.json()["tasks"][0]["title"], "Write docs");
    assert_eq!(tasks.json()["tasks"][0]["done"], false);

    let shown = c.get(&format!("/api/v1/projects/{id}")).await;
    assert_eq!(shown.json()["project"]["task_count"], 1);

    let deleted = c
        .json_request("DELETE", &format!("/api/v1/projects/{id}"), json!({}))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        c.get(&format!("/api/v1/projects/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get(&format!("/api/v1/projects/{id}/tasks")).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn api_bad_input_names_the_field_and_writes_nothing(app: TestApp) {
    app.tenant("acme").await;
    let mut c = app.owner_client("acme").await;
    let cases = [
        ("{}", "name", "is required"),
        ("not json", "body", "must be a JSON object"),
        (r#"{"name": "   "}"#, "name", "is required"),
        (r#"{"name": 42}"#, "name", "must be a string"),
    ];
    for (body, field, reason) in cases {
        let res = c
            .raw("POST", "/api/v1/projects", "application/json", body)
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            res.text
        );
        let err = &res.json()["error"];
        assert_eq!(err["code"], "invalid", "{body}");
        assert_eq!(err["field"], field, "{body}");
        assert_eq!(err["message"], reason, "{body}");
    }
    let res = c
        .raw(
            "POST",
            "/api/v1/projects",
            "text/plain",
            r#"{"name": "via a form"}"#,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(res.json()["error"]["field"], "content-type");
    let long = "x".repeat(121);
    let res = c
        .post_json("/api/v1/projects", json!({ "name": long }))
        .await;
    assert_eq!(res.json()["error"]["field"], "name");
    let res = c
        .post_json("/api/v1/projects/not-a-uuid/tasks", json!({"title": "x"}))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let list = c.get("/api/v1/projects").await;
    assert_eq!(
        list.json()["projects"].as_array().expect("array").len(),
        0,
        "nothing was written"
    );
}

async fn api_without_a_session_is_401_json(app: TestApp) {
    app.tenant("acme").await;
    let mut anon = app.client("acme.localhost");
    let res = anon.get("/api/v1/projects").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.json()["error"]["code"], "unauthenticated");
}

async fn api_sign_in_failure_is_the_same_for_unknown_email_and_wrong_password(app: TestApp) {
    app.tenant("acme").await;
    let mut c = app.client("acme.localhost");
    let wrong = c
        .post_json(
            "/api/v1/session",
            json!({"email": "owner@acme.test", "password": "wrong password!"}),
        )
        .await;
    let unknown = c
        .post_json(
            "/api/v1/session",
            json!({"email": "nobody@acme.test", "password": "wrong password!"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.text, unknown.text);
    assert!(c.cookie.is_none(), "no session on failure");
}
