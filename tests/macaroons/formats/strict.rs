//! Strict decoding of V2 binary, V1 packets and text, and V2J.

use super::*;

/// A V2 field: type, length, bytes.
fn field(ty: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![ty, u8::try_from(value.len()).expect("short")];
    out.extend_from_slice(value);
    out
}

#[test]
fn v2_binary_is_strict() {
    let sig = [7u8; 32];
    let good = [
        vec![2],
        field(1, b"loc"),
        field(2, b"id"),
        vec![0],
        field(2, b"first"),
        vec![0],
        field(1, b"tp"),
        field(2, b"cid"),
        field(4, b"vid"),
        vec![0],
        vec![0],
        field(6, &sig),
    ]
    .concat();
    let decode = |raw: &[u8]| Token::from_bytes_as(Format::MacaroonV2, raw, &limits());
    let t = decode(&good).expect("well-formed");
    assert_eq!(t.caveat_count(), 2);
    assert!(t.is_third_party(1) && !t.is_third_party(0));
    // pymacaroons writes an empty location field; it is accepted.
    let empty_location = [
        vec![2],
        field(1, b""),
        field(2, b"id"),
        vec![0, 0],
        field(6, &sig),
    ]
    .concat();
    assert_eq!(
        decode(&empty_location)
            .expect("empty location")
            .untrusted_location(),
        Some("")
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![], "not a V2 macaroon (first byte must be 2)"),
        (
            [vec![1], field(2, b"id"), vec![0, 0], field(6, &sig)].concat(),
            "not a V2 macaroon (first byte must be 2)",
        ),
        (
            [
                vec![2],
                field(2, b"id"),
                field(1, b"loc"),
                vec![0, 0],
                field(6, &sig),
            ]
            .concat(),
            "field types out of order in a section",
        ),
        (
            [
                vec![2],
                field(2, b"id"),
                field(2, b"id"),
                vec![0, 0],
                field(6, &sig),
            ]
            .concat(),
            "field types out of order in a section",
        ),
        (
            [
                vec![2],
                field(2, b"id"),
                field(3, b"x"),
                vec![0, 0],
                field(6, &sig),
            ]
            .concat(),
            "unknown field type",
        ),
        (
            [
                vec![2],
                field(2, b"id"),
                field(4, b"v"),
                vec![0, 0],
                field(6, &sig),
            ]
            .concat(),
            "field not allowed in this section",
        ),
        (
            [vec![2], field(1, b"loc"), vec![0, 0], field(6, &sig)].concat(),
            "missing identifier field",
        ),
        (
            [vec![2], field(2, b""), vec![0, 0], field(6, &sig)].concat(),
            "empty identifier",
        ),
        (
            [
                vec![2],
                field(2, b"id"),
                vec![0],
                field(1, b"loc"),
                field(2, b"cid"),
                vec![0, 0],
                field(6, &sig),
            ]
            .concat(),
            "location without vid in a caveat",
        ),
        (
            [
                vec![2],
                field(2, b"id"),
                vec![0],
                field(4, b"vid"),
                vec![0, 0],
                field(6, &sig),
            ]
            .concat(),
            "caveat without identifier field",
        ),
        (
            [
                vec![2],
                field(2, b"id"),
                vec![0],
                field(2, b"cid"),
                field(6, &sig),
                vec![0, 0],
                field(6, &sig),
            ]
            .concat(),
            "field not allowed in this section",
        ),
        (
            [vec![2], field(2, b"id"), vec![0, 0], field(6, &sig[..31])].concat(),
            "signature must be 32 bytes",
        ),
        (
            [
                vec![2],
                field(2, b"id"),
                vec![0, 0],
                field(6, &sig),
                vec![0],
            ]
            .concat(),
            "trailing bytes",
        ),
        (
            [vec![2], field(2, b"id"), vec![0, 0], field(2, &sig)].concat(),
            "missing signature field",
        ),
        (
            [vec![2], field(2, b"id"), vec![0]].concat(),
            "missing end of caveats",
        ),
        (
            [vec![2], vec![2, 0x85, 0x00], b"id".to_vec()].concat(),
            "non-minimal varint",
        ),
        (
            [vec![2], vec![2, 0x7f], b"id".to_vec()].concat(),
            "field length exceeds the input",
        ),
        (vec![2, 2], "truncated varint"),
        (
            [
                vec![2],
                field(1, &[0xff]),
                field(2, b"id"),
                vec![0, 0],
                field(6, &sig),
            ]
            .concat(),
            "location is not UTF-8",
        ),
    ];
    for (raw, want) in cases {
        assert_eq!(reason(decode(&raw)), want, "{raw:02x?}");
    }
    // Limits.
    let small = Limits {
        max_caveats: 1,
        ..Limits::default()
    };
    assert_eq!(
        Token::from_bytes_as(Format::MacaroonV2, &good, &small)
            .expect_err("caveats")
            .details()["limit"],
        "caveats"
    );
    let small = Limits {
        max_caveat_bytes: 4,
        ..Limits::default()
    };
    assert_eq!(
        Token::from_bytes_as(Format::MacaroonV2, &good, &small)
            .expect_err("caveat size")
            .details()["limit"],
        "caveatSize"
    );
    let small = Limits {
        max_token_bytes: good.len() - 1,
        ..Limits::default()
    };
    assert_eq!(
        err_id(Token::from_bytes_as(Format::MacaroonV2, &good, &small)),
        "tokenTooLarge"
    );
}

