//! The test vectors of `spec/vectors/` (SPEC.md §9).
//!
//! 1. The committed files are byte for byte what `cargo run --example generate_vectors` writes.
//! 2. Independently of the generator, every vector in every file holds through the public API:
//!    the chain's intermediate tags, the decoded bytes, the caveat forms, and the verification
//!    outcome in the vector's context.

#[path = "support/vectors_gen/mod.rs"]
mod vectors_gen;

use std::collections::BTreeSet;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use caveat_token::ERROR_IDS;
use caveat_token::{
    hazmat as chain, Caveat, Context, Expect, Identifier, InviteType, KeyRing, Limits, Persistence,
    RootKey, Subject, Token, TokenType, Verifier,
};
use serde_json::Value;

const REGENERATE: &str = "run `cargo run --example generate_vectors` and commit spec/vectors/";

fn vector_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(vectors_gen::VECTOR_DIR)
}

fn vector_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(vector_dir())
        .expect("spec/vectors exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn committed_vectors_match_the_generator() {
    let generated = vectors_gen::generate().expect("the generator runs");
    assert!(!generated.is_empty());
    for (name, expected) in &generated {
        let path = vector_dir().join(name);
        let actual = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; {REGENERATE}", path.display()));
        if actual != *expected {
            let line = actual
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .map_or_else(
                    || actual.lines().count().min(expected.lines().count()) + 1,
                    |i| i + 1,
                );
            panic!(
                "{} differs from the generator's output (first difference at line {line}); \
                 {REGENERATE}",
                path.display()
            );
        }
    }
}

#[test]
fn generator_is_deterministic() {
    let a = vectors_gen::generate().expect("first run");
    let b = vectors_gen::generate().expect("second run");
    assert!(a == b, "two runs of the generator differ");
}

/// What checking every file found.
#[derive(Default)]
struct Tally {
    token_vectors: usize,
    forms: usize,
    names: BTreeSet<String>,
    error_ids: BTreeSet<String>,
    failures: Vec<String>,
}

#[test]
fn every_vector_holds_through_the_public_api() {
    let mut tally = Tally::default();
    let files = vector_files();
    assert!(!files.is_empty(), "no vector files in spec/vectors");
    for path in files {
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let file = file.unwrap_or_default();
        let doc: Value = serde_json::from_str(&fs::read_to_string(&path).expect("readable"))
            .unwrap_or_else(|e| panic!("{file}: not JSON: {e}"));
        match doc["schema"].as_str() {
            Some("caveat-token/token-vectors/1") => {
                assert_eq!(doc["format"], "native", "{file}: unknown format");
                for v in doc["vectors"].as_array().expect("vectors array") {
                    let name = v["name"].as_str().expect("name").to_owned();
                    tally.token_vectors += 1;
                    if !tally.names.insert(name.clone()) {
                        tally
                            .failures
                            .push(format!("{file}: duplicate name {name}"));
                    }
                    if let Some(id) = v["expected"]["error"].as_str() {
                        tally.error_ids.insert(id.to_owned());
                    }
                    if let Err(e) = check_token_vector(v) {
                        tally.failures.push(format!("{file}: {name}: {e}"));
                    }
                }
            }
            Some("caveat-token/caveat-forms/1") => {
                for f in doc["forms"].as_array().expect("forms array") {
                    let name = f["name"].as_str().expect("name").to_owned();
                    tally.forms += 1;
                    if !tally.names.insert(name.clone()) {
                        tally
                            .failures
                            .push(format!("{file}: duplicate name {name}"));
                    }
                    if let Some(id) = f["expected"]["error"].as_str() {
                        tally.error_ids.insert(id.to_owned());
                    }
                    if let Err(e) = check_form(f) {
                        tally.failures.push(format!("{file}: {name}: {e}"));
                    }
                }
            }
            // The coverage manifest (read by spec/reference/verify_vectors.py) holds no vectors.
            Some("caveat-token/vector-coverage/1") => {}
            other => panic!("{file}: unknown schema {other:?}"),
        }
    }
    assert!(
        tally.failures.is_empty(),
        "{} failing vector(s):\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    assert!(
        tally.token_vectors >= 40,
        "only {} token vectors",
        tally.token_vectors
    );
    assert!(tally.forms > 0, "no caveat forms");
    for id in &tally.error_ids {
        assert!(ERROR_IDS.contains(&id.as_str()), "unknown error id {id}");
    }
    for id in [
        "badToken",
        "tokenTooLarge",
        "tokenInvalid",
        "tokenCaveatUnknown",
        "tokenCaveatUnverified",
        "badValueCaveat",
    ] {
        assert!(tally.error_ids.contains(id), "no vector expects {id}");
    }
}

