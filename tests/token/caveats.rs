//! Caveats through the public API: every kind's JSON, native and text forms and their round
//! trips, the errors naming a bad key or value, unknown caveat kinds, and application caveats
//! with and without a registered predicate.

use caveat_token::caveat::AppCaveat;
use caveat_token::ValueError;
use caveat_token::{Caveat, Context, Error, Limits, Token, Verifier};
use serde_json::{json, Value};

use crate::common::*;
use crate::fixtures::*;

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

/// An `ip` entry's prefix length must be 1 to 3 decimal digits without a leading zero ("bad
/// prefix length"); a well-formed one beyond the family's width is "too long".
#[test]
fn ip_prefix_lengths_are_checked_for_form_then_width() {
    use caveat_token::caveat::IpCaveat;
    let bad = |reason| {
        Error::Value(ValueError::Caveat {
            key: "whitelist".into(),
            reason,
        })
    };
    for entry in [
        "10.0.0.0/",
        "10.0.0.0/1x",
        "10.0.0.0/x",
        "10.0.0.0/1234",
        "10.0.0.0/08",
    ] {
        assert_eq!(
            IpCaveat::parse_entry(entry).expect_err(entry),
            bad("bad prefix length"),
            "{entry}"
        );
    }
    for entry in ["10.0.0.0/33", "10.0.0.0/999", "::/129"] {
        assert_eq!(
            IpCaveat::parse_entry(entry).expect_err(entry),
            bad("prefix length too long"),
            "{entry}"
        );
    }
    assert!(IpCaveat::parse_entry("10.0.0.0/8").is_ok());
}