/// A V1 packet.
fn packet(key: &str, value: &[u8]) -> Vec<u8> {
    let mut out = format!("{:04x}{key} ", 6 + key.len() + value.len()).into_bytes();
    out.extend_from_slice(value);
    out.push(b'\n');
    out
}

#[test]
fn v1_packets_are_strict() {
    let sig = [7u8; 32];
    let loc = packet("location", b"loc");
    let id = packet("identifier", b"id");
    let s = packet("signature", &sig);
    let decode = |raw: &[u8]| Token::from_bytes_as(Format::MacaroonV1, raw, &limits());
    let good = [
        loc.clone(),
        id.clone(),
        packet("cid", b"first"),
        packet("cid", b"cid"),
        packet("vid", b"vid"),
        packet("cl", b"tp"),
        packet("cid", b"cid2"),
        packet("vid", b"vid2"),
        s.clone(),
    ]
    .concat();
    let t = decode(&good).expect("well-formed");
    let tp: Vec<_> = t.untrusted_third_party_caveats().collect();
    assert_eq!(tp.len(), 2);
    assert_eq!((tp[0].index, tp[0].location), (1, &b"tp"[..]));
    assert_eq!((tp[1].index, tp[1].location), (2, &b""[..]));
    // Written back as libmacaroons writes it: the same bytes.
    let encoded = URL_SAFE_NO_PAD.decode(t.to_text()).expect("b64");
    assert_eq!(encoded, good);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            [id.clone(), loc.clone(), s.clone()].concat(),
            "missing location packet",
        ),
        (
            [loc.clone(), s.clone()].concat(),
            "missing identifier packet",
        ),
        (
            [loc.clone(), id.clone()].concat(),
            "missing signature packet",
        ),
        (
            [loc.clone(), id.clone(), packet("vid", b"v"), s.clone()].concat(),
            "vid packet not right after a cid packet",
        ),
        (
            [
                loc.clone(),
                id.clone(),
                packet("cid", b"c"),
                packet("cl", b"l"),
                s.clone(),
            ]
            .concat(),
            "cl packet not right after a vid packet",
        ),
        (
            [
                loc.clone(),
                id.clone(),
                packet("cid", b"c"),
                packet("vid", b"v"),
                packet("vid", b"v"),
                s.clone(),
            ]
            .concat(),
            "vid packet not right after a cid packet",
        ),
        (
            [loc.clone(), id.clone(), packet("cid", b""), s.clone()].concat(),
            "empty caveat id",
        ),
        (
            [loc.clone(), id.clone(), packet("nonsense", b"x"), s.clone()].concat(),
            "unknown packet key",
        ),
        (
            [loc.clone(), id.clone(), loc.clone(), s.clone()].concat(),
            "duplicate location or identifier packet",
        ),
        (
            [loc.clone(), id.clone(), s.clone(), s.clone()].concat(),
            "data after the signature packet",
        ),
        (
            [loc.clone(), id.clone(), packet("signature", &sig[..31])].concat(),
            "signature must be 32 bytes",
        ),
        (
            [loc.clone(), packet("identifier", b""), s.clone()].concat(),
            "empty identifier",
        ),
        (
            [b"001Dlocation loc\n".to_vec(), id.clone(), s.clone()].concat(),
            "packet length must be 4 lowercase hex digits",
        ),
    ];
    for (raw, want) in cases {
        assert_eq!(
            reason(decode(&raw)),
            want,
            "{}",
            String::from_utf8_lossy(&raw)
        );
    }
}

#[test]
fn v1_text_accepts_either_base64_alphabet_with_or_without_padding() {
    let raw = URL_SAFE_NO_PAD.decode(README_V1).expect("b64");
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
    for text in [
        STANDARD.encode(&raw),
        STANDARD_NO_PAD.encode(&raw),
        URL_SAFE.encode(&raw),
        README_V1.to_owned(),
    ] {
        let t = Token::from_macaroon_text(&text, &limits()).expect(&text);
        assert_eq!(t.as_bytes(), raw.as_slice());
        // Written back in the one form libmacaroons writes.
        assert_eq!(t.to_text(), README_V1);
    }
    let mixed = STANDARD.encode(&raw).replacen('/', "_", 1);
    if mixed.contains('+') || mixed.contains('/') {
        assert_eq!(
            reason(Token::from_macaroon_text(&mixed, &limits())),
            "base64 mixes the standard and URL-safe alphabets"
        );
    }
    for bad in [
        format!("{README_V1}\n"),
        format!(" {README_V1}"),
        format!("{README_V1}="),
    ] {
        assert_eq!(
            err_id(Token::from_macaroon_text(&bad, &limits())),
            "badToken"
        );
    }
}

