//! The tenant switcher: an address that is a member of several tenants
//! sees the others on its account page (names and hosts, each with its own
//! sign-in), never a tenant it does not belong to, and a tenant it was
//! removed from no more.

use crate::harness::{Client, TestApp, PASSWORD};
use crate::on_both_backends;
use axum::http::StatusCode;
use tenantry_app::features::account::api::MyAccount;
use tenantry_app::features::members::api::{AddMember, ListMembers, RemoveMember};

on_both_backends!(an_address_in_several_tenants_sees_the_others_and_only_those);

async fn add(owner: &mut Client, email: &str) {
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

async fn organisations(client: &mut Client) -> Vec<(String, String)> {
    let res = client.server_fn::<MyAccount>(&[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()["organisations"]
        .as_array()
        .expect("organisations")
        .iter()
        .map(|o| {
            (
                o["name"].as_str().expect("name").to_owned(),
                o["url"].as_str().expect("url").to_owned(),
            )
        })
        .collect()
}

async fn an_address_in_several_tenants_sees_the_others_and_only_those(app: TestApp) {
    for slug in ["acme", "bravo", "carol"] {
        app.tenant(slug).await;
    }
    let mut acme = app.owner_client("acme").await;
    let mut bravo = app.owner_client("bravo").await;
    add(&mut acme, "pat@shared.test").await;
    add(&mut bravo, "Pat@Shared.test").await;

    let mut pat = app.owner_client_as("acme", "pat@shared.test").await;
    let seen = organisations(&mut pat).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].1.contains("bravo."), "{seen:?}");
    // Bravo's owner is in bravo alone; carol knows no pat.
    assert!(organisations(&mut bravo).await.is_empty());

    // Removed from bravo: acme's switcher no longer lists it.
    let list = bravo.server_fn::<ListMembers>(&[]).await.json();
    let pat_in_bravo = list
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["email"] == "pat@shared.test")
        .and_then(|m| m["id"].as_str())
        .expect("pat in bravo")
        .to_owned();
    let res = bravo
        .server_fn::<RemoveMember>(&[("user_id", &pat_in_bravo)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(organisations(&mut pat).await.is_empty());
}
