//! Deterministic generator of the test vectors in `spec/vectors/` (SPEC.md §9).
//!
//! Included with `#[path]` by `examples/generate_vectors.rs`, which writes the files, and by
//! `tests/vectors.rs`, which regenerates them in memory and compares them byte for byte with the
//! committed files. Everything here is fixed (keys, ids, times, caveats); nothing reads a clock or
//! a random source, so two runs give identical output.
//!
//! Each vector's expected outcome is written out by hand below, from SPEC.md; the generator never
//! runs the verifier. `tests/vectors.rs` checks every expectation against the library.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use caveat_token::hazmat as chain;
use caveat_token::{
    Caveat, Identifier, InviteType, Limits, Persistence, RootKey, Subject, Token, TokenType,
};
use serde_json::{json, Map, Value};

mod caveats;
mod clearing;
mod encoding;
mod tampering;
mod valid;

use caveats::*;
use clearing::*;
use encoding::*;
use tampering::*;
use valid::*;

/// Directory of the vector files, relative to the crate root.
pub const VECTOR_DIR: &str = "spec/vectors";

/// The vector files, by name (relative to [`VECTOR_DIR`]), with their exact contents.
///
/// # Errors
/// A message when a fixed input is rejected by the library or a self-check fails (a bug in the
/// generator or in the library, never an input-dependent condition).
pub fn generate() -> Result<Vec<(&'static str, String)>, String> {
    let files = [
        (
            "valid.json",
            token_file(
                "Tokens that verify: every token type, every invite type, every caveat kind, key \
                 ids, leeway, and a token at exactly the minimum limits of SPEC.md §7.",
                valid()?,
            )?,
        ),
        (
            "chain.json",
            token_file(
                "Tampering and keys: each vector breaks the HMAC chain in exactly one way (or \
                 offers the wrong key) and must fail with tokenInvalid; plus two vectors for the \
                 order of checks (SPEC.md §6.4).",
                chain_vectors()?,
            )?,
        ),
        (
            "encoding.json",
            token_file(
                "Malformed text or binary encodings (badToken) and exceeded limits \
                 (tokenTooLarge). Each token is correctly MACed except for the one defect named.",
                encoding()?,
            )?,
        ),
        (
            "clearing.json",
            token_file(
                "Correctly signed tokens whose caveats do not clear in the given context \
                 (tokenCaveatUnverified) or are not understood (tokenCaveatUnknown).",
                clearing()?,
            )?,
        ),
        ("caveats.json", caveat_forms()?),
    ];
    files
        .into_iter()
        .map(|(name, value)| Ok((name, render(&value)?)))
        .collect()
}

/// Pretty-printed JSON with a trailing newline.
fn render(value: &Value) -> Result<String, String> {
    let mut s = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    s.push('\n');
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// Fixed inputs.

/// The verification time of almost every vector (2023-11-14T22:13:20Z).
const NOW: u64 = 1_700_000_000;
const HOUR: u64 = 3600;
const LOCATION: &str = "auth.example.com";

/// The minimum limits of SPEC.md §7 (every implementation must accept at least these).
const MIN_LIMITS: Limits = Limits {
    max_token_bytes: 4096,
    max_caveats: 64,
    max_caveat_bytes: 256,
    max_identifier_bytes: 512,
};

/// `len` bytes counting up from `start` (wrapping), as hex.
fn seq_hex(start: u8, len: usize) -> String {
    let mut bytes = Vec::with_capacity(len);
    let mut b = start;
    for _ in 0..len {
        bytes.push(b);
        b = b.wrapping_add(1);
    }
    hex::encode(bytes)
}

fn key_main() -> String {
    seq_hex(0x00, 32)
}
fn key_other() -> String {
    seq_hex(0x20, 32)
}
/// The key registered under key id `2026-10`.
fn key_rot_a() -> String {
    seq_hex(0xa0, 32)
}
/// The key registered under key id `2026-11`.
fn key_rot_b() -> String {
    seq_hex(0xc0, 32)
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn base_identifier() -> Identifier<'static> {
    Identifier {
        location: LOCATION.into(),
        key_id: None,
        token_id: "tok-0001".into(),
        subject: Subject::User("alice".into()),
        token_type: TokenType::Access { session: None },
        persistence: Persistence::Named,
    }
}

fn with_token_id(token_id: &str) -> Identifier<'static> {
    Identifier {
        token_id: token_id.to_owned().into(),
        ..base_identifier()
    }
}

fn with_key_id(key_id: &'static str) -> Identifier<'static> {
    Identifier {
        key_id: Some(key_id.into()),
        ..base_identifier()
    }
}

fn invite_identifier(t: InviteType, target: &str, params: &str) -> Identifier<'static> {
    Identifier {
        location: LOCATION.into(),
        key_id: None,
        token_id: format!("inv-{:04}", t.code()).into(),
        subject: Subject::User("bob".into()),
        token_type: TokenType::Invite {
            invite_type: t,
            target: target.to_owned().into(),
            params: params.to_owned().into(),
        },
        persistence: Persistence::Temporary {
            generation: t.code() + 1,
        },
    }
}

