//! Small helpers shared by the targets: structured decoding, decode-error checks, caveat form
//! round trips and the checks every decoded token must pass.

use super::*;

/// Decodes a structured input as `libfuzzer_sys::fuzz_target!` does: too short for the type's
/// minimum size is skipped, otherwise `arbitrary_take_rest`.
pub(crate) fn structured<'a, T: Arbitrary<'a>>(data: &'a [u8]) -> Option<T> {
    if data.len() < T::size_hint(0).0 {
        return None;
    }
    T::arbitrary_take_rest(Unstructured::new(data)).ok()
}

pub(crate) fn assert_decode_error(e: &Error, what: &str) {
    assert!(
        matches!(e.id(), "badToken" | "tokenTooLarge"),
        "{what}: a decoder answered with {} ({e})",
        e.id()
    );
    // The JSON form must always be producible.
    assert_eq!(e.to_json()["error"]["id"], e.id());
}

/// A fixed token to which arbitrary caveat bytes are appended, to reach the native caveat
/// decoder through the public API.
pub(crate) fn carrier() -> &'static Token {
    static CARRIER: OnceLock<Token> = OnceLock::new();
    CARRIER.get_or_init(|| {
        let id = identifier(
            None,
            Subject::User("carrier".into()),
            TokenType::Identity,
            Persistence::Named,
        );
        Token::mint(key_a(), &id, &[]).expect("carrier mints")
    })
}

/// Decodes native caveat bytes with the library; `None` when it does not understand them.
/// Whatever decodes must re-encode to the identical bytes (one value, one encoding). A native
/// third-party caveat (kind 15) is refused by `attenuate_raw`, and only it.
pub(crate) fn native_caveat(bytes: &[u8]) -> Option<Caveat> {
    let third_party = reference_native_third_party(bytes).is_some();
    let token = match carrier().attenuate_raw(bytes) {
        Ok(t) => {
            assert!(!third_party, "attenuate_raw took a third-party caveat");
            t
        }
        Err(e) => {
            assert!(third_party, "attenuate_raw refused {bytes:02x?}: {e}");
            assert_eq!(e.id(), "badValueCaveat");
            return None;
        }
    };
    let last = token
        .untrusted_caveats()
        .last()
        .expect("one caveat was appended");
    match last {
        Ok(c) => {
            assert_eq!(
                c.to_native(),
                bytes,
                "native caveat {bytes:02x?} decoded to {c:?}, which encodes differently"
            );
            Some(c)
        }
        Err(e) => {
            assert_eq!(e.id(), "tokenCaveatUnknown", "undecodable caveat: {e}");
            None
        }
    }
}

/// Every form of a caveat round-trips to an equal caveat: JSON (as a value and as text), the
/// text form, and the native bytes.
pub(crate) fn caveat_forms_roundtrip(c: &Caveat) {
    let json = c.to_json();
    let from_json = Caveat::from_json(&json).expect("a caveat's JSON form parses");
    assert_eq!(&from_json, c, "JSON round trip of {json}");
    let from_json_text =
        Caveat::from_json_str(&json.to_string()).expect("a caveat's JSON text parses");
    assert_eq!(&from_json_text, c, "JSON text round trip of {json}");
    assert_eq!(from_json.to_json(), json, "JSON form is a fixed point");

    let text = c.to_text();
    assert_eq!(c.to_string(), text, "Display is the text form");
    let from_text = Caveat::from_text(&text).expect("a caveat's text form parses");
    assert_eq!(&from_text, c, "text round trip of {text:?}");
    assert_eq!(from_text.to_text(), text, "text form is a fixed point");

    let native = c.to_native();
    assert_eq!(
        native_caveat(&native).as_ref(),
        Some(c),
        "native round trip of {c:?}"
    );
}

