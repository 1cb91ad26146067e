//! Tests written for mutants that cargo-mutants found surviving the rest of the suite
//! (docs/TESTING.md): each pins down a behaviour no other test checked.

use caveat_token::{Error, Limits, Token};

fn bad(reason: &'static str) -> Error {
    Error::BadToken { reason }
}

/// `cvtN_` with a number N other than 1 is a native token of another version; anything else
/// that merely starts with `cvt` is an unknown format.
#[test]
fn only_cvt_digits_underscore_names_another_native_version() {
    let limits = Limits::default();
    for text in ["cvt2_AAAA", "cvt0_AAAA", "cvt10_AAAA", "cvt99999_"] {
        assert_eq!(
            Token::from_text(text, &limits).expect_err(text),
            bad("unsupported version"),
            "{text}"
        );
    }
    for text in [
        "cvt_AAAA",
        "cvt2AAAA",
        "cvt2",
        "cvtx_AAAA",
        "cvt",
        "cvt-2_AAAA",
    ] {
        assert_eq!(
            Token::from_text(text, &limits).expect_err(text),
            bad("unknown token format"),
            "{text}"
        );
    }
}

/// The envelope up to the caveat array: `[1, h'78', ` then the caveat count `n` and `rest`.
fn envelope(n: u8, rest: &[u8]) -> Vec<u8> {
    assert!(n < 24, "one-byte array head");
    let mut raw = vec![0x84, 0x01, 0x41, b'x', 0x80 | n];
    raw.extend_from_slice(rest);
    raw
}

/// A caveat count larger than the bytes left is a lie and reported as truncation, before the
/// caveat limit; a count the remaining bytes could hold is checked against the limit first.
#[test]
fn a_caveat_count_is_checked_against_the_remaining_bytes_then_the_limit() {
    let one = Limits {
        max_caveats: 1,
        ..Limits::default()
    };
    let too_many = Error::TokenTooLarge {
        limit: "caveats",
        max: 1,
    };
    // Three caveats declared, one byte left.
    let lie = envelope(3, &[0x40]);
    assert_eq!(
        Token::from_bytes(&lie, &one).expect_err("lie"),
        bad("truncated")
    );
    assert_eq!(
        Token::from_bytes(&lie, &Limits::default()).expect_err("lie"),
        bad("truncated")
    );
    // Two caveats declared, two (empty) caveats present: over a limit of one.
    let two = envelope(2, &[0x40, 0x40]);
    assert_eq!(Token::from_bytes(&two, &one).expect_err("limit"), too_many);
    // Under the default limit the same bytes fail later, on the missing tag.
    assert_eq!(
        Token::from_bytes(&two, &Limits::default()).expect_err("no tag"),
        bad("truncated")
    );
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

/// Each kind of data-access caveat restricts on its own.
#[test]
fn any_one_data_access_caveat_makes_access_restricted() {
    use caveat_token::caveat::{DataObjectIdCaveat, DataPathCaveat};
    use caveat_token::verify::DataAccess;
    let path = DataPathCaveat::new(vec!["/space1/dir".to_owned()]).expect("path");
    let object = DataObjectIdCaveat::new(vec!["0000000000ABCDEF".to_owned()]).expect("object id");
    assert!(!DataAccess::default().is_restricted());
    assert!(DataAccess::default().allows_write());
    let cases = [
        DataAccess {
            readonly: true,
            ..DataAccess::default()
        },
        DataAccess {
            paths: vec![path],
            ..DataAccess::default()
        },
        DataAccess {
            objectids: vec![object],
            ..DataAccess::default()
        },
    ];
    for access in cases {
        assert!(access.is_restricted(), "{access:?}");
        // Only `data.readonly` forbids writes.
        assert_eq!(access.allows_write(), !access.readonly, "{access:?}");
    }
}

/// An `ip` entry's prefix length must be 1 to 3 decimal digits without a leading zero ("bad
/// prefix length"); a well-formed one beyond the family's width is "too long".
#[test]
fn ip_prefix_lengths_are_checked_for_form_then_width() {
    use caveat_token::caveat::IpCaveat;
    let bad = |reason| Error::BadValueCaveat {
        key: "whitelist".into(),
        reason,
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