#[test]
fn v2j_is_strict() {
    let sig64 = "9UgH9txu34i_D3MGs4IlYqNiUz2_czm6YXZdpL0lnYc";
    let ok = |text: &str| {
        let t = Token::from_macaroon_text(text, &limits()).expect(text);
        assert_eq!(t.tag().to_hex(), README_TAG, "{text}");
        t
    };
    // `v` optional, number or string; `c` optional; x64 in either alphabet, padded or not.
    ok(&format!(
        r#"{{"v":"2","i":"keyid","l":"http://example.org/","c":[{{"i":"account = 3735928559"}}],"s64":"{sig64}"}}"#
    ));
    ok(&format!(
        r#"{{"i64":"a2V5aWQ=","l64":"aHR0cDovL2V4YW1wbGUub3JnLw","c":[{{"i64":"YWNjb3VudCA9IDM3MzU5Mjg1NTk"}}],"s64":"{}"}}"#,
        sig64.replace('_', "/").replace('-', "+")
    ));
    let empty = ok_tag_free(&format!(r#"{{"i":"keyid","s64":"{sig64}"}}"#));
    assert_eq!(empty.caveat_count(), 0);
    let cases = [
        (
            format!(r#"{{"i":"keyid","i64":"a2V5aWQ","c":[],"s64":"{sig64}"}}"#),
            "both x and x64 given for a V2J field",
        ),
        (
            format!(r#"{{"i":"keyid","i":"keyid","c":[],"s64":"{sig64}"}}"#),
            "repeated key in V2J macaroon",
        ),
        (
            format!(r#"{{"i":"keyid","x":1,"c":[],"s64":"{sig64}"}}"#),
            "unknown key in V2J macaroon",
        ),
        (
            format!(r#"{{"v":1,"i":"keyid","c":[],"s64":"{sig64}"}}"#),
            "unsupported V2J version",
        ),
        (
            format!(r#"{{"v":"3","i":"keyid","c":[],"s64":"{sig64}"}}"#),
            "unsupported V2J version",
        ),
        (
            format!(r#"{{"i":5,"c":[],"s64":"{sig64}"}}"#),
            "V2J field is not a string",
        ),
        (
            format!(r#"{{"c":[],"s64":"{sig64}"}}"#),
            "missing identifier field",
        ),
        (
            r#"{"i":"keyid","c":[]}"#.to_owned(),
            "missing signature field",
        ),
        (
            r#"{"i":"keyid","c":[],"s":"short"}"#.to_owned(),
            "signature must be 32 bytes",
        ),
        (
            format!(r#"{{"i":"keyid","c":{{}},"s64":"{sig64}"}}"#),
            "V2J caveats are not an array",
        ),
        (
            format!(r#"{{"i":"keyid","c":["x"],"s64":"{sig64}"}}"#),
            "V2J caveat is not a JSON object",
        ),
        (
            format!(r#"{{"i":"keyid","c":[{{"l":"x"}}],"s64":"{sig64}"}}"#),
            "caveat without identifier field",
        ),
        (
            format!(r#"{{"i":"keyid","c":[{{"i":"c","l":"x"}}],"s64":"{sig64}"}}"#),
            "location without vid in a caveat",
        ),
        (
            format!(r#"{{"i":"keyid","c":[{{"i":"c","v":""}}],"s64":"{sig64}"}}"#),
            "empty vid",
        ),
        (
            format!(r#"{{"i":"keyid","c":[{{"i":"c","w":"x"}}],"s64":"{sig64}"}}"#),
            "unknown key in V2J macaroon",
        ),
        (
            format!(r#"{{"i":"keyid","c":[],"s64":"{sig64}=="}}"#),
            "invalid base64",
        ),
        (
            format!(r#"{{"i":"keyid","c":[],"s64":"{sig64}"}} x"#),
            "invalid JSON in V2J macaroon",
        ),
        (
            format!(r#"{{"i":"","c":[],"s64":"{sig64}"}}"#),
            "empty identifier",
        ),
        (
            format!(r#"{{"i":"keyid","c":[{{"i":""}}],"s64":"{sig64}"}}"#),
            "empty caveat id",
        ),
    ];
    for (text, want) in cases {
        let text = text.as_str();
        let big = Limits {
            max_token_bytes: 1 << 20,
            ..Limits::default()
        };
        let e = Token::from_macaroon_text(text, &big).expect_err(want);
        assert_eq!(e.details()["reason"], want, "{text}");
    }
    // Deep nesting fails without exhausting the stack.
    let deep = format!("{{\"c\":{}", "[".repeat(1_000_000));
    let huge = Limits {
        max_token_bytes: 1 << 22,
        ..Limits::default()
    };
    assert_eq!(err_id(Token::from_macaroon_text(&deep, &huge)), "badToken");
}