/// Both caveat parsers on one string: whatever parses round-trips; failures are
/// `badValueCaveat`.
pub(crate) fn caveat_parsers(s: &str) {
    match Caveat::from_json_str(s) {
        Ok(c) => caveat_forms_roundtrip(&c),
        Err(e) => assert_eq!(e.id(), "badValueCaveat", "from_json_str({s:?}): {e}"),
    }
    match Caveat::from_text(s) {
        Ok(c) => caveat_forms_roundtrip(&c),
        Err(e) => assert_eq!(e.id(), "badValueCaveat", "from_text({s:?}): {e}"),
    }
}

/// What must hold of any token that decoded: its parts are views of its bytes, its identifier
/// re-encodes to the identical bytes (native and Onedata; libmacaroons identifiers are opaque),
/// each caveat that decodes re-encodes to its bytes (native encoding, or canonical text), and
/// its text form decodes back to the same format and bytes.
pub(crate) fn check_decoded(t: &Token) {
    let format = t.format();
    assert_eq!(t.caveat_count(), t.caveat_bytes().len());
    let vids = third_party_vids(t);
    match format {
        Format::Native | Format::Onedata => {
            let id = t
                .untrusted_identifier()
                .expect("a decoded token's identifier parses");
            // Minting with the parsed identifier writes the canonical encoding: the same bytes.
            let reminted = caveat_token::hazmat::mint_unchecked(format, key_a(), &id, &[])
                .expect("a decoded identifier is valid");
            assert_eq!(
                reminted.identifier_bytes(),
                t.identifier_bytes(),
                "identifier {id:?} re-encodes differently"
            );
            if format == Format::Native {
                assert!(
                    t.as_bytes().ends_with(t.tag().as_bytes()),
                    "the tag ends the token"
                );
                assert!(t.untrusted_location().is_none());
            } else {
                assert_eq!(
                    t.untrusted_location(),
                    Some(id.location.as_ref()),
                    "an Onedata identifier's location is the location packet"
                );
            }
        }
        _ => {
            let e = t
                .untrusted_identifier()
                .expect_err("libmacaroons identifiers are opaque");
            assert_eq!(e.id(), "badToken");
            assert!(!t.identifier_bytes().is_empty(), "empty identifier decoded");
        }
    }
    for ((bytes, parsed), vid) in t.caveat_bytes().zip(t.untrusted_caveats()).zip(&vids) {
        match parsed {
            Ok(c) => {
                assert!(vid.is_none(), "a third-party caveat decoded as {c:?}");
                if format == Format::Native {
                    assert_eq!(c.to_native(), bytes, "caveat {c:?} re-encodes differently");
                } else {
                    assert_eq!(
                        c.to_text().as_bytes(),
                        bytes,
                        "caveat {c:?} is not its canonical text"
                    );
                }
                caveat_forms_roundtrip(&c);
            }
            Err(e) => assert_eq!(e.id(), "tokenCaveatUnknown", "{e}"),
        }
    }
    // The text form decodes back to the same token, in every format, and is a fixed point.
    let text = t.to_text();
    let again = Token::from_text(&text, &Limits::default()).expect("a token's own text decodes");
    assert_eq!(
        again.format(),
        format,
        "text form of {format:?} detected as another format"
    );
    assert_eq!(
        again.as_bytes(),
        t.as_bytes(),
        "text of a {format:?} token decodes back"
    );
    assert_eq!(again.to_text(), text, "text form is a fixed point");
    if format.is_macaroon() {
        let m = Token::from_macaroon_text(&text, &Limits::default())
            .expect("a macaroon's own text decodes as a macaroon");
        assert_eq!((m.format(), m.as_bytes()), (format, t.as_bytes()));
    }
    // And the binary form decodes back under its format.
    let bin = Token::from_bytes_as(format, t.as_bytes(), &Limits::default())
        .expect("a token's own bytes decode");
    assert_eq!(bin.as_bytes(), t.as_bytes());
    assert_eq!(bin.to_text(), text);
}
