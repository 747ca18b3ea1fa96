use super::*;

fn sealer() -> Sealer {
    let settings = crate::config::Settings::from_pairs(&[(
        "secret_key",
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    )])
    .expect("settings");
    Sealer::from_settings(&settings).expect("sealer")
}

fn stored(sealer: &Sealer, secret: &[u8], last_step: Option<i64>, codes: &str) -> Stored {
    Stored {
        secret_sealed: sealer.seal(secret).expect("seal"),
        last_step,
        recovery_codes: codes.to_owned(),
        enrolled_at: chrono::Utc::now(),
    }
}

#[test]
fn the_rfc_6238_sha1_vectors_hold() {
    // RFC 6238 appendix B, SHA-1, 8 digits there; these are the last six.
    let secret = b"12345678901234567890";
    assert_eq!(code_at(secret, 59).expect("code"), "287082");
    assert_eq!(code_at(secret, 1_111_111_109).expect("code"), "081804");
    assert_eq!(code_at(secret, 2_000_000_000).expect("code"), "279037");
}

#[test]
fn a_code_is_right_for_its_step_and_the_ones_beside_it_only() {
    let secret = new_secret();
    let t = 1_700_000_000u64;
    let code = code_at(&secret, t).expect("code");
    let step = (t / STEP_SECS) as i64;
    assert_eq!(step_of(&secret, &code, t).expect("check"), Some(step));
    assert_eq!(
        step_of(&secret, &code, t + STEP_SECS).expect("check"),
        Some(step)
    );
    assert_eq!(
        step_of(&secret, &code, t + 3 * STEP_SECS).expect("check"),
        None
    );
    assert_eq!(step_of(&secret, "12345", t).expect("check"), None);
    assert_eq!(step_of(&secret, "abcdef", t).expect("check"), None);
}

#[test]
fn a_code_is_not_accepted_for_a_step_already_used() {
    let sealer = sealer();
    let secret = new_secret();
    let now = unix_now();
    let code = code_at(&secret, now).expect("code");
    let step = (now / STEP_SECS) as i64;
    let fresh = stored(&sealer, &secret, Some(step - 5), "[]");
    assert_eq!(
        prove(|s| sealer.open(s), &fresh, &code).expect("prove"),
        Some(Proof::Code { step })
    );
    let used = stored(&sealer, &secret, Some(step), "[]");
    assert_eq!(
        prove(|s| sealer.open(s), &used, &code).expect("prove"),
        None
    );
}

#[test]
fn a_recovery_code_works_once_typed_any_way() {
    let sealer = sealer();
    let (codes, digests) = recovery_codes();
    assert_eq!(codes.len(), RECOVERY_CODES);
    let row = stored(&sealer, &new_secret(), None, &digests);
    assert_eq!(row.recovery_left(), RECOVERY_CODES);
    let typed = codes[3].to_uppercase().replace('-', " ");
    let Some(Proof::Recovery { remaining }) =
        prove(|s| sealer.open(s), &row, &typed).expect("prove")
    else {
        panic!("a recovery code was refused");
    };
    let after = stored(&sealer, &new_secret(), None, &remaining);
    assert_eq!(after.recovery_left(), RECOVERY_CODES - 1);
    assert_eq!(
        prove(|s| sealer.open(s), &after, &codes[3]).expect("prove"),
        None
    );
    assert!(prove(|s| sealer.open(s), &after, &codes[4])
        .expect("prove")
        .is_some());
    assert_eq!(
        prove(|s| sealer.open(s), &after, "aaaaa-aaaaa").expect("prove"),
        None
    );
}

#[test]
fn an_enrolment_ticket_is_only_good_for_whom_it_was_made() {
    let sealer = sealer();
    let me = uuid::Uuid::new_v4();
    let started = Enrolment::begin(&sealer, me, "Acme Ltd", "ann@acme.test").expect("begin");
    assert!(started
        .uri
        .starts_with("otpauth://totp/Acme%20Ltd%3Aann%40acme.test?secret="));
    assert!(started.qr_svg.starts_with("<svg"));
    let base32 = started.secret.replace(' ', "");
    let secret = totp_rs::Secret::Encoded(base32).to_bytes().expect("base32");
    let code = code_at(&secret, unix_now()).expect("code");
    let someone_else = Ticket::prove(&sealer, &started.ticket, uuid::Uuid::new_v4(), &code);
    assert_eq!(someone_else.err().map(|e| e.field()), Some(Some("ticket")));
    let wrong = Ticket::prove(&sealer, &started.ticket, me, "000000");
    assert!(wrong.is_err());
    let proven = Ticket::prove(&sealer, &started.ticket, me, &code).expect("proven");
    assert_eq!(proven.secret, secret);
}
