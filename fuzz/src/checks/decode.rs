//! Target `decode`: arbitrary bytes into every decoder.

use super::*;

/// Limits small enough that the fuzzer reaches each of them.
pub(crate) const SMALL_LIMITS: Limits = Limits {
    max_token_bytes: 600,
    max_caveats: 4,
    max_caveat_bytes: 64,
    max_identifier_bytes: 200,
};

/// Every format, for the binary decoders.
pub(crate) const FORMATS: [Format; 5] = [
    Format::Native,
    Format::Onedata,
    Format::MacaroonV1,
    Format::MacaroonV2,
    Format::MacaroonV2J,
];

/// Target `decode`: the bytes go into every binary decoder (`Token::from_bytes_as` for each
/// format), their text (lossy UTF-8) into `Token::from_text` and `Token::from_macaroon_text`;
/// nothing panics; whatever decodes re-encodes to the identical bytes (and, for the native and
/// Onedata formats, whose text is canonical, to the identical text).
pub fn decode(data: &[u8]) {
    let limits = Limits::default();

    for format in FORMATS {
        match Token::from_bytes_as(format, data, &limits) {
            Ok(t) => {
                assert_eq!(t.format(), format, "from_bytes_as keeps the format");
                assert_eq!(t.as_bytes(), data, "binary decode keeps the bytes");
                check_decoded(&t);
            }
            Err(e) => assert_decode_error(&e, "from_bytes_as"),
        }
        // Tighter limits never accept more, and accept the same thing.
        if let Ok(t) = Token::from_bytes_as(format, data, &SMALL_LIMITS) {
            let wide = Token::from_bytes_as(format, data, &limits).expect("small limits took it");
            assert_eq!(t.as_bytes(), wide.as_bytes());
        }
    }
    let native = Token::from_bytes(data, &limits).map(|t| t.as_bytes().to_vec());
    let as_native =
        Token::from_bytes_as(Format::Native, data, &limits).map(|t| t.as_bytes().to_vec());
    assert_eq!(
        native.ok(),
        as_native.ok(),
        "from_bytes is from_bytes_as(Native)"
    );

    // Text form: the string itself when it is UTF-8, otherwise its lossy conversion.
    let lossy = String::from_utf8_lossy(data);
    decode_text(&lossy, &limits);

    // The native caveat decoder, through a token carrying these bytes as a caveat.
    if let Some(c) = native_caveat(data) {
        caveat_forms_roundtrip(&c);
    }

    // The caveat parsers.
    caveat_parsers(&lossy);
}

pub(crate) fn decode_text(s: &str, limits: &Limits) {
    let any = Token::from_text(s, limits);
    match &any {
        Ok(t) => {
            if matches!(t.format(), Format::Native | Format::Onedata) {
                assert_eq!(
                    t.to_text(),
                    s,
                    "text decode re-encodes to the identical text"
                );
            }
            check_decoded(t);
        }
        Err(e) => assert_decode_error(e, "from_text"),
    }
    match Token::from_macaroon_text(s, limits) {
        Ok(m) => {
            assert!(
                m.format().is_macaroon(),
                "from_macaroon_text gave {:?}",
                m.format()
            );
            check_decoded(&m);
            // No text is two tokens: from_text reads the same macaroon (SPEC §11.2).
            let t = any
                .as_ref()
                .expect("from_text reads what from_macaroon_text reads");
            assert_eq!((t.format(), t.as_bytes()), (m.format(), m.as_bytes()));
        }
        Err(e) => {
            assert_decode_error(&e, "from_macaroon_text");
            if let Ok(t) = &any {
                assert!(
                    !t.format().is_macaroon(),
                    "from_text read a {:?} macaroon that from_macaroon_text refuses: {e}",
                    t.format()
                );
            }
        }
    }
    if let Ok(t) = Token::from_text(s, &SMALL_LIMITS) {
        let wide = Token::from_text(s, limits).expect("small limits accepted it");
        assert_eq!(t.as_bytes(), wide.as_bytes());
    }
}
