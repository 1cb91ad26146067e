//! Decoding errors of the native format: trailing bytes, oversize input, the `cvtN_` version
//! prefix, and a caveat count checked against the bytes left before the limit.

use caveat_token::{DecodeError, Limit};
use caveat_token::{Error, Limits, Token, Verifier};
use serde_json::json;

use crate::common::*;
use crate::fixtures::*;

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

fn bad_token(reason: &'static str) -> Error {
    Error::Decode(DecodeError::Malformed { reason })
}

/// `cvtN_` with a number N other than 1 is a native token of another version; anything else
/// that merely starts with `cvt` is an unknown format.
#[test]
fn only_cvt_digits_underscore_names_another_native_version() {
    let limits = Limits::default();
    for text in ["cvt2_AAAA", "cvt0_AAAA", "cvt10_AAAA", "cvt99999_"] {
        assert_eq!(
            Token::from_text(text, &limits).expect_err(text),
            bad_token("unsupported version"),
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
            bad_token("unknown token format"),
            "{text}"
        );
    }
}

/// The envelope up to the caveat array: `[1, h'78', ` then the caveat count `n` and `rest`.
fn envelope_head(n: u8, rest: &[u8]) -> Vec<u8> {
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
    let too_many = Error::Decode(DecodeError::TooLarge {
        limit: Limit::Caveats,
        max: 1,
    });
    // Three caveats declared, one byte left.
    let lie = envelope_head(3, &[0x40]);
    assert_eq!(
        Token::from_bytes(&lie, &one).expect_err("lie"),
        bad_token("truncated")
    );
    assert_eq!(
        Token::from_bytes(&lie, &Limits::default()).expect_err("lie"),
        bad_token("truncated")
    );
    // Two caveats declared, two (empty) caveats present: over a limit of one.
    let two = envelope_head(2, &[0x40, 0x40]);
    assert_eq!(Token::from_bytes(&two, &one).expect_err("limit"), too_many);
    // Under the default limit the same bytes fail later, on the missing tag.
    assert_eq!(
        Token::from_bytes(&two, &Limits::default()).expect_err("no tag"),
        bad_token("truncated")
    );
}