fn time(valid_until: u64) -> Value {
    json!({"type": "time", "validUntil": valid_until})
}
fn ip(list: &[&str]) -> Value {
    json!({"type": "ip", "whitelist": list})
}
fn invite(list: &[&str]) -> Value {
    json!({"type": "inviteType", "whitelist": list})
}
fn app(name: &str, value: &str) -> Value {
    json!({"type": "app", "name": name, "value": value})
}

/// A caveat from JSON that must already be in the canonical form the library prints.
fn typed(j: &Value) -> Result<Caveat, String> {
    let c = Caveat::from_json(j).map_err(|e| format!("{j}: {e}"))?;
    if &c.to_json() != j {
        return Err(format!("not canonical caveat JSON: {j} vs {}", c.to_json()));
    }
    Ok(c)
}

// ---------------------------------------------------------------------------------------------
// A minimal CBOR writer, independent of the library's, for mutated and hand-made encodings.

#[derive(Clone)]
enum Item {
    /// Unsigned integer (major 0).
    U(u64),
    /// Negative integer `-1 - n` (major 1).
    Neg(u64),
    /// Text string (major 3).
    T(String),
    /// Byte string (major 2).
    B(Vec<u8>),
    /// `null` (0xf6).
    Null,
    /// Array (major 4).
    A(Vec<Item>),
    /// Bytes copied as they are (for deliberately malformed encodings).
    Raw(Vec<u8>),
}

fn t(s: &str) -> Item {
    Item::T(s.to_owned())
}

fn head(out: &mut Vec<u8>, major: u8, v: u64) {
    let m = major << 5;
    let be = v.to_be_bytes();
    match v {
        0..=23 => out.push(m | be[7]),
        24..=0xff => out.extend_from_slice(&[m | 24, be[7]]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&be[6..]);
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&be[4..]);
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&be);
        }
    }
}

