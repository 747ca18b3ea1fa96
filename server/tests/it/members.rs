use crate::harness::{TestApp, PASSWORD};
use crate::on_both_backends;
use axum::http::StatusCode;
use tenantry_app::features::members::api::{AddMember, ChangeRole, ListMembers, RemoveMember};

on_both_backends!(
    admins_manage_members_and_the_last_owner_stays,
    members_without_admin_role_cannot_manage_members,
    admins_cannot_take_the_owner_role_or_touch_owners,
    path_prefix_routing_resolves_tenants_on_the_base_host,
    viewers_read_but_change_nothing,
);

/// Adds a member with the test password through the server function.
trait AddMemberExt {
    async fn add_member(&mut self, email: &str, role: &str) -> crate::harness::Reply;
}

impl AddMemberExt for crate::harness::Client {
    async fn add_member(&mut self, email: &str, role: &str) -> crate::harness::Reply {
        let form = [
            ("email", email),
            ("display_name", ""),
            ("password", PASSWORD),
            ("role", role),
        ];
        self.server_fn::<AddMember>(&form).await
    }
}

fn member_id(list: &serde_json::Value, email: &str) -> String {
    list.as_array()
        .expect("array")
        .iter()
        .find(|m| m["email"] == email)
        .and_then(|m| m["id"].as_str())
        .expect("member listed")
        .to_owned()
}

async fn admins_manage_members_and_the_last_owner_stays(app: TestApp) {
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    let add = |email: &'static str, role: &'static str| {
        [
            ("email", email),
            ("display_name", ""),
            ("password", PASSWORD),
            ("role", role),
        ]
    };
    let res = owner
        .server_fn::<AddMember>(&add("ada@acme.test", "member"))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["display_name"], "ada");
    let dup = owner
        .server_fn::<AddMember>(&add("ADA@acme.test", "member"))
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.json()["field"], "email");
    let bad_role = owner
        .server_fn::<AddMember>(&add("bob@acme.test", "god"))
        .await;
    assert_eq!(bad_role.json()["field"], "role");
    let short = owner
        .server_fn::<AddMember>(&[
            ("email", "bob@acme.test"),
            ("display_name", ""),
            ("password", "short"),
            ("role", "member"),
        ])
        .await;
    assert_eq!(short.json()["field"], "password");

    let list = owner.server_fn::<ListMembers>(&[]).await.json();
    assert_eq!(
        list.as_array().expect("array").len(),
        2,
        "rejected adds wrote nothing"
    );
    let owner_id = member_id(&list, "owner@acme.test");
    let ada_id = member_id(&list, "ada@acme.test");

    let demote = owner
        .server_fn::<ChangeRole>(&[("user_id", &owner_id), ("role", "member")])
        .await;
    assert_eq!(
        demote.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "last owner cannot be demoted"
    );
    assert!(demote.json()["message"]
        .as_str()
        .unwrap_or_default()
        .contains("last owner"));
    let remove = owner
        .server_fn::<RemoveMember>(&[("user_id", &owner_id)])
        .await;
    assert_eq!(
        remove.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "last owner cannot be removed"
    );

    let promote = owner
        .server_fn::<ChangeRole>(&[("user_id", &ada_id), ("role", "owner")])
        .await;
    assert_eq!(promote.json()["role"], "owner");
    let demote = owner
        .server_fn::<ChangeRole>(&[("user_id", &owner_id), ("role", "admin")])
        .await;
    assert_eq!(
        demote.status,
        StatusCode::OK,
        "another owner exists now: {}",
        demote.text
    );

    let mut ada = app.owner_client_as("acme", "ada@acme.test").await;
    let removed = ada
        .server_fn::<RemoveMember>(&[("user_id", &owner_id)])
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    let list = ada.server_fn::<ListMembers>(&[]).await.json();
    assert_eq!(list.as_array().expect("array").len(), 1);
    assert_eq!(
        owner.get("/api/v1/projects").await.status,
        StatusCode::UNAUTHORIZED,
        "a removed member's session is dead"
    );
}

