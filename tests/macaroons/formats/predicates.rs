//! Predicate clearing (typed, exact and general satisfiers) and the minting rules of the
//! libmacaroons formats.

use super::*;

#[test]
fn predicates_typed_exact_and_general() {
    let key = readme_key();
    let token = Token::mint_macaroon(Format::MacaroonV2, &key, "", b"id", &[])
        .expect("mint")
        .attenuate(&Caveat::time(100))
        .expect("time")
        .attenuate_raw(b"time < 0100")
        .expect("non-canonical time")
        .attenuate_raw(b"example.com/user = bob")
        .expect("app form");
    let v = Verifier::new().satisfy_exact("time < 0100");
    // The canonical time caveat is checked by its meaning.
    let e = v
        .verify_macaroon(token.clone(), &[], &key, &Context::at(100))
        .expect_err("expired");
    assert_eq!(e.id(), "tokenCaveatUnverified");
    assert_eq!(e.details()["index"], 0);
    // An app-form predicate without an app predicate is unknown...
    let e = v
        .verify_macaroon(token.clone(), &[], &key, &Context::at(99))
        .expect_err("unknown");
    assert_eq!(
        (e.id(), e.details()["index"].as_u64()),
        ("tokenCaveatUnknown", Some(2))
    );
    // ...unless an app predicate, an exact or a general satisfier takes it.
    for verifier in [
        v.clone()
            .with_predicate("example.com/user", |value, _| value == "bob"),
        v.clone().satisfy_exact("example.com/user = bob"),
        v.clone().satisfy_general(|p, _| p.ends_with("= bob")),
    ] {
        let ok = verifier
            .verify_macaroon(token.clone(), &[], &key, &Context::at(99))
            .expect("holds");
        assert_eq!(ok.expires(), Some(100));
    }
    // An app predicate that says no is final.
    let e = v
        .clone()
        .with_predicate("example.com/user", |value, _| value == "alice")
        .satisfy_general(|_, _| true)
        .verify_macaroon(token, &[], &key, &Context::at(99))
        .expect_err("no");
    assert_eq!(e.id(), "tokenCaveatUnverified");
    // A predicate that is not UTF-8 is unknown, shown as hex.
    let binary = Token::mint_macaroon(Format::MacaroonV2, &key, "", b"id", &[])
        .expect("mint")
        .attenuate_raw(&[0xff, 0xfe])
        .expect("raw");
    let e = Verifier::new()
        .satisfy_general(|_, _| true)
        .verify_macaroon(binary, &[], &key, &Context::at(0))
        .expect_err("binary");
    assert_eq!(e.details()["caveat"], "fffe");
}

#[test]
fn minting_rules() {
    let key = readme_key();
    assert_eq!(
        err_id(Token::mint_macaroon(Format::Native, &key, "", b"id", &[])),
        "badValueIdentifier"
    );
    assert_eq!(
        err_id(Token::mint_macaroon(Format::MacaroonV2, &key, "", b"", &[])),
        "badValueIdentifier"
    );
    let id = Identifier {
        location: "example.org".into(),
        key_id: None,
        token_id: "t1".into(),
        subject: Subject::parse("usr-alice").expect("subject"),
        token_type: TokenType::Access { session: None },
        persistence: Persistence::Named,
    };
    for format in Format::MACAROON {
        assert_eq!(
            err_id(Token::mint_as(*format, &key, &id, &[])),
            "badValueIdentifier"
        );
        assert_eq!(
            err_id(
                Token::mint_macaroon(*format, &key, "", b"id", &[])
                    .expect("mint")
                    .attenuate_raw(b"")
            ),
            "badValueCaveat"
        );
        assert_eq!(Format::from_name(format.name()), Some(*format));
    }
    // A V1 packet holds at most 65,535 bytes.
    let long = vec![b'x'; 70_000];
    assert_eq!(
        err_id(Token::mint_macaroon(
            Format::MacaroonV1,
            &key,
            "",
            &long,
            &[]
        )),
        "badValueIdentifier"
    );
    let t = Token::mint_macaroon(Format::MacaroonV1, &key, "", b"id", &[]).expect("mint");
    assert_eq!(err_id(t.attenuate_raw(&long)), "badValueCaveat");
    // Non-UTF-8 identifiers travel as i64 in V2J.
    let t = Token::mint_macaroon(Format::MacaroonV2J, &key, "", &[0xff, 0], &[]).expect("mint");
    assert!(t.to_text().contains("\"i64\":\"_wA\""), "{}", t.to_text());
    let back = Token::from_macaroon_text(&t.to_text(), &limits()).expect("back");
    assert_eq!(back.identifier_bytes(), &[0xff, 0]);
}
