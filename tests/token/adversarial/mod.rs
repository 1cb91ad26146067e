//! The adversarial catalogue: every row is an attack input with the error id the library must
//! answer with. Binary-level inputs are built by hand from the documented envelope layout
//! `[1, bstr identifier, [bstr caveat…], bstr(32) tag]`; ciborium serves as an independent CBOR
//! oracle. The rows are grouped by what they attack: the encoding (`encoding`), the envelope's
//! structure (`structure`), caveat values at clearing (`clearing`), CBOR against ciborium
//! (`cbor_oracle`) and caveat JSON (`caveat_json`); the harness is here.

mod caveat_json;
mod cbor_oracle;
mod clearing;
mod encoding;
mod structure;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use caveat_token::caveat::IpCaveat;
use caveat_token::hazmat as chain;
use caveat_token::{Caveat, Context, InviteType, Limits, Token, Verifier};
use ciborium::Value;
use serde_json::json;

use crate::common::*;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// One attack input.
enum Input {
    /// Binary form, decoded with these limits.
    Bin(Vec<u8>, Limits),
    /// Text form, decoded with these limits.
    Text(String, Limits),
}

fn bin(b: Vec<u8>) -> Input {
    Input::Bin(b, Limits::default())
}

fn text(t: impl Into<String>) -> Input {
    Input::Text(t.into(), Limits::default())
}

/// Limits large enough for the 100k-byte inputs, so that they reach the decoder.
fn big_limits() -> Limits {
    Limits {
        max_token_bytes: 1 << 20,
        max_caveats: 100_000,
        max_caveat_bytes: 1 << 20,
        max_identifier_bytes: 1 << 20,
    }
}

/// What the library answers: decode, then verify under the test key in a context where every
/// ordinary caveat of the base token holds. `"ok"` if it verifies.
fn outcome(input: &Input) -> String {
    let (limits, decoded) = match input {
        Input::Bin(b, l) => (l, Token::from_bytes(b, l)),
        Input::Text(t, l) => (l, Token::from_text(t, l)),
    };
    let result = decoded.and_then(|t| {
        Verifier::new().with_limits(*limits).verify(
            t,
            &key(),
            &Context::at(NOW).with_ip(ip("10.1.2.3")),
        )
    });
    match result {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.id().to_owned(),
    }
}

/// Runs a table of named rows and reports every mismatch at once.
fn run<N: AsRef<str>>(rows: Vec<(N, Input, &str)>) {
    let mut failures = Vec::new();
    for (name, input, expected) in &rows {
        let got = outcome(input);
        if got != *expected {
            failures.push(format!("{}: expected {expected}, got {got}", name.as_ref()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(!rows.is_empty());
}

/// The base token: two ordinary caveats that hold in the harness context.
fn base() -> Token {
    mint(&[
        Caveat::time(NOW + 3600),
        caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#),
    ])
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token whose identifier, caveats and tag are exactly these bytes, correctly MACed under the
/// test key (so that anything wrong with it is found by decoding or clearing, not the MAC).
fn maced(identifier: &[u8], caveats: &[Vec<u8>]) -> Vec<u8> {
    let tag = chain::compute(&key(), identifier, caveats.iter().map(Vec::as_slice));
    envelope(identifier, caveats, tag.as_bytes())
}

#[test]
fn the_harness_accepts_the_base_token() {
    let t = base();
    assert_eq!(outcome(&bin(t.as_bytes().to_vec())), "ok");
    assert_eq!(outcome(&text(t.to_text())), "ok");
    let (id, cavs, _) = parts(&t);
    assert_eq!(outcome(&bin(maced(&id, &cavs))), "ok");
}