async fn members_without_admin_role_cannot_manage_members(app: TestApp) {
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    owner.add_member("m@acme.test", "member").await;
    let mut member = app.owner_client_as("acme", "m@acme.test").await;
    let res = member.server_fn::<ListMembers>(&[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = member.add_member("x@acme.test", "owner").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(
        member.get("/api/v1/projects").await.status,
        StatusCode::OK,
        "members use the product"
    );
}

async fn path_prefix_routing_resolves_tenants_on_the_base_host(app: TestApp) {
    let app = app
        .with_router_settings(&[("path_prefix_routing", "true")])
        .await;
    app.tenant("acme").await;
    let mut c = app.client("localhost");
    let res = c
        .post_json(
            "/t/acme/api/v1/session",
            serde_json::json!({"email": "owner@acme.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        c.get("/t/acme/api/v1/projects").await.status,
        StatusCode::OK
    );
    assert_eq!(
        c.get("/t/nope/api/v1/projects").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get("/api/v1/projects").await.status,
        StatusCode::NOT_FOUND,
        "the bare base host is no tenant"
    );
}

async fn admins_cannot_take_the_owner_role_or_touch_owners(app: TestApp) {
    app.tenant("acme").await;
    let mut owner = app.owner_client("acme").await;
    owner.add_member("adm@acme.test", "admin").await;
    let list = owner.server_fn::<ListMembers>(&[]).await.json();
    let owner_id = member_id(&list, "owner@acme.test");
    let admin_id = member_id(&list, "adm@acme.test");
    let mut admin = app.owner_client_as("acme", "adm@acme.test").await;
    for (what, res) in [
        (
            "self-promotion",
            admin
                .server_fn::<ChangeRole>(&[("user_id", &admin_id), ("role", "owner")])
                .await,
        ),
        (
            "demoting the owner",
            admin
                .server_fn::<ChangeRole>(&[("user_id", &owner_id), ("role", "member")])
                .await,
        ),
        (
            "removing the owner",
            admin
                .server_fn::<RemoveMember>(&[("user_id", &owner_id)])
                .await,
        ),
        (
            "adding an owner",
            admin.add_member("x@acme.test", "owner").await,
        ),
    ] {
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{what}: {}", res.text);
    }
    let ok = admin.add_member("m@acme.test", "member").await;
    assert_eq!(ok.status, StatusCode::OK, "admins still add members");
    let roles = owner.server_fn::<ListMembers>(&[]).await.json();
    assert_eq!(
        roles
            .as_array()
            .expect("array")
            .iter()
            .filter(|m| m["role"] == "owner")
            .count(),
        1
    );
}

async fn viewers_read_but_change_nothing(app: TestApp) {
    app.tenant("alpha").await;
    let mut owner = app.owner_client("alpha").await;
    let created = owner
        .post_json("/api/v1/projects", serde_json::json!({ "name": "Visible" }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let added = owner.add_member("watcher@alpha.test", "viewer").await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    assert_eq!(added.json()["role"], "viewer");

    let mut viewer = app.owner_client_as("alpha", "watcher@alpha.test").await;
    let listed = viewer.get("/api/v1/projects").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json()["projects"][0]["name"], "Visible");
    let refused = viewer
        .post_json("/api/v1/projects", serde_json::json!({ "name": "Nope" }))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(refused.json()["error"]["code"], "read_only");
    let refused = viewer
        .server_fn::<tenantry_app::features::product::api::CreateProject>(&[(
            "name",
            "Nope either",
        )])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let members = viewer.server_fn::<ListMembers>(&[]).await;
    assert_eq!(
        members.status,
        StatusCode::FORBIDDEN,
        "viewers do not manage members"
    );
    let listed = owner.get("/api/v1/projects").await.json();
    assert_eq!(
        listed["projects"].as_array().expect("list").len(),
        1,
        "nothing written"
    );
}
