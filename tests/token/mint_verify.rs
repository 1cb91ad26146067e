//! Minting, attenuating and verifying through the public API: mint → encode → decode → verify,
//! attenuation that narrows, the key ring and key rotation, expiry, and the verifier's own
//! configuration.

use std::borrow::Cow;

use caveat_token::caveat::TimeCaveat;
use caveat_token::hazmat as chain;
use caveat_token::{
    Caveat, Context, Identifier, InviteType, KeyRing, Limits, Persistence, RootKey, Subject, Token,
    TokenType, Verifier,
};

use crate::common::*;
use crate::fixtures::*;

// ---------------------------------------------------------------------------------------------
// Mint → encode → decode → verify
// ---------------------------------------------------------------------------------------------

#[test]
fn mint_encode_decode_verify_round_trip() {
    let identifiers = [
        identifier(),
        Identifier {
            location: Cow::Borrowed("onezone.example.org"),
            key_id: Some(Cow::Borrowed("2026-11")),
            token_id: Cow::Borrowed("x~y.z_0@1+2=3"),
            subject: Subject::Provider(Cow::Borrowed("p-9")),
            token_type: TokenType::Invite {
                invite_type: InviteType::SupportSpace,
                target: Cow::Borrowed("space-1"),
                params: Cow::Borrowed("size=100"),
            },
            persistence: Persistence::Named,
        },
        Identifier {
            token_type: TokenType::Access {
                session: Some(Cow::Borrowed("sess-42")),
            },
            persistence: Persistence::Temporary {
                generation: u64::MAX,
            },
            ..identifier()
        },
        Identifier {
            token_type: TokenType::Identity,
            ..identifier()
        },
    ];
    let key = key();
    let verifier = action_verifier();
    for id in &identifiers {
        // Every core kind the token type allows (identity tokens take no inviteType caveat).
        let kinds: Vec<Caveat> = all_kinds()
            .into_iter()
            .filter(|c| caveat_token::caveat::caveat_allowed(&id.token_type, c))
            .collect();
        assert!(kinds.len() >= 3);
        let token = Token::mint(&key, id, &kinds).expect("mint");
        assert_eq!(token.caveat_count(), kinds.len());

        // Text and binary forms decode to the very same bytes.
        let text = token.to_text();
        assert!(text.starts_with("cvt1_"), "{text}");
        let from_text = Token::from_text(&text, &Limits::default()).expect("from_text");
        assert_eq!(from_text.as_bytes(), token.as_bytes());
        assert_eq!(from_text.to_text(), text);
        let from_bytes = Token::from_bytes(token.as_bytes(), &Limits::default()).expect("bytes");
        assert_eq!(from_bytes.as_bytes(), token.as_bytes());

        // What it says about itself (unverified) is what was minted.
        assert_eq!(&from_text.untrusted_identifier().expect("identifier"), id);
        let cavs: Vec<Caveat> = from_text
            .untrusted_caveats()
            .collect::<Result<_, _>>()
            .expect("caveats");
        assert_eq!(cavs, kinds);

        // And it verifies, from text and from bytes.
        let ok = verifier
            .verify_text(&text, &key, &allowing_ctx())
            .expect("verifies");
        assert_eq!(&ok.identifier(), id);
        assert_eq!(ok.caveats(), kinds);
        assert_eq!(ok.expires(), Some(NOW + 3600));
        assert_eq!(ok.token().as_bytes(), token.as_bytes());
        verifier
            .verify(from_bytes, &key, &allowing_ctx())
            .expect("verifies from bytes");
    }
}

