use super::*;

fn keys_of(tenant: TenantId, generations: &[(i32, i64)]) -> TenantKeys {
    let now = chrono::Utc::now();
    TenantKeys {
        tenant,
        keys: generations
            .iter()
            .map(|(g, _)| {
                (
                    *g,
                    aead::Key::from_bytes(&aead::random_key().expect("key")).expect("key"),
                )
            })
            .collect(),
        made: generations
            .iter()
            .map(|(g, age)| (*g, now - chrono::Duration::seconds(*age)))
            .collect(),
        settle: chrono::Duration::seconds(120),
        legacy_sealer: None,
    }
}

#[test]
fn a_sealed_value_opens_only_for_its_column() {
    let alpha = keys_of(TenantId::new(), &[(1, 0)]);
    let sealed = alpha
        .seal("webhook_endpoints.secret", "whsec_alpha")
        .expect("seal");
    assert!(sealed.starts_with("tk1.1.") && !sealed.contains("whsec_alpha"));
    assert_eq!(
        alpha
            .open("webhook_endpoints.secret", &sealed)
            .expect("open"),
        "whsec_alpha"
    );
    assert!(
        alpha.open("sso_configs.client_secret", &sealed).is_err(),
        "another column"
    );
    assert!(is_sealed_text(&sealed) && !is_sealed_text("whsec_plain"));
}

#[test]
fn the_same_key_bytes_under_another_tenant_do_not_open() {
    let make = |tenant| TenantKeys {
        tenant,
        keys: [(1, aead::Key::from_bytes(&[7u8; 32]).expect("key"))].into(),
        made: [(1, chrono::Utc::now())].into(),
        settle: chrono::Duration::seconds(120),
        legacy_sealer: None,
    };
    let (alpha, beta) = (make(TenantId::new()), make(TenantId::new()));
    let sealed = alpha.seal("users.email", "ann@example.com").expect("seal");
    assert_eq!(
        alpha.open("users.email", &sealed).expect("open"),
        "ann@example.com"
    );
    assert!(beta.open("users.email", &sealed).is_err());
}

#[test]
fn a_new_generation_seals_only_once_every_instance_knows_it() {
    let tenant = TenantId::new();
    // Generation 2 made a moment ago: still generation 1 seals.
    let fresh = keys_of(tenant, &[(1, 3600), (2, 5)]);
    assert_eq!(fresh.sealing(), 1);
    let settled = keys_of(tenant, &[(1, 3600), (2, 600)]);
    assert_eq!(settled.sealing(), 2);
    // A new tenant's only key seals at once.
    assert_eq!(keys_of(tenant, &[(1, 0)]).sealing(), 1);
    let old = fresh.seal("x", "v").expect("seal");
    assert!(fresh.is_current_text(&old));
    assert!(!settled.is_current_text("tk1.1.AAAA"));
}

#[test]
fn objects_are_sealed_with_a_header_and_legacy_bytes_pass_through() {
    let keys = keys_of(TenantId::new(), &[(1, 0)]);
    let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
    let sealed = keys.seal_bytes("branding/logo.png", &png).expect("seal");
    assert!(sealed.starts_with(b"TKO1") && keys.is_current_object(&sealed));
    assert_eq!(
        keys.open_bytes("branding/logo.png", &sealed).expect("open"),
        png
    );
    assert!(keys.open_bytes("branding/favicon.png", &sealed).is_err());
    assert_eq!(
        keys.open_bytes("branding/logo.png", &png).expect("legacy"),
        png
    );
    assert!(!keys.is_current_object(&png));
}
