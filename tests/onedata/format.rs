//! The Onedata token format through the public API: minting every token type, strict and total
//! decoding (each malformed input tests one thing), format detection, limits, and caveat texts
//! that must be canonical.

use caveat_token::{
    Caveat, Context, Format, Identifier, InviteType, Limits, Persistence, RootKey, Subject, Token,
    TokenType, Verifier,
};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

fn key() -> RootKey {
    RootKey::from_bytes(b"verySecretSecret1").expect("key")
}

fn identifier(token_type: TokenType<'static>, persistence: Persistence) -> Identifier<'static> {
    Identifier {
        location: "zone.example.com".into(),
        key_id: None,
        token_id: "tok1".into(),
        subject: Subject::User("alice".into()),
        token_type,
        persistence,
    }
}

fn access() -> Identifier<'static> {
    identifier(TokenType::Access { session: None }, Persistence::Named)
}

/// One libmacaroons v1 packet, written independently of the crate.
fn packet(key: &str, value: &[u8]) -> Vec<u8> {
    let len = 4 + key.len() + 1 + value.len() + 1;
    let mut out = format!("{len:04x}{key} ").into_bytes();
    out.extend_from_slice(value);
    out.push(b'\n');
    out
}

/// Onedata's escape, written independently of the crate.
fn escape(b64: &str) -> String {
    b64.chars()
        .map(|c| match c {
            '0' => "00".to_owned(),
            '_' => "01".to_owned(),
            '-' => "02".to_owned(),
            '/' => "03".to_owned(),
            '+' => "04".to_owned(),
            '=' => "05".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn text_of(raw: &[u8]) -> String {
    escape(&URL_SAFE_NO_PAD.encode(raw))
}

/// A well-formed token's packets, signed with `key()`, for building malformed variants.
fn packets(identifier: &str, caveats: &[&str]) -> Vec<Vec<u8>> {
    let mut tag = caveat_token::hazmat::start(&key(), identifier.as_bytes());
    for c in caveats {
        tag = caveat_token::hazmat::step(&tag, c.as_bytes());
    }
    let mut out = vec![
        packet("location", b"zone.example.com"),
        packet("identifier", identifier.as_bytes()),
    ];
    out.extend(caveats.iter().map(|c| packet("cid", c.as_bytes())));
    out.push(packet("signature", tag.as_bytes()));
    out
}

fn decode_raw(raw: &[u8]) -> Result<Token, caveat_token::Error> {
    Token::from_bytes_as(Format::Onedata, raw, &Limits::default())
}

fn bad_reason(raw: &[u8]) -> String {
    let err = decode_raw(raw).expect_err("must be rejected");
    assert_eq!(err.id(), "badToken", "{err}");
    // The text form is refused the same way.
    let text_err = Token::from_text(&text_of(raw), &Limits::default()).expect_err("text too");
    assert_eq!(text_err.id(), "badToken");
    err.details()["reason"].as_str().expect("reason").to_owned()
}

const ID: &str = "2/nmd/usr-alice/act/tok1";

#[test]
fn hand_built_packets_are_what_the_crate_writes() {
    let raw: Vec<u8> = packets(ID, &["time < 100"]).concat();
    let minted =
        Token::mint_as(Format::Onedata, &key(), &access(), &[Caveat::time(100)]).expect("mint");
    assert_eq!(minted.as_bytes(), raw.as_slice());
    assert_eq!(minted.to_text(), text_of(&raw));
    assert!(minted.to_text().starts_with("MDA"));
    let decoded = decode_raw(&raw).expect("decodes");
    assert_eq!(decoded.to_text(), minted.to_text());
    Verifier::new()
        .verify(decoded, &key(), &Context::at(99))
        .expect("verifies");
}

#[test]
fn every_token_type_and_persistence_round_trips() {
    let mut types = vec![
        (TokenType::Access { session: None }, "act".to_owned()),
        (
            TokenType::Access {
                session: Some("sess-1".into()),
            },
            "act:sess-1".to_owned(),
        ),
        (TokenType::Identity, "idn".to_owned()),
    ];
    for t in InviteType::ALL {
        types.push((
            TokenType::Invite {
                invite_type: *t,
                target: "target-1".into(),
                params: "".into(),
            },
            format!("{}:target-1:", t.onedata_code()),
        ));
    }
    types.push((
        TokenType::Invite {
            invite_type: InviteType::SupportSpace,
            target: "s1".into(),
            params: "ge".into(),
        },
        "ssp:s1:ge".to_owned(),
    ));
    for (ty, text) in types {
        for (persistence, ptext) in [
            (Persistence::Named, "nmd".to_owned()),
            (Persistence::Temporary { generation: 0 }, "tmp-0".to_owned()),
            (
                Persistence::Temporary {
                    generation: u64::MAX,
                },
                format!("tmp-{}", u64::MAX),
            ),
        ] {
            for subject in [Subject::User("u-1".into()), Subject::Provider("p1".into())] {
                let id = Identifier {
                    subject: subject.clone(),
                    ..identifier(ty.clone(), persistence)
                };
                // Unchecked: the encoding of a temporary identifier is what is tested here.
                let token = caveat_token::hazmat::mint_unchecked(Format::Onedata, &key(), &id, &[])
                    .expect("mint");
                let want = format!("2/{ptext}/{subject}/{text}/tok1");
                assert_eq!(token.identifier_bytes(), want.as_bytes());
                let back = Token::from_text(&token.to_text(), &Limits::default()).expect("decode");
                assert_eq!(back.untrusted_identifier().expect("id"), id);
                Verifier::new()
                    .check_signature(&back, &key())
                    .expect("verifies");
            }
        }
    }
}

#[test]
fn the_format_has_no_key_id() {
    let id = Identifier {
        key_id: Some("k1".into()),
        ..access()
    };
    let err = Token::mint_as(Format::Onedata, &key(), &id, &[]).expect_err("no key id");
    assert_eq!(err.id(), "badValueIdentifier");
    assert_eq!(err.details()["key"], "keyId");
}

#[test]
fn format_detection() {
    let onedata = Token::mint_as(Format::Onedata, &key(), &access(), &[]).expect("mint");
    let native = Token::mint(&key(), &access(), &[]).expect("mint");
    let limits = Limits::default();
    assert_eq!(
        Token::from_text(&onedata.to_text(), &limits)
            .expect("onedata")
            .format(),
        Format::Onedata
    );
    assert_eq!(
        Token::from_text(&native.to_text(), &limits)
            .expect("native")
            .format(),
        Format::Native
    );
    for (text, reason) in [
        ("NDA", "unknown token format"),
        ("opw-MDAxx", "unknown token format"),
        ("MDA", "truncated packet length"),
        ("MDAAA", "invalid base64url (unpadded, URL-safe alphabet)"),
    ] {
        let err = Token::from_text(text, &limits).expect_err(text);
        assert_eq!(err.id(), "badToken", "{text}");
        assert_eq!(err.details()["reason"], reason, "{text}");
    }
    // Locations of every allowed length (up to 255 bytes) read back from the text: the text
    // starts `MDA`, `MDB` or `MDE` as the location packet's length grows.
    let mut starts = std::collections::BTreeSet::new();
    for len in [1usize, 145, 146, 200, 241, 242, 255] {
        let mut id = access();
        id.location = "l".repeat(len).into();
        let t = Token::mint_as(Format::Onedata, &key(), &id, &[Caveat::time(1)]).expect("mint");
        let text = t.to_text();
        starts.insert(text[..3].to_owned());
        let back = Token::from_text(&text, &limits).expect("long location reads back");
        assert_eq!(back.format(), Format::Onedata, "{len}");
        assert_eq!(back.as_bytes(), t.as_bytes(), "{len}");
        assert_eq!(back.to_text(), text, "{len}");
        assert_eq!(back.untrusted_identifier().expect("id").location.len(), len);
    }
    assert_eq!(
        starts.into_iter().collect::<Vec<_>>(),
        ["MDA", "MDB", "MDE"]
    );
    assert_eq!(Format::from_name("onedata"), Some(Format::Onedata));
    assert_eq!(Format::from_name("native"), Some(Format::Native));
    assert_eq!(Format::Onedata.name(), "onedata");
}

#[test]
fn escapes_are_strict() {
    let good = text_of(&packets(ID, &[]).concat());
    assert!(good.contains('0'), "the location length digits are escaped");
    for (text, reason) in [
        (
            format!("{good}0"),
            "invalid escape (0 must be followed by 0-5)",
        ),
        (
            format!("{good}06"),
            "invalid escape (0 must be followed by 0-5)",
        ),
        (format!("{good}_"), "unescaped character in Onedata token"),
        (format!("{good}-"), "unescaped character in Onedata token"),
        (format!("{good}="), "unescaped character in Onedata token"),
        (format!("{good} "), "invalid character in Onedata token"),
        (format!("{good}é"), "invalid character in Onedata token"),
        // Escapes that decode to the standard alphabet are not base64url.
        (
            format!("{good}03"),
            "invalid base64url (unpadded, URL-safe alphabet)",
        ),
        (
            format!("{good}05"),
            "invalid base64url (unpadded, URL-safe alphabet)",
        ),
    ] {
        let err = Token::from_text(&text, &Limits::default()).expect_err(&text);
        assert_eq!(err.id(), "badToken");
        assert_eq!(err.details()["reason"], reason, "{text}");
    }
}

#[test]
fn non_canonical_base64_is_rejected() {
    // One raw byte more than a multiple of three leaves four unused bits in the last character;
    // setting them gives another text for the same bytes.
    let mut raw = packets(ID, &[]).concat();
    raw.push(b'\n');
    let b64 = URL_SAFE_NO_PAD.encode(&raw);
    assert_eq!(raw.len() % 3, 1);
    let mut chars: Vec<char> = b64.chars().collect();
    let last = chars.pop().expect("char");
    // The canonical last characters have their four low bits clear; the next one does not.
    let bumped = match last {
        'A' => 'B',
        'Q' => 'R',
        'g' => 'h',
        'w' => 'x',
        other => panic!("not a canonical last character: {other}"),
    };
    chars.push(bumped);
    let text = escape(&chars.into_iter().collect::<String>());
    let err = Token::from_text(&text, &Limits::default()).expect_err("non-canonical");
    assert_eq!(
        err.details()["reason"],
        "invalid base64url (unpadded, URL-safe alphabet)"
    );
}

#[test]
fn packet_lengths_are_strict() {
    // An identifier of 26 bytes makes a packet of 0x2a bytes: a length with a hex letter.
    let p = packets("2/nmd/usr-alice/act/tok123", &["time < 100"]);
    let upper = {
        let mut raw = p.concat();
        // The identifier packet's length has a hex letter (0x20 + 4 + …): make it uppercase.
        let at = p[0].len();
        let digits = String::from_utf8(raw[at..at + 4].to_vec()).expect("digits");
        assert!(digits.bytes().any(|b| b.is_ascii_lowercase()), "{digits}");
        raw[at..at + 4].copy_from_slice(digits.to_uppercase().as_bytes());
        raw
    };
    assert_eq!(
        bad_reason(&upper),
        "packet length must be 4 lowercase hex digits"
    );
    let mut longer = p.concat();
    longer[3] += 1; // location packet claims one byte more: it now ends on the next packet's first digit
    assert_eq!(bad_reason(&longer), "packet does not end with a newline");
    let mut shorter = p.concat();
    shorter[3] -= 1;
    assert_eq!(bad_reason(&shorter), "packet does not end with a newline");
    let mut past_end = p.concat();
    let sig_at = past_end.len() - p[3].len();
    past_end[sig_at..sig_at + 4].copy_from_slice(b"ffff");
    assert_eq!(bad_reason(&past_end), "packet length exceeds the input");
    let tiny = [p[0].clone(), b"0005x".to_vec()].concat();
    assert_eq!(bad_reason(&tiny), "packet too short");
    let nokey = [p[0].clone(), b"0008abc\n".to_vec()].concat();
    assert_eq!(bad_reason(&nokey), "packet has no key");
    let truncated = &p.concat()[..p[0].len() + 2];
    assert_eq!(bad_reason(truncated), "truncated packet length");
    assert_eq!(bad_reason(b""), "missing location packet");
}

#[test]
fn packet_keys_and_order_are_strict() {
    let p = packets(ID, &["time < 100"]);
    let (loc, id, cid, sig) = (
        p[0].as_slice(),
        p[1].as_slice(),
        p[2].as_slice(),
        p[3].as_slice(),
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            [id, cid, sig].concat(),
            "duplicate or misplaced identifier packet",
        ),
        ([loc, cid, sig].concat(), "missing identifier packet"),
        ([loc, sig].concat(), "missing identifier packet"),
        ([loc].concat(), "missing identifier packet"),
        ([loc, id, cid].concat(), "missing signature packet"),
        (
            [loc, loc, id, cid, sig].concat(),
            "duplicate or misplaced location packet",
        ),
        (
            [loc, id, id, cid, sig].concat(),
            "duplicate or misplaced identifier packet",
        ),
        (
            [loc, id, cid, loc, sig].concat(),
            "duplicate or misplaced location packet",
        ),
        (
            [loc, id, cid, sig, sig].concat(),
            "data after the signature packet",
        ),
        (
            [loc, id, cid, sig, cid].concat(),
            "data after the signature packet",
        ),
        (
            [loc, id, &packet("vid", b"x"), sig].concat(),
            "third-party caveats are not supported",
        ),
        (
            [loc, id, &packet("cl", b"x"), sig].concat(),
            "third-party caveats are not supported",
        ),
        (
            [loc, id, &packet("foo", b"x"), sig].concat(),
            "unknown packet key",
        ),
        (
            [loc, id, &packet("signature", &[7; 31])[..]].concat(),
            "signature must be 32 bytes",
        ),
        (
            [loc, id, &packet("signature", &[7; 33])[..]].concat(),
            "signature must be 32 bytes",
        ),
        (
            [loc, id, cid, sig]
                .concat()
                .into_iter()
                .chain(*b"\n")
                .collect(),
            "truncated packet length",
        ),
    ];
    for (raw, reason) in cases {
        assert_eq!(bad_reason(&raw), reason);
    }
}

#[test]
fn identifier_and_location_are_strict() {
    let with_id = |id: &str| -> Vec<u8> { packets(id, &[]).concat() };
    for (id, reason) in [
        ("1/nmd/usr-alice/act/tok1", "unsupported identifier version"),
        (
            "02/nmd/usr-alice/act/tok1",
            "unsupported identifier version",
        ),
        (
            "2/nmd/usr-alice/act",
            "identifier is not 2/<persistence>/<subject>/<type>/<id>",
        ),
        (
            "2/nmd/usr-alice/act/tok1/x",
            "identifier is not 2/<persistence>/<subject>/<type>/<id>",
        ),
        (
            "tok1",
            "identifier is not 2/<persistence>/<subject>/<type>/<id>",
        ),
        ("2/tmp-07/usr-alice/act/tok1", "unknown persistence"),
        ("2/tmp-/usr-alice/act/tok1", "unknown persistence"),
        ("2/tmp--1/usr-alice/act/tok1", "unknown persistence"),
        (
            "2/tmp-18446744073709551616/usr-alice/act/tok1",
            "unknown persistence",
        ),
        ("2/named/usr-alice/act/tok1", "unknown persistence"),
        ("2/nmd/grp-alice/act/tok1", "bad subject"),
        ("2/nmd/usr-/act/tok1", "bad subject"),
        ("2/nmd/alice/act/tok1", "bad subject"),
        ("2/nmd/usr-alice/act:/tok1", "bad session id"),
        ("2/nmd/usr-alice/acc/tok1", "unknown token type"),
        ("2/nmd/usr-alice/idn:x/tok1", "unknown token type"),
        ("2/nmd/usr-alice/ujs:s1/tok1", "unknown token type"),
        ("2/nmd/usr-alice/ujs:s1::/tok1", "unknown token type"),
        ("2/nmd/usr-alice/xyz:s1:/tok1", "unknown invite type"),
        ("2/nmd/usr-alice/ujs::/tok1", "bad invite target"),
        ("2/nmd/usr-alice/ujs:s1:a b/tok1", "bad invite parameters"),
        ("2/nmd/usr-alice/act/", "bad token id"),
        ("2/nmd/usr-alice/act/tok 1", "bad token id"),
    ] {
        assert_eq!(bad_reason(&with_id(id)), reason, "{id}");
    }
    let mut bad_location = packets(ID, &[]);
    bad_location[0] = packet("location", b"zone example");
    assert_eq!(
        bad_reason(&bad_location.concat()),
        "location breaks the charset or length rules"
    );
    bad_location[0] = packet("location", b"");
    assert_eq!(
        bad_reason(&bad_location.concat()),
        "location breaks the charset or length rules"
    );
    bad_location[0] = packet("location", &[0xff]);
    assert_eq!(bad_reason(&bad_location.concat()), "location is not UTF-8");
    let mut bad_utf8 = packets(ID, &[]);
    bad_utf8[1] = packet("identifier", b"2/nmd/usr-alice/act/tok\xff");
    assert_eq!(bad_reason(&bad_utf8.concat()), "identifier is not UTF-8");
}

#[test]
fn limits_are_enforced_before_anything_else() {
    let limits = Limits {
        max_token_bytes: 400,
        max_caveats: 2,
        max_caveat_bytes: 20,
        max_identifier_bytes: 30,
    };
    let decode = |raw: &[u8]| Token::from_bytes_as(Format::Onedata, raw, &limits);
    let ok = packets(ID, &["time < 1", "time < 2"]).concat();
    decode(&ok).expect("within the limits");
    let err = decode(&packets(ID, &["time < 1", "time < 2", "time < 3"]).concat())
        .expect_err("three caveats");
    assert_eq!(
        (err.id(), err.details()["limit"].clone()),
        ("tokenTooLarge", "caveats".into())
    );
    let err = decode(&packets(ID, &["time < 100000000000000000"]).concat()).expect_err("long");
    assert_eq!(err.details()["limit"], "caveatSize");
    let err = decode(&packets("2/nmd/usr-alice/act/tok1-with-a-long-id", &[]).concat())
        .expect_err("long identifier");
    assert_eq!(err.details()["limit"], "identifierSize");
    let err = decode(&[ok.clone(), vec![b'x'; 400]].concat()).expect_err("big");
    assert_eq!(err.details()["limit"], "size");
    // The text form is refused by length before it is decoded.
    let long_text = format!("MDA{}", "A".repeat(limits.max_text_len()));
    let err = Token::from_text(&long_text, &limits).expect_err("text too long");
    assert_eq!(err.id(), "tokenTooLarge");
    // A token that fits decodes from text too, escape expansion included.
    Token::from_text(&text_of(&ok), &limits).expect("fits");
}

#[test]
fn caveat_texts_must_be_canonical() {
    let token = Token::mint_as(Format::Onedata, &key(), &access(), &[]).expect("mint");
    for text in [
        "ip = 10.0.0.1",
        "time < 0100",
        "asn = 1|",
        "asn = 01",
        "geo.country = pl",
        "geo.country  = PL",
        "geo.region = europe",
        "service = ozw-onezone|",
        "consumer = usr-",
        "interface = REST",
        "api = all/all/*.*.*",
        "data.readonly ",
        "data.path = L3MxL2Rpcg",
        "data.objectid = xyz",
        "authorization = None",
        "no such caveat",
        "time < 100\n",
    ] {
        let bad = token.attenuate_raw(text.as_bytes()).expect("attenuate");
        let err = Verifier::new()
            .verify_text(&bad.to_text(), &key(), &Context::at(0))
            .expect_err(text);
        assert_eq!(err.id(), "tokenCaveatUnknown", "{text:?}");
        assert_eq!(err.details()["index"], 0);
        assert_eq!(err.details()["caveat"], text);
    }
    let bad = token.attenuate_raw(&[0xff, 0xfe]).expect("attenuate");
    let err = Verifier::new()
        .verify(bad, &key(), &Context::at(0))
        .expect_err("not UTF-8");
    assert_eq!(err.id(), "tokenCaveatUnknown");
}

#[test]
fn caveat_packets_are_bounded() {
    let token = Token::mint_as(Format::Onedata, &key(), &access(), &[]).expect("mint");
    token
        .attenuate_raw(&vec![b'a'; 0xffff - 9])
        .expect("the largest caveat a packet holds");
    let err = token
        .attenuate_raw(&vec![b'a'; 0xffff - 8])
        .expect_err("one byte too many");
    assert_eq!(err.id(), "badValueCaveat");
}

#[test]
fn the_location_is_not_covered_by_the_signature() {
    // libmacaroons never MACs the location: a changed location still verifies. Callers must
    // not trust `Identifier::location` of an Onedata token.
    let mut p = packets(ID, &[]);
    p[0] = packet("location", b"elsewhere.example.com");
    let token = decode_raw(&p.concat()).expect("decodes");
    let ok = Verifier::new()
        .verify(token, &key(), &Context::at(0))
        .expect("verifies");
    assert_eq!(ok.identifier().location, "elsewhere.example.com");
}

#[test]
fn truncated_and_mutated_texts_never_panic_and_never_verify() {
    let token = Token::mint_as(
        Format::Onedata,
        &key(),
        &access(),
        &[
            Caveat::time(100),
            Caveat::from_text("asn = 1|2").expect("asn"),
        ],
    )
    .expect("mint");
    let text = token.to_text();
    let verifier = Verifier::new();
    for end in 0..text.len() {
        if let Ok(t) = Token::from_text(&text[..end], &Limits::default()) {
            assert!(
                verifier.check_signature(&t, &key()).is_err(),
                "prefix {end}"
            );
        }
    }
    let bytes = token.as_bytes();
    for i in 0..bytes.len() {
        for bit in [0x01u8, 0x20, 0x80] {
            let mut raw = bytes.to_vec();
            raw[i] ^= bit;
            if let Ok(t) = decode_raw(&raw) {
                let unchanged_meaning = i < 4 + "location ".len() + "zone.example.com".len() + 1;
                if !unchanged_meaning {
                    assert!(
                        verifier.check_signature(&t, &key()).is_err(),
                        "byte {i} bit {bit:#x}"
                    );
                }
            }
        }
    }
}

mod totality {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Token {
        Token::mint_as(
            Format::Onedata,
            &key(),
            &access(),
            &[
                Caveat::time(8_374_891_234),
                Caveat::from_text("geo.region != Asia|EU").expect("caveat"),
                Caveat::from_text("data.path = L3MxL2Rpcg==").expect("caveat"),
            ],
        )
        .expect("mint")
    }

    proptest! {
        /// Any bytes: a value or an error, never a panic; what decodes re-encodes identically.
        #[test]
        fn arbitrary_binaries(raw in prop::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(t) = decode_raw(&raw) {
                prop_assert_eq!(t.as_bytes(), raw.as_slice());
            }
        }

        /// Any text after the Onedata prefix: the same.
        #[test]
        fn arbitrary_texts(body in "[A-Za-z0-9_=+/-]{0,200}") {
            let text = format!("MDA{body}");
            if let Ok(t) = Token::from_text(&text, &Limits::default()) {
                prop_assert_eq!(t.to_text(), text);
            }
        }

        /// A real token with some bytes of its binary form changed: never a panic, a decodable
        /// result is canonical, and it never verifies unless only the location changed.
        #[test]
        fn mutated_tokens(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
            let token = sample();
            let mut raw = token.as_bytes().to_vec();
            for (at, byte) in &edits {
                let i = at.index(raw.len());
                raw[i] = *byte;
            }
            prop_assume!(raw != token.as_bytes());
            if let Ok(t) = decode_raw(&raw) {
                prop_assert_eq!(t.as_bytes(), raw.as_slice());
                let text = t.to_text();
                let again = Token::from_text(&text, &Limits::default()).expect("re-decodes");
                prop_assert_eq!(again.as_bytes(), raw.as_slice());
                let same_chain = t.identifier_bytes() == token.identifier_bytes()
                    && t.caveat_bytes().eq(token.caveat_bytes())
                    && t.tag().as_bytes() == token.tag().as_bytes();
                prop_assert_eq!(
                    Verifier::new().check_signature(&t, &key()).is_ok(),
                    same_chain
                );
            }
        }
    }
}

/// The verifier reads native caveat bytes in place only in native tokens: an Onedata token
/// whose caveat holds the native encoding of `time < u64::MAX` is not a time caveat there, and
/// must be refused, not cleared.
#[test]
fn native_caveat_bytes_in_an_onedata_token_are_not_read_as_native() {
    use caveat_token::{
        Caveat, Context, Format, Identifier, Persistence, RootKey, Subject, TokenType, Verifier,
    };
    let key = RootKey::from_bytes(b"verySecretSecret1").expect("key");
    let identifier = Identifier {
        location: "zone.example.com".into(),
        key_id: None,
        token_id: "tok1".into(),
        subject: Subject::User("alice".into()),
        token_type: TokenType::Access { session: None },
        persistence: Persistence::Named,
    };
    let native_time = Caveat::time(u64::MAX).to_native();
    let token = Token::mint_as(Format::Onedata, &key, &identifier, &[])
        .expect("mint")
        .attenuate_raw(&native_time)
        .expect("attenuate");
    let err = Verifier::new()
        .verify(token, &key, &Context::at(1))
        .expect_err("not an Onedata caveat");
    assert!(
        matches!(
            err.id(),
            "tokenCaveatUnknown" | "badToken" | "tokenCaveatUnverified"
        ),
        "{err:?}"
    );
    // The same bytes in a native token are the time caveat, and hold.
    let native = Token::mint(&key, &identifier, &[])
        .expect("mint")
        .attenuate_raw(&native_time)
        .expect("attenuate");
    let verified = Verifier::new()
        .verify(native, &key, &Context::at(1))
        .expect("holds");
    assert_eq!(verified.expires(), Some(u64::MAX));
}

/// A key and a named access token's identifier, for the Onedata tests below.
fn onedata_key_and_access_id() -> (caveat_token::RootKey, caveat_token::Identifier<'static>) {
    use caveat_token::{Identifier, Persistence, RootKey, Subject, TokenType};
    let key = RootKey::from_bytes(b"secret").expect("key");
    let id = Identifier {
        location: "zone.example.com".into(),
        key_id: None,
        token_id: "tok1".into(),
        subject: Subject::User("alice".into()),
        token_type: TokenType::Access { session: None },
        persistence: Persistence::Named,
    };
    (key, id)
}

/// An Onedata text may be longer than any native text within the same limits (the escape can
/// double it): the text bound is the larger of the two formats'.
#[test]
fn an_onedata_text_longer_than_any_native_text_decodes() {
    let (key, id) = onedata_key_and_access_id();
    // Bytes whose base64 is all `0`, which Onedata's escape doubles.
    let zeros: Vec<u8> = [0xd3, 0x4d, 0x34].repeat(300);
    let mut t = Token::mint_as(caveat_token::Format::Onedata, &key, &id, &[]).expect("mint");
    for _ in 0..12 {
        t = t.attenuate_raw(&zeros).expect("caveat");
    }
    let limits = Limits::default();
    let text = t.to_text();
    let native_bound = limits.max_token_bytes.div_ceil(3) * 4 + 5;
    assert!(t.as_bytes().len() <= limits.max_token_bytes);
    assert!(
        text.len() > native_bound,
        "{} <= {native_bound}",
        text.len()
    );
    let back = Token::from_text(&text, &limits).expect("decodes");
    assert_eq!(back.as_bytes(), t.as_bytes());
}

/// Onedata limits refuse only what exceeds them: an identifier of exactly
/// `max_identifier_bytes` and a caveat of exactly `max_caveat_bytes` decode.
#[test]
fn onedata_limits_are_inclusive() {
    let (key, id) = onedata_key_and_access_id();
    let t = Token::mint_as(caveat_token::Format::Onedata, &key, &id, &[])
        .expect("mint")
        .attenuate_raw(&[b'a'; 40])
        .expect("caveat");
    let id_len = t.identifier_bytes().len();
    let exact = Limits {
        max_identifier_bytes: id_len,
        max_caveat_bytes: 40,
        ..Limits::default()
    };
    Token::from_text(&t.to_text(), &exact).expect("limits are inclusive");
    let under_id = Limits {
        max_identifier_bytes: id_len - 1,
        ..exact
    };
    let e = Token::from_text(&t.to_text(), &under_id).expect_err("identifier");
    assert_eq!(e.details()["limit"], "identifierSize");
    let under_caveat = Limits {
        max_caveat_bytes: 39,
        ..exact
    };
    let e = Token::from_text(&t.to_text(), &under_caveat).expect_err("caveat");
    assert_eq!(e.details()["limit"], "caveatSize");
}

/// Every one of Onedata's six escapes is understood (`04` is `+`, `03` is `/`, `05` is `=`),
/// even those whose character base64url then refuses: the refusal names base64, not the escape.
#[test]
fn every_onedata_escape_is_understood() {
    for escape in ["03", "04", "05"] {
        let text = format!("MDAy{escape}AA");
        let e = Token::from_text(&text, &Limits::default()).expect_err(&text);
        assert_eq!(e.id(), "badToken");
        assert_ne!(
            e.details()["reason"],
            "invalid escape (0 must be followed by 0-5)",
            "{text}"
        );
    }
    let e = Token::from_text("MDAy06AA", &Limits::default()).expect_err("06");
    assert_eq!(
        e.details()["reason"],
        "invalid escape (0 must be followed by 0-5)"
    );
}
