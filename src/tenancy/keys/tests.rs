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
                    cipher::Key::from_bytes(&cipher::random_key().expect("key")).expect("key"),
                )
            })
            .collect(),
        made: generations
            .iter()
            .map(|(g, age)| (*g, now - chrono::Duration::seconds(*age)))
            .collect(),
        settle: chrono::Duration::seconds(120),
        legacy_sealer: None,
        index_key: Some(ring::hmac::Key::new(
            ring::hmac::HMAC_SHA256,
            &cipher::random_key().expect("key"),
        )),
    }
}

#[test]
fn a_blind_index_is_equal_for_equal_addresses_of_one_tenant_only() {
    use personal::{INVITATION_EMAIL, USER_EMAIL};
    let alpha = keys_of(TenantId::new(), &[(1, 0)]);
    let bravo = keys_of(TenantId::new(), &[(1, 0)]);
    let index = |keys: &TenantKeys, column, value| keys.blind_index(column, value).expect("index");
    let kim = index(&alpha, &USER_EMAIL, "kim@example.test");
    assert!(kim.starts_with("bi1.") && !kim.contains("kim"));
    assert_eq!(kim, index(&alpha, &USER_EMAIL, " Kim@Example.TEST "));
    assert_ne!(kim, index(&alpha, &USER_EMAIL, "kim@example.test2"));
    assert_ne!(kim, index(&alpha, &INVITATION_EMAIL, "kim@example.test"));
    assert_ne!(kim, index(&bravo, &USER_EMAIL, "kim@example.test"));
    let no_key = TenantKeys {
        index_key: None,
        ..keys_of(TenantId::new(), &[(1, 0)])
    };
    assert!(no_key.blind_index(&USER_EMAIL, "kim@example.test").is_err());
}

#[test]
fn the_settings_name_exactly_the_personal_columns_there_are() {
    let named: Vec<&str> = personal::PERSONAL_COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(named, crate::config::PERSONAL_DATA_COLUMNS);
    for column in personal::PERSONAL_COLUMNS {
        assert!(column.personal && SEALED_COLUMNS.contains(column));
        assert_eq!(column.name, format!("{}.{}", column.table, column.column));
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
        keys: [(1, cipher::Key::from_bytes(&[7u8; 32]).expect("key"))].into(),
        made: [(1, chrono::Utc::now())].into(),
        settle: chrono::Duration::seconds(120),
        legacy_sealer: None,
        index_key: None,
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

#[test]
fn a_factor_secret_sealed_with_secret_key_opens_as_hex() {
    let settings = crate::config::Settings::from_pairs(&[(
        "secret_key",
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    )])
    .expect("settings");
    let sealer = crate::seal::Sealer::from_settings(&settings).expect("sealer");
    let keys = TenantKeys {
        legacy_sealer: Some(Arc::new(sealer)),
        ..keys_of(TenantId::new(), &[(1, 0)])
    };
    let raw = [0u8, 159, 255, 7];
    let legacy = keys
        .legacy_sealer
        .as_ref()
        .expect("sealer")
        .seal(&raw)
        .expect("seal");
    assert_eq!(
        keys.open_column(&MEMBER_FACTOR_SECRET, &legacy)
            .expect("open"),
        "009fff07"
    );
    let resealed = keys
        .seal(MEMBER_FACTOR_SECRET.name, "009fff07")
        .expect("seal");
    assert_eq!(
        keys.open_column(&MEMBER_FACTOR_SECRET, &resealed)
            .expect("open"),
        "009fff07"
    );
}

#[test]
fn only_a_sealed_text_reads_as_one() {
    let keys = keys_of(TenantId::new(), &[(1, 0)]);
    let sealed = keys.seal("users.display_name", "").expect("seal");
    assert!(is_sealed_text(&sealed), "{sealed}");
    for plain in [
        "tk1.2.bob@example.com",
        "tk1.1.AAAA",
        "tk1.x.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "tk1.1.AAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA",
        "Kim Lee",
    ] {
        assert!(!is_sealed_text(plain), "{plain}");
    }
}