fn hex_field(v: &Value, key: &str) -> Result<Vec<u8>, String> {
    let s = v[key].as_str().ok_or(format!("{key} is not a string"))?;
    hex::decode(s).map_err(|e| format!("{key}: {e}"))
}

fn check(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

fn check_token_vector(v: &Value) -> Result<(), String> {
    let key =
        RootKey::from_hex(v["key_hex"].as_str().ok_or("key_hex")?).map_err(|e| e.to_string())?;
    let identifier = hex_field(v, "identifier_hex")?;
    let caveats = v["caveats"].as_array().ok_or("caveats")?;
    let caveat_bytes = caveats
        .iter()
        .map(|c| hex_field(c, "hex"))
        .collect::<Result<Vec<_>, _>>()?;

    // The chain: tag_0 … tag_n as listed.
    let tags: Vec<String> = chain::tags(&key, &identifier, caveat_bytes.iter().map(Vec::as_slice))
        .iter()
        .map(chain::Tag::to_hex)
        .collect();
    let listed: Vec<&str> = v["tags"]
        .as_array()
        .ok_or("tags")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    check(tags == listed, || {
        format!("tags {tags:?} != listed {listed:?}")
    })?;

    // Each typed caveat: JSON → bytes and text, text → bytes.
    for (i, c) in caveats.iter().enumerate() {
        if c["json"].is_null() {
            check(c["text"].is_null(), || {
                format!("caveat {i}: text without json")
            })?;
            continue;
        }
        let typed = Caveat::from_json(&c["json"]).map_err(|e| format!("caveat {i}: {e}"))?;
        check(typed.to_json() == c["json"], || {
            format!("caveat {i}: JSON not canonical")
        })?;
        check(typed.to_native() == caveat_bytes[i], || {
            format!("caveat {i}: native bytes")
        })?;
        check(
            typed.to_text() == c["text"].as_str().unwrap_or_default(),
            || format!("caveat {i}: text form {}", typed.to_text()),
        )?;
        let from_text =
            Caveat::from_text(&typed.to_text()).map_err(|e| format!("caveat {i}: {e}"))?;
        check(from_text == typed, || {
            format!("caveat {i}: text round trip")
        })?;
    }

    let token_text = v["token"].as_str().ok_or("token")?;
    let expected = &v["expected"];
    if v["mutation"].is_null() {
        check_unmutated(v, token_text, &identifier, &caveat_bytes, &tags, expected)?;
    } else {
        check(v["mutation"].is_string(), || "mutation".to_owned())?;
    }
    check_outcome(v, token_text, expected)
}

/// A token that is exactly the canonical encoding of its chain decodes (under default limits) to
/// the listed bytes and re-encodes to the same text, unless the vector expects a decoding error.
fn check_unmutated(
    v: &Value,
    text: &str,
    identifier: &[u8],
    caveats: &[Vec<u8>],
    tags: &[String],
    expected: &Value,
) -> Result<(), String> {
    let token = match Token::from_text(text, &Limits::default()) {
        Ok(t) => t,
        Err(e) => {
            return check(expected["error"] == e.id(), || {
                format!("does not decode: {}", e.to_json())
            })
        }
    };
    check(token.identifier_bytes() == identifier, || {
        "identifier bytes".to_owned()
    })?;
    let decoded: Vec<&[u8]> = token.caveat_bytes().collect();
    check(decoded.len() == caveats.len(), || "caveat count".to_owned())?;
    for (i, (a, b)) in decoded.iter().zip(caveats).enumerate() {
        check(*a == b.as_slice(), || format!("caveat {i} bytes"))?;
    }
    check(
        tags.last().is_some_and(|t| *t == token.tag().to_hex()),
        || "token tag is not the last listed tag".to_owned(),
    )?;
    check(token.to_text() == text, || "text round trip".to_owned())?;
    match token.untrusted_identifier() {
        Ok(id) => check(
            v["identifier"].is_null() || id.to_json() == v["identifier"],
            || format!("identifier JSON {}", id.to_json()),
        )?,
        Err(e) => return Err(format!("identifier: {e}")),
    }
    for (i, (c, listed)) in token
        .untrusted_caveats()
        .zip(v["caveats"].as_array().ok_or("caveats")?)
        .enumerate()
    {
        match (c, listed["json"].is_null()) {
            (Ok(c), false) => check(c.to_json() == listed["json"], || {
                format!("caveat {i} decodes to {}", c.to_json())
            })?,
            (Err(e), true) => check(e.id() == "tokenCaveatUnknown", || {
                format!("caveat {i}: {e}")
            })?,
            (Ok(c), true) => return Err(format!("raw caveat {i} decodes to {}", c.to_json())),
            (Err(e), false) => return Err(format!("caveat {i} does not decode: {e}")),
        }
    }
    Ok(())
}

fn verifier(cfg: &Value) -> Result<Verifier, String> {
    let l = &cfg["limits"];
    let n = |k: &str| {
        l[k].as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(format!("limits.{k}"))
    };
    let limits = Limits {
        max_token_bytes: n("max_token_bytes")?,
        max_caveats: n("max_caveats")?,
        max_caveat_bytes: n("max_caveat_bytes")?,
        max_identifier_bytes: n("max_identifier_bytes")?,
    };
    let mut verifier = Verifier::new()
        .with_limits(limits)
        .with_leeway(cfg["leeway"].as_u64().ok_or("leeway")?);
    for name in cfg["predicates"].as_array().ok_or("predicates")? {
        // SPEC.md §9: a registered predicate holds when the request carries an attribute of
        // the caveat's name whose value equals the caveat's value.
        let name = name.as_str().ok_or("predicate name")?.to_owned();
        let attribute = name.clone();
        verifier = verifier.with_predicate(name, move |value: &str, ctx: &Context| {
            ctx.attribute(&attribute) == Some(value)
        });
    }
    Ok(verifier)
}

fn key_ring(keys: &Value) -> Result<KeyRing, String> {
    let mut ring = KeyRing::new();
    if let Some(k) = keys["default"].as_str() {
        ring.set_default(RootKey::from_hex(k).map_err(|e| e.to_string())?);
    }
    for (id, k) in keys["by_id"].as_object().ok_or("by_id")? {
        let k = k.as_str().ok_or("key hex")?;
        ring.insert(id.clone(), RootKey::from_hex(k).map_err(|e| e.to_string())?);
    }
    Ok(ring)
}

fn context(c: &Value) -> Result<Context, String> {
    let mut ctx = Context::at(c["now"].as_u64().ok_or("now")?);
    if let Some(ip) = c["ip"].as_str() {
        let ip: IpAddr = ip.parse().map_err(|_| format!("context ip {ip}"))?;
        ctx = ctx.with_ip(ip);
    }
    if let Some(t) = c["inviteType"].as_str() {
        ctx = ctx.with_invite_type(InviteType::from_name(t).ok_or(format!("invite type {t}"))?);
    }
    if let Some(e) = c["expect"].as_str() {
        ctx = ctx.expecting(Expect::parse(e).map_err(|e| e.to_string())?);
    }
    for (name, value) in c["attributes"].as_object().ok_or("attributes")? {
        ctx = ctx.with_attribute(name.clone(), value.as_str().ok_or("attribute value")?);
    }
    Ok(ctx)
}

fn check_outcome(v: &Value, text: &str, expected: &Value) -> Result<(), String> {
    let verifier = verifier(&v["verifier"])?;
    let ring = key_ring(&v["verifier"]["keys"])?;
    let ctx = context(&v["context"])?;
    match (
        verifier.verify_text(text, &ring, &ctx),
        expected["ok"].as_bool(),
    ) {
        (Ok(ok), Some(true)) => {
            check(Value::from(ok.expires()) == expected["expires"], || {
                format!("expires {:?}", ok.expires())
            })?;
            let id = ok.identifier();
            check(
                id.subject.to_string() == expected["subject"].as_str().unwrap_or_default(),
                || format!("subject {}", id.subject),
            )?;
            check(
                v["identifier"].is_null() || id.to_json() == v["identifier"],
                || "verified identifier differs".to_owned(),
            )
        }
        (Ok(_), _) => Err(format!("accepted, expected {expected}")),
        (Err(e), Some(true)) => Err(format!("rejected: {}", e.to_json())),
        (Err(e), _) => {
            check(expected["error"] == e.id(), || {
                format!("got {}", e.to_json())
            })?;
            check(expected["details"] == e.details(), || {
                format!("details {}", e.details())
            })
        }
    }
}

/// A throwaway token to decode native caveat bytes through the public API.
fn carrier() -> Result<Token, String> {
    let key = RootKey::from_bytes(b"carrier").map_err(|e| e.to_string())?;
    let id = Identifier {
        location: "carrier.example".into(),
        key_id: None,
        token_id: "carrier".into(),
        subject: Subject::User("carrier".into()),
        token_type: TokenType::Identity,
        persistence: Persistence::Named,
    };
    Token::mint(&key, &id, &[]).map_err(|e| e.to_string())
}

fn check_form(f: &Value) -> Result<(), String> {
    let input = &f["input"];
    let result = match (
        input["json"].is_null(),
        input["text"].as_str(),
        input["json_text"].as_str(),
    ) {
        (false, None, None) => Caveat::from_json(&input["json"]),
        (true, Some(text), None) => Caveat::from_text(text),
        (true, None, Some(text)) => Caveat::from_json_str(text),
        _ => return Err("input must hold exactly one of json, text, json_text".to_owned()),
    };
    let expected = &f["expected"];
    match (result, expected["error"].as_str()) {
        (Ok(c), None) => {
            check(c.to_json() == expected["json"], || {
                format!("json {}", c.to_json())
            })?;
            check(
                c.to_text() == expected["text"].as_str().unwrap_or_default(),
                || format!("text {}", c.to_text()),
            )?;
            let bytes = hex_field(expected, "hex")?;
            check(c.to_native() == bytes, || "native bytes".to_owned())?;
            let decoded = carrier()?
                .attenuate_raw(&bytes)
                .expect("attenuate_raw")
                .untrusted_caveats()
                .next()
                .ok_or("no caveat")?
                .map_err(|e| format!("native bytes do not decode: {e}"))?;
            check(decoded == c, || "native round trip".to_owned())
        }
        (Ok(c), Some(id)) => Err(format!("accepted as {}, expected {id}", c.to_json())),
        (Err(e), None) => Err(format!("rejected: {}", e.to_json())),
        (Err(e), Some(id)) => {
            check(e.id() == id, || format!("got {}", e.to_json()))?;
            check(expected["details"] == e.details(), || {
                format!("details {}", e.details())
            })
        }
    }
}
