//! The core engine's behaviour through the public API (issue 2, "Done when"): caveat round trips,
//! mint → encode → decode → verify, tampering, caveat failures naming the caveat, unknown caveats,
//! application predicates, size and trailing-byte errors, signature-first ordering, key rotation,
//! the error JSON shape, expiry, and the secrecy of keys.

use std::borrow::Cow;

use caveat_token::caveat::{AppCaveat, TimeCaveat};
use caveat_token::chain::{self, Tag};
use caveat_token::error::{CaveatRef, ERROR_IDS};
use caveat_token::{
    Caveat, Context, Error, Identifier, InviteType, KeyRing, Limits, Persistence, RootKey, Subject,
    Token, TokenType, Verifier,
};
use serde_json::{json, Value};

use crate::common::*;

// ---------------------------------------------------------------------------------------------
// Caveat round trips
// ---------------------------------------------------------------------------------------------

/// One JSON example per caveat kind (and a few shapes of each), with the JSON the caveat writes
/// back (bare addresses gain their prefix length).
const CAVEAT_EXAMPLES: &[(&str, &str)] = &[
    (
        r#"{"type":"time","validUntil":1571147494}"#,
        r#"{"type":"time","validUntil":1571147494}"#,
    ),
    (
        r#"{"type":"time","validUntil":0}"#,
        r#"{"type":"time","validUntil":0}"#,
    ),
    (
        r#"{"type":"time","validUntil":18446744073709551615}"#,
        r#"{"type":"time","validUntil":18446744073709551615}"#,
    ),
    (
        r#"{"type":"ip","whitelist":["189.34.15.0/8","167.73.12.17"]}"#,
        r#"{"type":"ip","whitelist":["189.34.15.0/8","167.73.12.17/32"]}"#,
    ),
    (
        r#"{"type":"ip","whitelist":["2001:db8::/32","::1","0.0.0.0/0","::/0"]}"#,
        r#"{"type":"ip","whitelist":["2001:db8::/32","::1/128","0.0.0.0/0","::/0"]}"#,
    ),
    (
        r#"{"type":"inviteType","whitelist":["userJoinCluster"]}"#,
        r#"{"type":"inviteType","whitelist":["userJoinCluster"]}"#,
    ),
    (
        r#"{"type":"inviteType","whitelist":["groupJoinAtmInventory","userJoinGroup","supportSpace"]}"#,
        r#"{"type":"inviteType","whitelist":["groupJoinAtmInventory","userJoinGroup","supportSpace"]}"#,
    ),
    (
        r#"{"type":"app","name":"example.com/action","value":"read"}"#,
        r#"{"type":"app","name":"example.com/action","value":"read"}"#,
    ),
    (
        r#"{"type":"app","name":"a.b-c_d/e","value":""}"#,
        r#"{"type":"app","name":"a.b-c_d/e","value":""}"#,
    ),
];

#[test]
fn every_caveat_kind_round_trips_json_native_and_text() {
    let mut kinds = std::collections::BTreeSet::new();
    for (input, written) in CAVEAT_EXAMPLES {
        let c = caveat(input);
        kinds.insert(c.type_name());

        // JSON: the written form is the expected one, and parses back to the same caveat.
        let expected: Value = serde_json::from_str(written).expect("expected JSON");
        assert_eq!(c.to_json(), expected, "{input}");
        assert_eq!(Caveat::from_json(&c.to_json()).expect("reparse"), c);

        // Text form (and Display) parse back to the same caveat.
        let text = c.to_text();
        assert_eq!(c.to_string(), text);
        assert_eq!(Caveat::from_text(&text).expect(&text), c, "{text}");

        // Native bytes: attenuating writes exactly `to_native()`, and decoding the token gives
        // back the same caveat, whether it was appended typed or raw.
        let native = c.to_native();
        let typed = mint(&[]).attenuate(&c).expect("attenuate");
        let raw = mint(&[]).attenuate_raw(&native).expect("attenuate_raw");
        assert_eq!(typed.as_bytes(), raw.as_bytes());
        let decoded = Token::from_bytes(typed.as_bytes(), &Limits::default()).expect("decode");
        let bytes: Vec<&[u8]> = decoded.caveat_bytes().collect();
        assert_eq!(bytes, vec![native.as_slice()]);
        let back: Vec<Caveat> = decoded
            .untrusted_caveats()
            .collect::<Result<_, _>>()
            .expect("caveats decode");
        assert_eq!(back, vec![c.clone()]);
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        vec!["app", "inviteType", "ip", "time"],
        "every kind is covered"
    );
}