#[test]
fn attenuation_of_a_verified_token_verifies_and_narrows() {
    let key = key();
    let token = mint(&[Caveat::time(NOW + 100)]);
    let verifier = action_verifier();
    let ok = verifier
        .verify(token.clone(), &key, &allowing_ctx())
        .expect("ok");
    let narrowed = ok
        .token()
        .attenuate(&caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#))
        .expect("attenuate");
    assert_eq!(narrowed.caveat_count(), 2);
    verifier
        .verify(narrowed.clone(), &key, &allowing_ctx())
        .expect("still ok inside the whitelist");
    let err = verifier
        .verify(narrowed, &key, &allowing_ctx().with_ip(ip("11.0.0.1")))
        .expect_err("narrowed");
    assert_eq!(err.id(), "tokenCaveatUnverified");
    // The chain tags are the documented HMAC chain.
    let tags = chain::tags(
        &key,
        token.identifier_bytes(),
        token.caveat_bytes().collect::<Vec<_>>(),
    );
    assert!(token.tag().ct_eq(tags[tags.len() - 1].as_bytes()));
}

// ---------------------------------------------------------------------------------------------
// Key ring and rotation
// ---------------------------------------------------------------------------------------------

#[test]
fn key_ring_selects_by_key_id_and_rotation_removes_old_tokens() {
    let k1 = RootKey::from_bytes(b"key one").expect("k1");
    let k2 = RootKey::from_bytes(b"key two").expect("k2");
    let default = RootKey::from_bytes(b"default key").expect("default");
    let t1 = Token::mint(
        &k1,
        &identifier_with_key_id("k1"),
        &[Caveat::time(NOW + 10)],
    )
    .expect("mint");
    let t2 = Token::mint(
        &k2,
        &identifier_with_key_id("k2"),
        &[Caveat::time(NOW + 10)],
    )
    .expect("mint");
    let t0 = Token::mint(&default, &identifier(), &[Caveat::time(NOW + 10)]).expect("mint");
    // A token naming k2 but signed with k1.
    let mislabelled = Token::mint(&k1, &identifier_with_key_id("k2"), &[]).expect("mint");
    // A token naming a key id nobody has.
    let unknown_id = Token::mint(&k1, &identifier_with_key_id("k9"), &[]).expect("mint");

    let mut ring = KeyRing::new();
    ring.insert("k1", k1.clone());
    ring.insert("k2", k2.clone());
    let v = Verifier::new();
    let ctx = Context::at(NOW);
    v.verify(t1.clone(), &ring, &ctx).expect("k1");
    v.verify(t2.clone(), &ring, &ctx).expect("k2");
    assert_eq!(
        err_id(v.verify(t0.clone(), &ring, &ctx)),
        "tokenInvalid",
        "no default"
    );
    assert_eq!(
        err_id(v.verify(mislabelled.clone(), &ring, &ctx)),
        "tokenInvalid"
    );
    assert_eq!(
        err_id(v.verify(unknown_id.clone(), &ring, &ctx)),
        "tokenInvalid"
    );

    ring.set_default(default);
    v.verify(t0, &ring, &ctx).expect("default key");

    // Rotation: k1 is retired.
    assert!(ring.remove("k1"));
    assert!(!ring.remove("k1"));
    assert_eq!(err_id(v.verify(t1.clone(), &ring, &ctx)), "tokenInvalid");
    v.verify(t2, &ring, &ctx).expect("k2 still valid");
    let mut ids: Vec<&str> = ring.key_ids().collect();
    ids.sort_unstable();
    assert_eq!(ids, vec!["k2"]);

    // A key ring whose k1 entry holds a different key: tokenInvalid, not a caveat error.
    ring.insert("k1", k2.clone());
    let expired_ctx = Context::at(NOW + 100);
    assert_eq!(err_id(v.verify(t1, &ring, &expired_ctx)), "tokenInvalid");

    // A single RootKey as key source ignores the key id: the MAC decides.
    v.verify(unknown_id, &k1, &ctx).expect("single key");
    assert_eq!(
        err_id(v.verify(mislabelled.clone(), &k2, &ctx)),
        "tokenInvalid"
    );
    v.verify(mislabelled, &k1, &ctx).expect("signed with k1");
}

// ---------------------------------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------------------------------

#[test]
fn expiry_is_the_minimum_over_time_caveats() {
    let key = key();
    let v = Verifier::new();
    let ctx = Context::at(NOW).with_ip(ip("10.0.0.1"));
    let ipc = caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#);
    let cases: &[(&[u64], Option<u64>)] = &[
        (&[], None),
        (&[NOW + 5], Some(NOW + 5)),
        (&[NOW + 300, NOW + 200, NOW + 400], Some(NOW + 200)),
        (&[NOW + 200, NOW + 200], Some(NOW + 200)),
        (&[u64::MAX, NOW + 1], Some(NOW + 1)),
    ];
    for (times, expected) in cases {
        let mut cavs: Vec<Caveat> = times.iter().map(|&t| Caveat::time(t)).collect();
        cavs.insert(cavs.len() / 2, ipc.clone());
        let ok = v.verify(mint(&cavs), &key, &ctx).expect("valid");
        assert_eq!(ok.expires(), *expected, "{times:?}");
    }
    // Expiry does not include the leeway; the leeway only widens the check.
    let token = mint(&[Caveat::time(NOW)]);
    let ok = Verifier::new()
        .with_leeway(30)
        .verify(token.clone(), &key, &Context::at(NOW + 29))
        .expect("within leeway");
    assert_eq!(ok.expires(), Some(NOW));
    assert_eq!(
        err_id(
            Verifier::new()
                .with_leeway(30)
                .verify(token, &key, &Context::at(NOW + 30))
        ),
        "tokenCaveatUnverified"
    );
    // The typed caveat agrees.
    let t = TimeCaveat::new(NOW);
    assert!(t.holds(NOW - 1, 0) && !t.holds(NOW, 0) && t.holds(NOW, 1));
}

/// A verifier's `Debug` shows its configuration (limits, leeway, predicate names, which sources
/// are set), never the predicates or sources themselves.
#[test]
fn verifier_debug_shows_the_configuration() {
    let verifier = caveat_token::Verifier::new()
        .with_leeway(7)
        .with_predicate("example.com/action", |v, _| v == "read");
    let shown = format!("{verifier:?}");
    assert!(shown.starts_with("Verifier {"), "{shown}");
    for part in [
        "leeway: 7",
        "max_caveats: 256",
        "predicates: [\"example.com/action\"]",
        "allow_data_access_caveats: false",
        "revocation_source: false",
    ] {
        assert!(shown.contains(part), "{part} in {shown}");
    }
}

/// `Verifier::limits` gives back the limits it was configured with.
#[test]
fn verifier_limits_are_the_configured_ones() {
    let limits = Limits {
        max_token_bytes: 1000,
        max_caveats: 3,
        max_caveat_bytes: 100,
        max_identifier_bytes: 200,
    };
    let verifier = caveat_token::Verifier::new().with_limits(limits);
    assert_eq!(verifier.limits(), &limits);
    assert_eq!(caveat_token::Verifier::new().limits(), &Limits::default());
}