fn encode_into(item: &Item, out: &mut Vec<u8>) {
    match item {
        Item::U(v) => head(out, 0, *v),
        Item::Neg(v) => head(out, 1, *v),
        Item::B(b) => {
            head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        Item::T(s) => {
            head(out, 3, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Item::A(items) => {
            head(out, 4, items.len() as u64);
            for i in items {
                encode_into(i, out);
            }
        }
        Item::Null => out.push(0xf6),
        Item::Raw(b) => out.extend_from_slice(b),
    }
}

fn encode(item: &Item) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(item, &mut out);
    out
}

/// Bytes of a CBOR byte string of `n` bytes, head included.
fn bstr_len(n: usize) -> usize {
    let mut h = Vec::new();
    head(&mut h, 2, n as u64);
    h.len() + n
}

/// The native envelope `[version, identifier, [caveats…], tag]`.
fn envelope(version: u64, identifier: &[u8], caveats: &[Vec<u8>], tag: &[u8]) -> Vec<u8> {
    encode(&Item::A(vec![
        Item::U(version),
        Item::B(identifier.to_vec()),
        Item::A(caveats.iter().cloned().map(Item::B).collect()),
        Item::B(tag.to_vec()),
    ]))
}

fn native_text(raw: &[u8]) -> String {
    format!("cvt1_{}", URL_SAFE_NO_PAD.encode(raw))
}

/// The fields of the base identifier (`base_identifier()`), as items, for hand-made variants.
fn raw_base_identifier() -> Vec<Item> {
    vec![
        t(LOCATION),
        Item::Null,
        t("tok-0001"),
        Item::A(vec![Item::U(0), t("alice")]),
        Item::A(vec![Item::U(0)]),
        Item::A(vec![Item::U(0)]),
    ]
}

fn find(hay: &[u8], needle: &[u8]) -> Result<usize, String> {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .ok_or_else(|| format!("{:?} not found", String::from_utf8_lossy(needle)))
}

// ---------------------------------------------------------------------------------------------
// Chains: the identifier and caveat bytes that were MACed, under which key.

#[derive(Clone)]
struct Cav {
    json: Option<Value>,
    text: Option<String>,
    bytes: Vec<u8>,
}

impl Cav {
    fn typed(j: &Value) -> Result<Self, String> {
        let c = typed(j)?;
        Ok(Self {
            json: Some(j.clone()),
            text: Some(c.to_text()),
            bytes: c.to_native(),
        })
    }

    fn raw(bytes: Vec<u8>) -> Self {
        Self {
            json: None,
            text: None,
            bytes,
        }
    }
}

#[derive(Clone)]
struct Chain {
    key_hex: String,
    identifier: Option<Value>,
    identifier_bytes: Vec<u8>,
    caveats: Vec<Cav>,
}

impl Chain {
    /// Mints through the library (`Token::mint`, `attenuate`, `attenuate_raw`) and checks that
    /// this module's own envelope writer produces the same bytes.
    fn mint(key_hex: &str, id: &Identifier<'_>, caveats: Vec<Cav>) -> Result<Self, String> {
        let key = RootKey::from_hex(key_hex).map_err(err)?;
        // Unchecked: the rules a token may break (a temporary token without a time caveat) are
        // the verifier's to refuse, and some vectors are exactly such tokens.
        let mut token =
            caveat_token::hazmat::mint_unchecked(caveat_token::Format::Native, &key, id, &[])
                .map_err(err)?;
        for c in &caveats {
            token = match &c.json {
                Some(j) => token.attenuate(&typed(j)?).map_err(err)?,
                None => token.attenuate_raw(&c.bytes).map_err(err)?,
            };
        }
        let chain = Self {
            key_hex: key_hex.to_owned(),
            identifier: Some(id.to_json()),
            identifier_bytes: token.identifier_bytes().to_vec(),
            caveats,
        };
        if chain.envelope()? != token.as_bytes() || chain.text()? != token.to_text() {
            return Err(format!(
                "envelope writer disagrees with the library for {id:?}"
            ));
        }
        Ok(chain)
    }

    /// A chain over hand-made identifier bytes (which the library need not accept).
    fn raw(key_hex: &str, identifier: &Item, caveats: Vec<Cav>) -> Self {
        Self {
            key_hex: key_hex.to_owned(),
            identifier: None,
            identifier_bytes: encode(identifier),
            caveats,
        }
    }

    fn caveat_bytes(&self) -> Vec<Vec<u8>> {
        self.caveats.iter().map(|c| c.bytes.clone()).collect()
    }

    fn tags(&self) -> Result<Vec<Vec<u8>>, String> {
        let key = RootKey::from_hex(&self.key_hex).map_err(err)?;
        Ok(chain::tags(
            &key,
            &self.identifier_bytes,
            self.caveats.iter().map(|c| c.bytes.as_slice()),
        )
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect())
    }

    fn final_tag(&self) -> Result<Vec<u8>, String> {
        self.tags()?
            .pop()
            .ok_or_else(|| "a chain has at least tag_0".to_owned())
    }

    fn envelope(&self) -> Result<Vec<u8>, String> {
        Ok(envelope(
            1,
            &self.identifier_bytes,
            &self.caveat_bytes(),
            &self.final_tag()?,
        ))
    }

    fn text(&self) -> Result<String, String> {
        Ok(native_text(&self.envelope()?))
    }

    /// The same chain with its final tag, re-assembled around other parts (a mutation).
    fn assemble(&self, identifier: &[u8], caveats: &[Vec<u8>], tag: &[u8]) -> String {
        native_text(&envelope(1, identifier, caveats, tag))
    }
}

// ---------------------------------------------------------------------------------------------
// Vectors.

struct Vector {
    name: String,
    description: String,
    chain: Chain,
    token: String,
    mutation: Option<String>,
    default_key: Option<String>,
    keys_by_id: Vec<(String, String)>,
    leeway: u64,
    limits: Limits,
    predicates: Vec<String>,
    now: u64,
    ip: Option<String>,
    invite_type: Option<String>,
    expect: Option<String>,
    attributes: Vec<(String, String)>,
    expected: Value,
}

impl Vector {
    /// A vector whose token is exactly the chain's canonical encoding, verified with the chain's
    /// key as the key ring's default, default limits, no leeway, at `NOW`.
    fn new(name: &str, description: &str, chain: Chain, expected: Value) -> Result<Self, String> {
        Ok(Self {
            name: name.to_owned(),
            description: description.to_owned(),
            token: chain.text()?,
            default_key: Some(chain.key_hex.clone()),
            chain,
            mutation: None,
            keys_by_id: Vec::new(),
            leeway: 0,
            limits: Limits::default(),
            predicates: Vec::new(),
            now: NOW,
            ip: None,
            invite_type: None,
            expect: None,
            attributes: Vec::new(),
            expected,
        })
    }

    fn mutated(mut self, mutation: &str, token: String) -> Self {
        self.mutation = Some(mutation.to_owned());
        self.token = token;
        self
    }

    fn ip(mut self, ip: &str) -> Self {
        self.ip = Some(ip.to_owned());
        self
    }

    fn invite_type(mut self, t: &str) -> Self {
        self.invite_type = Some(t.to_owned());
        self
    }

    /// The token type the request expects (`access`, `identity`, `invite`, `invite:T`).
    fn expect(mut self, expect: &str) -> Self {
        self.expect = Some(expect.to_owned());
        self
    }

    fn now(mut self, now: u64) -> Self {
        self.now = now;
        self
    }

    fn leeway(mut self, leeway: u64) -> Self {
        self.leeway = leeway;
        self
    }

    fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn predicate(mut self, name: &str) -> Self {
        self.predicates.push(name.to_owned());
        self
    }

    fn attribute(mut self, name: &str, value: &str) -> Self {
        self.attributes.push((name.to_owned(), value.to_owned()));
        self
    }

    fn keys(mut self, default: Option<String>, by_id: &[(&str, String)]) -> Self {
        self.default_key = default;
        self.keys_by_id = by_id
            .iter()
            .map(|(id, k)| ((*id).to_owned(), k.clone()))
            .collect();
        self
    }

    fn to_json(&self) -> Result<Value, String> {
        let caveats: Vec<Value> = self
            .chain
            .caveats
            .iter()
            .map(|c| json!({"json": c.json, "text": c.text, "hex": hex::encode(&c.bytes)}))
            .collect();
        let tags: Vec<String> = self.chain.tags()?.iter().map(hex::encode).collect();
        let by_id: Map<String, Value> = self
            .keys_by_id
            .iter()
            .map(|(id, k)| (id.clone(), json!(k)))
            .collect();
        let attributes: Map<String, Value> = self
            .attributes
            .iter()
            .map(|(n, v)| (n.clone(), json!(v)))
            .collect();
        Ok(json!({
            "name": self.name,
            "description": self.description,
            "key_hex": self.chain.key_hex,
            "identifier": self.chain.identifier,
            "identifier_hex": hex::encode(&self.chain.identifier_bytes),
            "caveats": caveats,
            "tags": tags,
            "token": self.token,
            "mutation": self.mutation,
            "verifier": {
                "keys": {"default": self.default_key, "by_id": by_id},
                "leeway": self.leeway,
                "limits": {
                    "max_token_bytes": self.limits.max_token_bytes,
                    "max_caveats": self.limits.max_caveats,
                    "max_caveat_bytes": self.limits.max_caveat_bytes,
                    "max_identifier_bytes": self.limits.max_identifier_bytes,
                },
                "predicates": self.predicates,
            },
            "context": {
                "now": self.now,
                "ip": self.ip,
                "inviteType": self.invite_type,
                "expect": self.expect,
                "attributes": attributes,
            },
            "expected": self.expected,
        }))
    }
}

fn token_file(description: &str, vectors: Vec<Vector>) -> Result<Value, String> {
    let list = vectors
        .iter()
        .map(Vector::to_json)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({
        "schema": "caveat-token/token-vectors/1",
        "description": description,
        "format": "native",
        "regenerate": "cargo run --example generate_vectors",
        "vectors": list,
    }))
}

fn ok(expires: Option<u64>, subject: &str) -> Value {
    json!({"ok": true, "expires": expires, "subject": subject})
}

fn error(id: &str, details: Value) -> Value {
    json!({"error": id, "details": details})
}

fn bad_token(reason: &str) -> Value {
    error("badToken", json!({"reason": reason}))
}

fn invalid() -> Value {
    error("tokenInvalid", json!({}))
}

/// `tokenCaveatUnverified` at `index`, with the denial's `reason` and its facts (SPEC.md §8), as
/// decided by hand for each vector.
fn unverified(index: usize, caveat: &Value, reason: Value) -> Value {
    let mut details = json!({"index": index, "caveat": caveat});
    if let (Value::Object(d), Value::Object(r)) = (&mut details, reason) {
        d.extend(r);
    }
    error("tokenCaveatUnverified", details)
}

/// The facts of an `expired` denial.
fn expired(valid_until: u64, now: u64) -> Value {
    json!({"reason": "expired", "validUntil": valid_until, "now": now})
}

/// The facts of an `ipNotListed` denial (the client address as compared, canonical).
fn ip_not_listed(ip: &str) -> Value {
    json!({"reason": "ipNotListed", "ip": ip})
}

/// The facts of a `contextMissing` denial.
fn context_missing(missing: &str) -> Value {
    json!({"reason": "contextMissing", "missing": missing})
}

/// SPEC.md §6.4 step 6.1: the lowercase hex of at most the first 64 bytes, then U+2026 when
/// bytes were left out.
fn unknown_bytes(index: usize, bytes: &[u8]) -> Value {
    let caveat = if bytes.len() > 64 {
        format!("{}\u{2026}", hex::encode(&bytes[..64]))
    } else {
        hex::encode(bytes)
    };
    error(
        "tokenCaveatUnknown",
        json!({"index": index, "caveat": caveat}),
    )
}

fn too_large(limit: &str, max: usize) -> Value {
    error("tokenTooLarge", json!({"limit": limit, "max": max}))
}
