//! What the commands print: the JSON contract or its `--output text` form, warnings and hints on
//! stderr, and the JSON shapes shared by `inspect` and `verify`.

use caveat_token::{DecodeError, ValueError};
use std::io::{self, Write};

use caveat_token::{Error, Format, InviteType, Restrictions, Token};
use clap::ValueEnum;
use serde_json::{json, Value};

/// How results and errors are printed (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// One JSON document on stdout, errors included (the contract of spec/CLI.md).
    Json,
    /// Just the token or key on stdout (for `VAR=$(caveat …)`); `inspect` and `verify` print
    /// their JSON indented. Errors go to stderr as `caveat: <id>: <description>`.
    Text,
}

/// The caveat kinds' JSON `type` names, for the hint on an unknown one.
pub const CAVEAT_TYPES: &[&str] = &[
    "time",
    "ip",
    "inviteType",
    "app",
    "asn",
    "geo.country",
    "geo.region",
    "service",
    "consumer",
    "interface",
    "api",
    "data.readonly",
    "data.path",
    "data.objectid",
    "authorizationNone",
];

/// Writes a line to stderr (nothing sensible is left to do if stderr itself is gone).
pub fn stderr_line(line: &str) {
    let _ = writeln!(io::stderr().lock(), "caveat: {line}");
}

/// A warning on stderr: the command still succeeds.
pub fn warn(message: &str) {
    stderr_line(&format!("warning: {message}"));
}

/// Prints a successful result; `false` if stdout cannot be written.
pub fn result(output: Output, value: &Value) -> bool {
    let text = match output {
        Output::Json => value.to_string(),
        Output::Text => text_of(value),
    };
    let mut out = io::stdout().lock();
    writeln!(out, "{text}").and_then(|()| out.flush()).is_ok()
}

/// The text form of a result: the token or the key alone, else the JSON indented.
fn text_of(value: &Value) -> String {
    for field in ["token", "key"] {
        if let Some(text) = value.get(field).and_then(Value::as_str) {
            return text.to_owned();
        }
    }
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Prints an error: its JSON on stdout (`json`) or one line on stderr (`text`), followed by a
/// hint on stderr when one helps; `false` if stdout cannot be written.
pub fn error(output: Output, error: &Error) -> bool {
    let written = match output {
        Output::Json => {
            let mut out = io::stdout().lock();
            writeln!(out, "{}", error.to_json())
                .and_then(|()| out.flush())
                .is_ok()
        }
        Output::Text => {
            stderr_line(&format!("{}: {error}", error.id()));
            true
        }
    };
    if let Some(hint) = hint(error) {
        stderr_line(&hint);
    }
    written
}

/// What the error's JSON does not say but a person needs: the valid values, or the unit.
pub fn hint(error: &Error) -> Option<String> {
    match error {
        Error::Value(ValueError::InviteType { .. }) => {
            let names: Vec<&str> = InviteType::ALL.iter().map(|t| t.name()).collect();
            Some(format!("valid invite types: {}", names.join(", ")))
        }
        Error::Value(ValueError::Caveat { key, reason }) if key == "type" && *reason != "missing" => Some(
            format!("valid caveat types: {}", CAVEAT_TYPES.join(", ")),
        ),
        Error::Value(ValueError::TokenType { .. }) => Some(
            "a token type is access, access:SESSION, identity or invite:INVITE_TYPE:TARGET[:PARAMS], \
             or Onedata's JSON, e.g. '{\"inviteToken\":{\"inviteType\":\"userJoinCluster\",\"clusterId\":\"c-42\"}}'"
                .to_owned(),
        ),
        Error::Decode(DecodeError::TooLarge { limit, max }) => {
            let unit = if limit.is_count() { "caveats" } else { "bytes" };
            Some(format!("the {limit} limit is {max} {unit}"))
        }
        Error::InDischarge { error, .. } => hint(error),
        _ => None,
    }
}

/// How `inspect` shows a caveat it cannot decode: its bytes as hex, plus the text itself for
/// formats whose caveats are text (Onedata).
pub fn unknown_caveat(format: Format, bytes: &[u8]) -> Value {
    match (format, std::str::from_utf8(bytes)) {
        (Format::Onedata, Ok(text)) => json!({ "unknown": hex::encode(bytes), "text": text }),
        _ => json!({ "unknown": hex::encode(bytes) }),
    }
}

/// Bytes as JSON: the text when they are UTF-8, else `null`, and always the hex.
pub fn bytes_json(bytes: &[u8]) -> (Value, Value) {
    (
        std::str::from_utf8(bytes).map_or(Value::Null, |t| json!(t)),
        json!(hex::encode(bytes)),
    )
}

/// How `inspect` shows a third-party caveat.
pub fn third_party_json(token: &Token, index: usize) -> Value {
    match token
        .untrusted_third_party_caveats()
        .find(|c| c.index == index)
    {
        Some(c) => {
            let (cid, cid_hex) = bytes_json(c.cid);
            json!({"thirdParty": {
                "location": String::from_utf8_lossy(c.location),
                "cid": cid,
                "cidHex": cid_hex,
                "vid": hex::encode(c.vid),
            }})
        }
        None => json!({ "unknown": "" }),
    }
}

/// Caveats that held only because the caller checks each operation against them (`api`,
/// `data.*`), from the token and from every discharge: each caveat's JSON, plus `discharge`
/// (the position of the discharge it sits in) when it is not the token's own.
pub fn deferred_json(restrictions: &Restrictions) -> Vec<Value> {
    restrictions
        .iter()
        .map(|r| {
            let mut caveat = r.caveat().to_json();
            if let (Some(d), Value::Object(map)) = (r.at().discharge, &mut caveat) {
                map.insert("discharge".into(), json!(d));
            }
            caveat
        })
        .collect()
}