#[test]
fn text_forms_are_the_documented_ones() {
    assert_eq!(Caveat::time(8_374_891_234).to_text(), "time < 8374891234");
    assert_eq!(
        caveat(r#"{"type":"ip","whitelist":["189.34.15.0/8","167.73.12.17"]}"#).to_text(),
        "ip = 189.34.15.0/8|167.73.12.17/32"
    );
    assert_eq!(
        caveat(r#"{"type":"inviteType","whitelist":["userJoinCluster","supportSpace"]}"#).to_text(),
        "inviteType = userJoinCluster|supportSpace"
    );
    assert_eq!(
        caveat(r#"{"type":"app","name":"example.com/action","value":"read"}"#).to_text(),
        "example.com/action = read"
    );
}

#[test]
fn bad_caveat_json_names_the_wrong_key() {
    let cases: &[(&str, &str)] = &[
        ("not json", "caveat"),
        ("[1,2]", "caveat"),
        (r#"{"validUntil":1}"#, "type"),
        (r#"{"type":7}"#, "type"),
        (r#"{"type":"nope"}"#, "type"),
        (r#"{"type":"time"}"#, "validUntil"),
        (r#"{"type":"time","validUntil":"1"}"#, "validUntil"),
        (r#"{"type":"time","validUntil":-1}"#, "validUntil"),
        (r#"{"type":"time","validUntil":1.5}"#, "validUntil"),
        (r#"{"type":"time","validUntil":1,"extra":true}"#, "extra"),
        (r#"{"type":"ip"}"#, "whitelist"),
        (r#"{"type":"ip","whitelist":"10.0.0.0/8"}"#, "whitelist"),
        (r#"{"type":"ip","whitelist":[]}"#, "whitelist"),
        (r#"{"type":"ip","whitelist":[10]}"#, "whitelist"),
        (r#"{"type":"ip","whitelist":["10.0.0.0/33"]}"#, "whitelist"),
        (r#"{"type":"inviteType","whitelist":["nope"]}"#, "whitelist"),
        (
            r#"{"type":"inviteType","whitelist":["userJoinGroup","userJoinGroup"]}"#,
            "whitelist",
        ),
        (r#"{"type":"app","name":"noslash","value":"x"}"#, "name"),
        (r#"{"type":"app","name":"Upper/case","value":"x"}"#, "name"),
        (r#"{"type":"app","name":"a/b","value":"\u0007"}"#, "value"),
        (r#"{"type":"app","name":"a/b"}"#, "value"),
        // Repeated keys: serde_json would keep the last silently, a reader that keeps the
        // first would see another caveat. Both must refuse.
        (
            r#"{"type":"time","validUntil":1,"validUntil":2}"#,
            "validUntil",
        ),
        (r#"{"type":"time","type":"ip","validUntil":1}"#, "type"),
        (
            r#"{"type":"ip","whitelist":["10.0.0.0/8"],"whitelist":["0.0.0.0/0"]}"#,
            "whitelist",
        ),
    ];
    for (input, key) in cases {
        let err = Caveat::from_json_str(input).expect_err(input);
        assert_eq!(err.id(), "badValueCaveat", "{input}");
        assert_eq!(err.details()["key"], json!(key), "{input}: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Mint → encode → decode → verify
// ---------------------------------------------------------------------------------------------

fn all_kinds() -> Vec<Caveat> {
    vec![
        Caveat::time(NOW + 3600),
        caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8","2001:db8::/32"]}"#),
        caveat(r#"{"type":"inviteType","whitelist":["userJoinCluster","userJoinSpace"]}"#),
        caveat(r#"{"type":"app","name":"example.com/action","value":"read"}"#),
    ]
}

fn allowing_ctx() -> Context {
    Context::at(NOW)
        .with_ip(ip("10.1.2.3"))
        .with_invite_type(InviteType::UserJoinCluster)
        .with_attribute("example.com/action", "read")
}

fn action_verifier() -> Verifier {
    Verifier::new().with_predicate("example.com/action", |value, ctx| {
        ctx.attribute("example.com/action") == Some(value)
    })
}

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
            .filter(|c| caveat_token::verify::caveat_allowed(&id.token_type, c))
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
// Tampering → tokenInvalid
// ---------------------------------------------------------------------------------------------

fn tamper_base() -> Token {
    mint(&all_kinds())
}

#[test]
fn any_single_bit_flip_is_rejected_and_content_flips_are_token_invalid() {
    let token = tamper_base();
    let lay = layout(&token);
    let bytes = token.as_bytes();
    let ctx = allowing_ctx();
    let verifier = action_verifier();
    let key = key();
    // Sanity: unmodified it verifies.
    verifier
        .verify(
            Token::from_bytes(bytes, &Limits::default()).expect("decode"),
            &key,
            &ctx,
        )
        .expect("unmodified verifies");
    let mut content_flips = 0;
    for offset in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.to_vec();
            b[offset] ^= 1 << bit;
            let res = Token::from_bytes(&b, &Limits::default())
                .and_then(|t| verifier.verify(t, &key, &ctx));
            let id = err_id(res);
            if lay.in_caveat_or_tag(offset) {
                // Caveat content is not decoded before the signature check, and the tag is just
                // bytes: these flips always decode, and always fail the chain.
                assert_eq!(id, "tokenInvalid", "offset {offset} bit {bit}");
                content_flips += 1;
            } else {
                // Structure and identifier flips may fail decoding instead; never anything else.
                assert!(
                    id == "badToken" || id == "tokenInvalid",
                    "offset {offset} bit {bit}: {id}"
                );
            }
        }
    }
    assert!(content_flips > 8 * 32);
}

#[test]
fn text_character_substitutions_are_rejected() {
    let token = tamper_base();
    let text = token.to_text();
    let verifier = action_verifier();
    let key = key();
    for (i, ch) in text.char_indices().skip("cvt1_".len()) {
        let replacement = if ch == 'A' { 'B' } else { 'A' };
        let mut t = text.clone();
        t.replace_range(i..i + 1, &replacement.to_string());
        let id = err_id(verifier.verify_text(&t, &key, &allowing_ctx()));
        assert!(id == "badToken" || id == "tokenInvalid", "char {i}: {id}");
    }
}

#[test]
fn removed_reordered_duplicated_or_unmaced_caveats_are_token_invalid() {
    let token = tamper_base();
    let (id, cavs, tag) = parts(&token);
    assert_eq!(cavs.len(), 4);
    let ctx = allowing_ctx();
    let verifier = action_verifier();
    let key = key();
    let check = |name: &str, caveats: Vec<Vec<u8>>, tag: &[u8]| {
        let bytes = envelope(&id, &caveats, tag);
        let t = Token::from_bytes(&bytes, &Limits::default()).expect("well-formed");
        let err = verifier.verify(t, &key, &ctx).expect_err(name);
        assert_eq!(err, Error::TokenInvalid, "{name}");
    };
    // The hand-built envelope with the parts unchanged verifies (so the builder is right).
    let same = Token::from_bytes(&envelope(&id, &cavs, &tag), &Limits::default()).expect("ok");
    verifier.verify(same, &key, &ctx).expect("unchanged parts");

    for i in 0..cavs.len() {
        let mut removed = cavs.clone();
        removed.remove(i);
        check(&format!("remove {i}"), removed, &tag);

        let mut dup = cavs.clone();
        dup.insert(i, cavs[i].clone());
        check(&format!("duplicate {i}"), dup, &tag);
    }
    for i in 0..cavs.len() {
        for j in i + 1..cavs.len() {
            let mut swapped = cavs.clone();
            swapped.swap(i, j);
            check(&format!("swap {i} {j}"), swapped, &tag);
        }
    }
    let mut reversed = cavs.clone();
    reversed.reverse();
    check("reverse", reversed, &tag);
    check("all removed", vec![], &tag);

    // Appended without MAC: a caveat that would pass (and one that would fail) added after
    // the last one, the tag left as it was.
    for extra in [
        Caveat::time(u64::MAX).to_native(),
        Caveat::time(0).to_native(),
    ] {
        let mut appended = cavs.clone();
        appended.push(extra);
        check("appended without MAC", appended, &tag);
    }
    // Appended with a MAC computed from the wrong previous tag (the first one).
    let tags = chain::tags(&key, &id, cavs.iter().map(Vec::as_slice));
    let wrong = chain::step(&tags[0], &Caveat::time(u64::MAX).to_native());
    let mut appended = cavs.clone();
    appended.push(Caveat::time(u64::MAX).to_native());
    check(
        "appended with a MAC over the wrong tag",
        appended.clone(),
        wrong.as_bytes(),
    );
    // …and with the right one it is a valid attenuation (the chain really is the check).
    let right = chain::step(&tags[4], &Caveat::time(u64::MAX).to_native());
    let t = Token::from_bytes(
        &envelope(&id, &appended, right.as_bytes()),
        &Limits::default(),
    )
    .expect("decode");
    verifier.verify(t, &key, &ctx).expect("properly appended");
}

#[test]
fn replaced_identifier_is_token_invalid() {
    let token = tamper_base();
    let (_, cavs, tag) = parts(&token);
    let other_ids = [
        Identifier {
            subject: Subject::User(Cow::Borrowed("mallory")),
            ..identifier()
        },
        Identifier {
            location: Cow::Borrowed("evil.example.com"),
            ..identifier()
        },
        Identifier {
            persistence: Persistence::Named,
            ..identifier()
        },
    ];
    for other in &other_ids {
        // Take a genuine identifier encoding from a token minted with another key.
        let donor = Token::mint(&other_key(), other, &[]).expect("mint");
        let bytes = envelope(donor.identifier_bytes(), &cavs, &tag);
        let err = verify_default(&bytes, &allowing_ctx()).expect_err("swapped identifier");
        assert_eq!(err.id(), "tokenInvalid");
    }
}

// ---------------------------------------------------------------------------------------------
// Caveat failures name the caveat
// ---------------------------------------------------------------------------------------------

/// Asserts `err` is `tokenCaveatUnverified` naming caveat `index` with JSON `caveat`.
fn assert_unverified(err: &Error, index: usize, caveat: &Caveat) {
    assert_eq!(err.id(), "tokenCaveatUnverified", "{err}");
    let details = err.details();
    assert_eq!(details["index"], json!(index), "{err}");
    assert_eq!(details["caveat"], caveat.to_json(), "{err}");
    assert_eq!(err.to_json()["error"]["details"], details);
    assert!(err.to_string().contains(&format!("#{index}")), "{err}");
}

#[test]
fn expired_token_is_caveat_unverified_naming_the_caveat() {
    let cavs = all_kinds();
    let token = mint(&cavs);
    let verifier = action_verifier();
    let key = key();
    for now in [NOW + 3600, NOW + 3601, u64::MAX] {
        let ctx = Context {
            now,
            ..allowing_ctx()
        };
        let err = verifier
            .verify(token.clone(), &key, &ctx)
            .expect_err("expired");
        assert_unverified(&err, 0, &cavs[0]);
    }
    verifier
        .verify(
            token,
            &key,
            &Context {
                now: NOW + 3599,
                ..allowing_ctx()
            },
        )
        .expect("one second before");
}

#[test]
fn wrong_or_missing_ip_is_caveat_unverified() {
    let cavs = all_kinds();
    let token = mint(&cavs);
    let verifier = action_verifier();
    let key = key();
    let denied = [
        Some("11.0.0.1"),         // v4 outside
        Some("9.255.255.255"),    // v4 just below
        Some("2001:db9::1"),      // v6 outside
        Some("::ffff:11.0.0.1"),  // IPv4-mapped v6 outside
        Some("::ffff:192.0.2.1"), // IPv4-mapped v6 outside
        Some("::10.1.2.3"),       // IPv4-compatible (deprecated) is not mapped
        Some("64:ff9b::a01:203"), // NAT64 of 10.1.2.3 is not mapped either
        None,                     // unknown client: fails closed
    ];
    for client in denied {
        let mut ctx = allowing_ctx();
        ctx.ip = client.map(ip);
        let err = verifier
            .verify(token.clone(), &key, &ctx)
            .expect_err(&format!("{client:?}"));
        assert_unverified(&err, 1, &cavs[1]);
    }
    for client in [
        "10.1.2.3",
        "10.255.255.255",
        "::ffff:10.1.2.3",
        "2001:db8::1",
    ] {
        let ctx = allowing_ctx().with_ip(ip(client));
        verifier
            .verify(token.clone(), &key, &ctx)
            .unwrap_or_else(|e| panic!("{client}: {e}"));
    }
}

#[test]
fn wrong_or_missing_invite_type_is_caveat_unverified() {
    let cavs = all_kinds();
    let token = mint(&cavs);
    let verifier = action_verifier();
    let key = key();
    let mut missing = allowing_ctx();
    missing.invite_type = None;
    let err = verifier
        .verify(token.clone(), &key, &missing)
        .expect_err("missing");
    assert_unverified(&err, 2, &cavs[2]);
    for t in InviteType::ALL {
        let ctx = allowing_ctx().with_invite_type(*t);
        let res = verifier.verify(token.clone(), &key, &ctx);
        if matches!(t, InviteType::UserJoinCluster | InviteType::UserJoinSpace) {
            res.unwrap_or_else(|e| panic!("{t}: {e}"));
        } else {
            assert_unverified(&res.expect_err(t.name()), 2, &cavs[2]);
        }
    }
}

#[test]
fn first_failing_caveat_is_the_one_named() {
    // Both the ip (index 1) and the invite type (index 2) fail: the first in chain order wins.
    let cavs = all_kinds();
    let token = mint(&cavs);
    let ctx = Context::at(NOW)
        .with_ip(ip("192.0.2.1"))
        .with_attribute("example.com/action", "read");
    let err = action_verifier()
        .verify(token, &key(), &ctx)
        .expect_err("denied");
    assert_unverified(&err, 1, &cavs[1]);
}

// ---------------------------------------------------------------------------------------------
// Unknown caveats and application caveats
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_caveat_kind_is_token_caveat_unknown() {
    let unknown: &[&[u8]] = &[
        &[0x82, 0x18, 0x63, 0x00], // [99, 0]: unknown kind number
        &[0x82, 0x04, 0x00],       // [4, 0]: the next kind number, not defined
        &[0x82, 0x00, 0x00, 0x00], // [0, 0] then a trailing byte
        &[0x83, 0x00, 0x01, 0x02], // time with an extra field
        &[0x82, 0x01, 0x80],       // ip with an empty whitelist
        &[0xa1, 0x00, 0x01],       // a map
        b"time < 100",             // Onedata's text form is not a native caveat
        &[],                       // empty
    ];
    let key = key();
    for (i, raw) in unknown.iter().enumerate() {
        let token = mint(&[Caveat::time(NOW + 10)])
            .attenuate_raw(raw)
            .expect("attenuate_raw");
        let text = token.to_text();
        let err = Verifier::new()
            .verify_text(&text, &key, &Context::at(NOW))
            .expect_err("unknown");
        assert_eq!(err.id(), "tokenCaveatUnknown", "case {i}: {err}");
        assert_eq!(err.details()["index"], json!(1));
        assert_eq!(err.details()["caveat"], json!(hex::encode(raw)));
        // Reading it unverified says the same.
        let decoded = Token::from_text(&text, &Limits::default()).expect("decodes");
        let results: Vec<_> = decoded.untrusted_caveats().collect();
        assert!(results[0].is_ok());
        assert_eq!(
            results[1].as_ref().expect_err("unknown").id(),
            "tokenCaveatUnknown"
        );
    }
}

#[test]
fn app_caveat_with_and_without_a_registered_predicate() {
    let app = caveat(r#"{"type":"app","name":"example.com/action","value":"read"}"#);
    let token = mint(&[Caveat::time(NOW + 10), app.clone()]);
    let key = key();
    let ctx_read = Context::at(NOW).with_attribute("example.com/action", "read");
    let ctx_write = Context::at(NOW).with_attribute("example.com/action", "write");

    // No predicate: unknown, never skipped, details carry the caveat's JSON.
    let err = Verifier::new()
        .verify(token.clone(), &key, &ctx_read)
        .expect_err("no predicate");
    assert_eq!(err.id(), "tokenCaveatUnknown");
    assert_eq!(err.details()["index"], json!(1));
    let named: Value =
        serde_json::from_str(err.details()["caveat"].as_str().expect("caveat as text"))
            .expect("caveat text is its JSON");
    assert_eq!(named, app.to_json());

    // A predicate registered under another name does not apply.
    let err = Verifier::new()
        .with_predicate("example.com/other", |_, _| true)
        .verify(token.clone(), &key, &ctx_read)
        .expect_err("other name");
    assert_eq!(err.id(), "tokenCaveatUnknown");

    // The registered predicate decides, and sees the value and the context.
    let verifier = action_verifier();
    verifier
        .verify(token.clone(), &key, &ctx_read)
        .expect("predicate holds");
    let err = verifier
        .verify(token.clone(), &key, &ctx_write)
        .expect_err("predicate fails");
    assert_unverified(&err, 1, &app);
    let err = verifier
        .verify(token, &key, &Context::at(NOW))
        .expect_err("attribute missing");
    assert_unverified(&err, 1, &app);

    // The typed constructor enforces the same rules as the JSON form.
    assert_eq!(
        AppCaveat::new("nonamespace", "v").expect_err("name").id(),
        "badValueCaveat"
    );
    let a = AppCaveat::new("example.com/action", "read").expect("ok");
    assert_eq!(Caveat::App(a), app);
}

// ---------------------------------------------------------------------------------------------
// Decoding errors: trailing bytes, oversize
// ---------------------------------------------------------------------------------------------

#[test]
fn trailing_bytes_are_bad_token() {
    let token = mint(&all_kinds());
    for extra in [&[0x00][..], &[0xff], &[0x40], &token.as_bytes()[..1]] {
        let mut b = token.as_bytes().to_vec();
        b.extend_from_slice(extra);
        let err = Token::from_bytes(&b, &Limits::default()).expect_err("trailing");
        assert_eq!(err.id(), "badToken");
        assert_eq!(err.details()["reason"], json!("trailing bytes"));
        let text = format!(
            "cvt1_{}",
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &b)
        );
        assert_eq!(
            err_id(Token::from_text(&text, &Limits::default())),
            "badToken"
        );
    }
}

#[test]
fn oversize_is_token_too_large() {
    let token = mint(&all_kinds());
    let n = token.as_bytes().len();
    let exact = Limits {
        max_token_bytes: n,
        ..Limits::default()
    };
    let smaller = Limits {
        max_token_bytes: n - 1,
        ..Limits::default()
    };
    Token::from_bytes(token.as_bytes(), &exact).expect("exactly at the limit");
    Token::from_text(&token.to_text(), &exact).expect("text exactly at the limit");
    let err = Token::from_bytes(token.as_bytes(), &smaller).expect_err("one over");
    assert_eq!(err.id(), "tokenTooLarge");
    assert_eq!(err.details()["limit"], json!("size"));
    assert_eq!(err.details()["max"], json!(n - 1));

    // Per-caveat, caveat count and identifier limits.
    let one_caveat = Limits {
        max_caveats: 3,
        ..Limits::default()
    };
    let err = Token::from_bytes(token.as_bytes(), &one_caveat).expect_err("caveats");
    assert_eq!(err.id(), "tokenTooLarge");
    assert_eq!(err.details()["limit"], json!("caveats"));
    let small_caveats = Limits {
        max_caveat_bytes: 4,
        ..Limits::default()
    };
    let err = Token::from_bytes(token.as_bytes(), &small_caveats).expect_err("caveat size");
    assert_eq!(err.id(), "tokenTooLarge");
    let small_id = Limits {
        max_identifier_bytes: 8,
        ..Limits::default()
    };
    let err = Token::from_bytes(token.as_bytes(), &small_id).expect_err("identifier size");
    assert_eq!(err.id(), "tokenTooLarge");

    // The verifier applies its own limits to text.
    let err = Verifier::new()
        .with_limits(smaller)
        .verify_text(&token.to_text(), &key(), &allowing_ctx())
        .expect_err("verifier limits");
    assert_eq!(err.id(), "tokenTooLarge");
    // A long text is too large whatever it contains.
    let long = "x".repeat(Limits::default().max_text_len() + 1);
    assert_eq!(
        err_id(Token::from_text(&long, &Limits::default())),
        "tokenTooLarge"
    );
}

// ---------------------------------------------------------------------------------------------
// Everything after the signature check
// ---------------------------------------------------------------------------------------------

#[test]
fn forged_tokens_never_reach_a_caveat_error() {
    // Each token would fail clearing (expired, wrong ip, no invite type, unknown caveat, app
    // caveat without predicate), but it is signed with the wrong key: tokenInvalid, always.
    let failing: Vec<Vec<u8>> = vec![
        Caveat::time(0).to_native(),
        caveat(r#"{"type":"ip","whitelist":["192.0.2.0/24"]}"#).to_native(),
        caveat(r#"{"type":"inviteType","whitelist":["supportSpace"]}"#).to_native(),
        vec![0x82, 0x18, 0x63, 0x00],
        caveat(r#"{"type":"app","name":"unregistered.org/x","value":"y"}"#).to_native(),
        b"garbage".to_vec(),
    ];
    let forged = Token::mint(&other_key(), &identifier(), &[]).expect("mint");
    let ctx = Context::at(NOW);
    for c in &failing {
        let t = forged.attenuate_raw(c).expect("attenuate_raw");
        // Under the right key, clearing would complain about the caveat…
        let genuine = mint(&[]).attenuate_raw(c).expect("attenuate_raw");
        let id = err_id(Verifier::new().verify(genuine, &key(), &ctx));
        assert!(id == "tokenCaveatUnverified" || id == "tokenCaveatUnknown");
        // …but the forged one stops at the signature.
        let err = Verifier::new()
            .verify_text(&t.to_text(), &key(), &ctx)
            .expect_err("forged");
        assert_eq!(err, Error::TokenInvalid);
        assert_eq!(
            Verifier::new().check_signature(&t, &key()),
            Err(Error::TokenInvalid)
        );
    }
    // All of them at once, too.
    let mut t = forged;
    for c in &failing {
        t = t.attenuate_raw(c).expect("attenuate_raw");
    }
    assert_eq!(
        Verifier::new().verify(t, &key(), &ctx).expect_err("forged"),
        Error::TokenInvalid
    );
}

#[test]
fn wrong_key_and_tampering_get_the_same_error() {
    let token = mint(&[Caveat::time(NOW + 10)]);
    let wrong_key = Verifier::new()
        .verify(token.clone(), &other_key(), &Context::at(NOW))
        .expect_err("wrong key");
    let mut b = token.as_bytes().to_vec();
    let last = b.len() - 1;
    b[last] ^= 0x80;
    let tampered = verify_default(&b, &Context::at(NOW)).expect_err("tampered");
    assert_eq!(wrong_key, tampered);
    assert_eq!(wrong_key.to_json(), tampered.to_json());
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
// Error JSON shape
// ---------------------------------------------------------------------------------------------

fn assert_error_json(err: &Error, id: &str) {
    assert_eq!(err.id(), id);
    let j = err.to_json();
    let obj = j.as_object().expect("object");
    assert_eq!(obj.len(), 1, "{j}");
    let inner = j["error"].as_object().expect("error object");
    let mut keys: Vec<&str> = inner.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, vec!["description", "details", "id"], "{j}");
    assert_eq!(inner["id"], json!(id));
    assert!(inner["details"].is_object(), "{j}");
    assert_eq!(inner["details"], err.details());
    let description = inner["description"].as_str().expect("description");
    assert!(!description.is_empty());
    assert_eq!(description, err.to_string());
    assert!(ERROR_IDS.contains(&id), "{id} is listed");
    // The JSON survives a text round trip unchanged.
    let reparsed: Value = serde_json::from_str(&j.to_string()).expect("json");
    assert_eq!(reparsed, j);
}

#[test]
fn error_json_shape_for_every_id_the_core_produces() {
    let key = key();
    let token = mint(&[Caveat::time(NOW + 10)]);
    let v = Verifier::new();
    let produced: Vec<(Error, &str)> = vec![
        (
            Token::from_text("", &Limits::default()).expect_err("e"),
            "badToken",
        ),
        (
            Token::from_bytes(
                token.as_bytes(),
                &Limits {
                    max_token_bytes: 10,
                    ..Limits::default()
                },
            )
            .expect_err("e"),
            "tokenTooLarge",
        ),
        (
            v.verify(token.clone(), &other_key(), &Context::at(NOW))
                .expect_err("e"),
            "tokenInvalid",
        ),
        (
            v.verify(
                token.attenuate_raw(&[0xf6]).expect("attenuate_raw"),
                &key,
                &Context::at(NOW),
            )
            .expect_err("e"),
            "tokenCaveatUnknown",
        ),
        (
            v.verify(token.clone(), &key, &Context::at(NOW + 10))
                .expect_err("e"),
            "tokenCaveatUnverified",
        ),
        (
            Caveat::from_json_str("{}").expect_err("e"),
            "badValueCaveat",
        ),
        (
            Token::mint(
                &key,
                &Identifier {
                    token_id: Cow::Borrowed("has space"),
                    ..identifier()
                },
                &[],
            )
            .expect_err("e"),
            "badValueIdentifier",
        ),
        (
            TokenType::parse("bearer").expect_err("e"),
            "badValueTokenType",
        ),
        (
            InviteType::parse("joinEverything").expect_err("e"),
            "badValueInviteType",
        ),
        (RootKey::from_hex("xyz").expect_err("e"), "badValueKey"),
        (Subject::parse("root").expect_err("e"), "badValueIdentifier"),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (err, id) in &produced {
        assert_error_json(err, id);
        seen.insert(*id);
    }
    assert_eq!(seen.len(), 10, "ten distinct ids produced by the core");

    // The remaining ids (for callers' policies and the Onedata layer) have the same shape.
    let constructed = [
        Error::TokenRevoked,
        Error::TokenTimeCaveatRequired { max_ttl: 3600 },
        Error::NotAnAccessToken {
            received: json!({"identityToken": {}}),
        },
        Error::NotAnIdentityToken {
            received: json!({"accessToken": {}}),
        },
        Error::NotAnInviteToken {
            expected_invite_type: Some("userJoinGroup".into()),
            received: json!({"accessToken": {}}),
        },
        // Third-party caveats and discharges (tests/third_party.rs produces each of them).
        Error::DischargeMissing {
            caveat: CaveatRef {
                discharge: None,
                index: 0,
            },
            cid: "cid".into(),
        },
        Error::DischargeAmbiguous {
            identifier: "cid".into(),
            discharges: [0, 1],
        },
        Error::DischargeReused {
            discharge: 0,
            caveat: CaveatRef {
                discharge: None,
                index: 1,
            },
        },
        Error::DischargeCycle {
            discharge: 0,
            caveat: CaveatRef {
                discharge: Some(0),
                index: 0,
            },
        },
        Error::DischargeTooDeep {
            max: 8,
            caveat: CaveatRef {
                discharge: Some(7),
                index: 0,
            },
        },
        Error::DischargeUnbound { discharge: 0 },
        Error::DischargeInvalid { discharge: 0 },
        Error::DischargeUnused {
            discharge: 0,
            identifier: "cid".into(),
        },
        Error::ThirdPartyCaveatInvalid {
            caveat: CaveatRef {
                discharge: None,
                index: 0,
            },
        },
    ];
    for err in &constructed {
        assert_error_json(err, err.id());
        seen.insert(err.id());
    }
    assert_eq!(
        seen.len(),
        ERROR_IDS.len(),
        "every listed id was checked: {seen:?}"
    );

    // Details carry what the README promises.
    let unverified = &produced[4].0;
    assert_eq!(
        unverified.to_json(),
        json!({"error": {
            "id": "tokenCaveatUnverified",
            "details": {"index": 0, "caveat": {"type": "time", "validUntil": NOW + 10}},
            "description": unverified.to_string(),
        }})
    );
    assert_eq!(produced[2].0.details(), json!({}));
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
    let t = TimeCaveat { valid_until: NOW };
    assert!(t.holds(NOW - 1, 0) && !t.holds(NOW, 0) && t.holds(NOW, 1));
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

#[test]
fn debug_never_shows_key_material() {
    let secret = hex::decode(KEY_HEX).expect("hex");
    let key = key();
    let derived = chain::derive_key(&secret);
    let forbidden = [
        KEY_HEX.to_owned(),
        derived.to_hex(),
        format!("{:?}", secret),
        format!("{:?}", derived.as_bytes()),
        // A few bytes in a row, as a Debug of a byte array would print them.
        format!(
            "{}, {}, {}",
            derived.as_bytes()[0],
            derived.as_bytes()[1],
            derived.as_bytes()[2]
        ),
    ];
    let mut ring = KeyRing::new();
    ring.set_default(key.clone());
    ring.insert("k1", key.clone());
    let verifier = Verifier::new().with_leeway(5);
    let printed = [
        format!("{key:?}"),
        format!("{key:#?}"),
        format!("{ring:?}"),
        format!("{ring:#?}"),
        format!("{verifier:?}"),
        format!("{:?}", Some(&key)),
    ];
    for p in &printed {
        for f in &forbidden {
            assert!(!p.contains(f.as_str()), "{p} shows {f}");
        }
    }
    assert_eq!(format!("{key:?}"), "RootKey(***OMITTED***)");
    assert!(format!("{ring:?}").contains("k1"), "key ids are not secret");

    // A token's Debug does not print its tag (a bearer token's tag is what makes it usable).
    let token = mint(&[]);
    let tag_hex = token.tag().to_hex();
    assert!(!format!("{token:?}").contains(&tag_hex));
    assert!(!format!("{token:#?}").contains(&tag_hex));
}

/// `==` is kept off tags and keys by construction: `Tag`, `RootKey` and `KeyRing` implement
/// neither `PartialEq` nor `PartialOrd`, so `tag == other` does not compile and comparisons must
/// go through the constant-time `ct_eq`. This is checked at compile time: if one of these types
/// ever gains such an impl, this test file stops compiling.
///
/// The check resolves a method through a trait that has two blanket impls, one for every type
/// and one for every type with the forbidden impl, told apart by a marker type parameter. For a
/// type without the forbidden impl only the first applies and the marker is inferred; for one
/// with it, both apply and inference is ambiguous, which is a compile error.
mod no_eq_on_secrets {
    use super::{KeyRing, RootKey, Tag};

    trait LacksEq<Marker> {
        fn check() {}
    }
    impl<T: ?Sized> LacksEq<()> for T {}
    pub struct HasPartialEq;
    impl<T: ?Sized + PartialEq> LacksEq<HasPartialEq> for T {}
    pub struct HasPartialOrd;
    impl<T: ?Sized + PartialOrd> LacksEq<HasPartialOrd> for T {}

    #[test]
    fn tags_and_keys_have_no_eq() {
        <Tag as LacksEq<_>>::check();
        <RootKey as LacksEq<_>>::check();
        <KeyRing as LacksEq<_>>::check();
    }

    /// The same trick is not vacuous: for a type that does have `PartialEq`, naming the marker
    /// explicitly resolves (so both impls exist and an inferred marker would be ambiguous).
    #[test]
    fn the_check_sees_partial_eq_where_it_exists() {
        <[u8; 32] as LacksEq<HasPartialEq>>::check();
        <u8 as LacksEq<HasPartialOrd>>::check();
    }
}

/// A review rule as a test: in `src/`, bytes of tags and keys are never compared with `==` or
/// `!=`. Without `PartialEq` on the types (checked above), the only way to do it would be through
/// their byte or hex views, so no line of code may compare the `as_bytes()`, `to_hex()` or
/// `as_slice()` of a receiver whose name speaks of a tag, key or MAC.
#[test]
fn no_equality_on_secret_byte_views_in_src() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    /// The receivers of `view` calls on a line, e.g. `self.tag` for `self.tag.as_bytes()`.
    fn receivers<'a>(code: &'a str, view: &str) -> Vec<&'a str> {
        let mut out = Vec::new();
        let mut rest = code;
        while let Some(i) = rest.find(view) {
            let before = &rest[..i];
            let start = before
                .rfind(|c: char| {
                    !(c.is_alphanumeric() || c == '_' || c == '.' || c == ')' || c == '(')
                })
                .map_or(0, |p| p + 1);
            out.push(&before[start..]);
            rest = &rest[i + view.len()..];
        }
        out
    }
    fn is_secret_name(receiver: &str) -> bool {
        let r = receiver.to_ascii_lowercase();
        ["tag", "key", "mac", "derived", "secret"]
            .iter()
            .any(|w| r.contains(w))
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 5, "found the sources");
    let mut offenders = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !(code.contains("==") || code.contains("!=")) {
                continue;
            }
            let secret_view = [".as_bytes()", ".to_hex()", ".as_slice()"]
                .iter()
                .flat_map(|v| receivers(code, v))
                .any(is_secret_name);
            if secret_view {
                offenders.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(offenders.is_empty(), "use ct_eq: {offenders:#?}");
    // The rule does catch what it is meant to catch.
    assert!(receivers("if tag.as_bytes() == other {", ".as_bytes()")
        .into_iter()
        .any(is_secret_name));
    assert!(receivers("a == self.derived.as_bytes()[..]", ".as_bytes()")
        .into_iter()
        .any(is_secret_name));
    assert!(
        !receivers("rest.as_bytes().get(1) == Some(&b'_')", ".as_bytes()")
            .into_iter()
            .any(is_secret_name)
    );
}

#[test]
fn constant_time_comparisons_behave() {
    let a = RootKey::from_bytes(b"same").expect("key");
    let b = RootKey::from_hex(&hex::encode(b"same")).expect("key");
    let c = RootKey::from_bytes(b"different").expect("key");
    assert!(a.ct_eq(&b));
    assert!(!a.ct_eq(&c));
    let t = Tag::from_bytes([9; 32]);
    assert!(t.ct_eq(&[9; 32]));
    assert!(!t.ct_eq(&[9; 31]));
    let mut off = [9u8; 32];
    off[0] = 8;
    assert!(!t.ct_eq(&off));
}
