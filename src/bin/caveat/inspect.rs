//! `caveat inspect`: what a token says about itself, without verifying it.

use std::ffi::OsString;

use caveat_token::{Limits, Token};
use clap::Args;
use serde_json::{json, Value};

use crate::args::token_text;
use crate::render::{bytes_json, third_party_json, unknown_caveat};
use crate::Failure;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The token's text form, or - to read it from stdin.
    #[arg(value_name = "TOKEN")]
    token: OsString,
}

/// `caveat inspect`: the identifier, caveats and tag, marked `"unverified":true`.
pub fn inspect(args: &InspectArgs) -> Result<Value, Failure> {
    let limits = Limits::default();
    let text = token_text(args.token.clone(), &limits)?;
    let token = Token::from_text(&text, &limits).map_err(Failure::Rejected)?;
    if token.format().is_macaroon() {
        return Ok(inspect_macaroon(&token));
    }
    let identifier = token.untrusted_identifier().map_err(Failure::Rejected)?;
    let caveats: Vec<Value> = token
        .caveat_bytes()
        .zip(token.untrusted_caveats())
        .enumerate()
        .map(|(index, (bytes, caveat))| match caveat {
            Ok(c) => c.to_json(),
            Err(_) if token.is_third_party(index) => third_party_json(&token, index),
            Err(_) => unknown_caveat(token.format(), bytes),
        })
        .collect();
    Ok(json!({
        "unverified": true,
        "format": token.format().name(),
        "identifier": identifier.to_json(),
        "caveats": caveats,
        "tag": token.tag().to_hex(),
    }))
}

/// `caveat inspect` of a macaroon-format token: opaque identifier, untrusted location,
/// predicates (typed ones as JSON too) and third-party caveats.
fn inspect_macaroon(token: &Token) -> Value {
    let (identifier, identifier_hex) = bytes_json(token.identifier_bytes());
    let caveats: Vec<Value> = token
        .caveat_bytes()
        .zip(token.untrusted_caveats())
        .enumerate()
        .map(|(index, (bytes, caveat))| {
            if token.is_third_party(index) {
                return third_party_json(token, index);
            }
            match (caveat, std::str::from_utf8(bytes)) {
                (Ok(c), Ok(text)) => json!({ "predicate": text, "caveat": c.to_json() }),
                (Err(_), Ok(text)) => json!({ "predicate": text }),
                (_, Err(_)) => json!({ "unknown": hex::encode(bytes) }),
            }
        })
        .collect();
    json!({
        "unverified": true,
        "format": token.format().name(),
        "identifier": identifier,
        "identifierHex": identifier_hex,
        "location": token.untrusted_location(),
        "caveats": caveats,
        "tag": token.tag().to_hex(),
    })
}
