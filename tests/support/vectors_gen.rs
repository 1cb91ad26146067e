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
        let mut token = Token::mint(&key, id, &[]).map_err(err)?;
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

fn unverified(index: usize, caveat: &Value) -> Value {
    error(
        "tokenCaveatUnverified",
        json!({"index": index, "caveat": caveat}),
    )
}

fn unknown_bytes(index: usize, bytes: &[u8]) -> Value {
    error(
        "tokenCaveatUnknown",
        json!({"index": index, "caveat": hex::encode(bytes)}),
    )
}

fn too_large(limit: &str, max: usize) -> Value {
    error("tokenTooLarge", json!({"limit": limit, "max": max}))
}

// ---------------------------------------------------------------------------------------------
// valid.json

/// The token the tampering vectors start from: alice's access token with three caveats.
fn three_caveats() -> Result<Chain, String> {
    Chain::mint(
        &key_main(),
        &base_identifier(),
        vec![
            Cav::typed(&time(NOW + HOUR))?,
            Cav::typed(&ip(&["10.0.0.0/8"]))?,
            Cav::typed(&time(NOW + 2 * HOUR))?,
        ],
    )
}

/// Sizes for a token of exactly `total` bytes under `MIN_LIMITS`: `big` caveats of exactly 256
/// bytes, one filler application caveat with a value of `filler` bytes, and time caveats for the
/// rest of the 64.
struct Fill {
    total: usize,
    token_id_len: usize,
    big: usize,
    filler: usize,
}

const BIG_NAME: &str = "example.com/blob";
const FILL_NAME: &str = "example.com/fill";

fn long_location() -> String {
    format!("{}.example.com", "a".repeat(243))
}

fn long_identifier(token_id_len: usize) -> Identifier<'static> {
    Identifier {
        location: long_location().into(),
        token_id: "t".repeat(token_id_len).into(),
        ..base_identifier()
    }
}

/// The native length of an application caveat named `name` with a value of `n` bytes.
fn app_len(name: &str, n: usize) -> Result<usize, String> {
    Ok(typed(&app(name, &"x".repeat(n)))?.to_native().len())
}

/// The value length that makes an application caveat named `name` exactly `size` bytes.
fn app_value_len(name: &str, size: usize) -> Result<usize, String> {
    for n in 0..=255 {
        if app_len(name, n)? == size {
            return Ok(n);
        }
    }
    Err(format!("no {name} caveat of {size} bytes"))
}

fn fill_caveats(f: &Fill) -> Result<Vec<Cav>, String> {
    let big_value = "b".repeat(app_value_len(BIG_NAME, 256)?);
    let mut caveats = Vec::new();
    for _ in 0..f.big {
        caveats.push(Cav::typed(&app(BIG_NAME, &big_value))?);
    }
    caveats.push(Cav::typed(&app(FILL_NAME, &"f".repeat(f.filler)))?);
    let mut i = 0;
    while caveats.len() < 64 {
        caveats.push(Cav::typed(&time(NOW + HOUR + i))?);
        i += 1;
    }
    Ok(caveats)
}

/// Finds a fill whose token is exactly `total` bytes (the identifier is `id_len` bytes).
fn find_fill(id_len: usize, total: usize) -> Result<Fill, String> {
    let token_id_len = (1..=255)
        .find(|&n| identifier_len(&long_identifier(n)) == id_len)
        .ok_or_else(|| format!("no identifier of {id_len} bytes"))?;
    let time_len = Cav::typed(&time(NOW + HOUR))?.bytes.len();
    let filler_lens = (0..=255)
        .map(|n| app_len(FILL_NAME, n))
        .collect::<Result<Vec<_>, _>>()?;
    for big in 0..63 {
        for (filler, &filler_len) in filler_lens.iter().enumerate() {
            // Envelope head, version, identifier, caveat array head (64 = 0x98 0x40),
            // caveats, tag.
            let size = 1
                + 1
                + bstr_len(id_len)
                + 2
                + big * bstr_len(256)
                + bstr_len(filler_len)
                + (63 - big) * bstr_len(time_len)
                + bstr_len(32);
            if size == total && filler_len <= 256 {
                return Ok(Fill {
                    total,
                    token_id_len,
                    big,
                    filler,
                });
            }
        }
    }
    Err(format!("no fill of {total} bytes"))
}

fn identifier_len(id: &Identifier<'_>) -> usize {
    let Ok(key) = RootKey::from_hex(&key_main()) else {
        return 0;
    };
    Token::mint(&key, id, &[]).map_or(0, |t| t.identifier_bytes().len())
}

/// The token of `fill` under the main key.
fn fill_chain(f: &Fill) -> Result<Chain, String> {
    let chain = Chain::mint(
        &key_main(),
        &long_identifier(f.token_id_len),
        fill_caveats(f)?,
    )?;
    if chain.envelope()?.len() != f.total {
        return Err(format!("fill of {} bytes miscomputed", f.total));
    }
    Ok(chain)
}

fn with_fill_predicates(v: Vector, f: &Fill) -> Result<Vector, String> {
    Ok(v.predicate(BIG_NAME)
        .predicate(FILL_NAME)
        .attribute(BIG_NAME, &"b".repeat(app_value_len(BIG_NAME, 256)?))
        .attribute(FILL_NAME, &"f".repeat(f.filler)))
}

fn valid() -> Result<Vec<Vector>, String> {
    let main = key_main();
    let mut out = vec![
        Vector::new(
            "valid_access_named_no_caveats",
            "The smallest token: a named access token for usr-alice, no key id, no caveats.",
            Chain::mint(&main, &base_identifier(), vec![])?,
            ok(None, "usr-alice"),
        )?,
        Vector::new(
            "valid_access_session_temporary",
            "An access token bound to session sess-42, temporary with generation 7, valid one \
             hour.",
            Chain::mint(
                &main,
                &Identifier {
                    token_type: TokenType::Access {
                        session: Some("sess-42".into()),
                    },
                    persistence: Persistence::Temporary { generation: 7 },
                    ..with_token_id("tok-0002")
                },
                vec![Cav::typed(&time(NOW + HOUR))?],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?,
        Vector::new(
            "valid_identity_provider",
            "An identity token whose subject is a provider (prv-…).",
            Chain::mint(
                &main,
                &Identifier {
                    subject: Subject::Provider("oneprovider-1".into()),
                    token_type: TokenType::Identity,
                    ..with_token_id("tok-0003")
                },
                vec![Cav::typed(&time(NOW + HOUR))?],
            )?,
            ok(Some(NOW + HOUR), "prv-oneprovider-1"),
        )?,
        Vector::new(
            "valid_three_caveats",
            "The token the tampering vectors of chain.json start from: time, ip, time.",
            three_caveats()?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?
        .ip("10.1.2.3"),
        Vector::new(
            "valid_key_id_in_ring",
            "A token naming key id 2026-11 verifies with the key registered under that id (the \
             ring also has a default key and 2026-10).",
            Chain::mint(&key_rot_b(), &with_key_id("2026-11"), vec![])?,
            ok(None, "usr-alice"),
        )?
        .keys(
            Some(main.clone()),
            &[("2026-10", key_rot_a()), ("2026-11", key_rot_b())],
        ),
    ];
    for &t in InviteType::ALL {
        let target = format!(
            "{}-{:04}",
            t.target_kind().trim_end_matches("Id").to_lowercase(),
            t.code()
        );
        let params = if t == InviteType::SupportSpace {
            "size=1073741824"
        } else {
            ""
        };
        out.push(
            Vector::new(
                &format!("valid_invite_{}", t.name()),
                &format!(
                    "An invite token of type {} (native code {}, target kind {}), with an \
                     inviteType caveat listing it and a matching request.",
                    t.name(),
                    t.code(),
                    t.target_kind()
                ),
                Chain::mint(
                    &main,
                    &invite_identifier(t, &target, params),
                    vec![
                        Cav::typed(&time(NOW + HOUR))?,
                        Cav::typed(&invite(&[t.name()]))?,
                    ],
                )?,
                ok(Some(NOW + HOUR), "usr-bob"),
            )?
            .invite_type(t.name()),
        );
    }
    out.extend([
        Vector::new(
            "valid_invite_type_whitelist_of_two",
            "An inviteType caveat listing two types; the request asks for the second.",
            Chain::mint(
                &main,
                &invite_identifier(InviteType::UserJoinCluster, "cluster-0007", ""),
                vec![Cav::typed(&invite(&[
                    "groupJoinCluster",
                    "userJoinCluster",
                ]))?],
            )?,
            ok(None, "usr-bob"),
        )?
        .invite_type("userJoinCluster"),
        Vector::new(
            "valid_all_caveat_kinds",
            "time, ip (v4 network, v6 network, bare v4 address) and a registered application \
             caveat, all holding.",
            Chain::mint(
                &main,
                &with_token_id("tok-0004"),
                vec![
                    Cav::typed(&time(NOW + HOUR))?,
                    Cav::typed(&ip(&["10.0.0.0/8", "2001:db8::/32", "167.73.12.17/32"]))?,
                    Cav::typed(&app("example.com/action", "read"))?,
                ],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?
        .ip("167.73.12.17")
        .predicate("example.com/action")
        .attribute("example.com/action", "read"),
        Vector::new(
            "valid_ip_host_bits_kept_and_ignored",
            "189.34.15.0/8 keeps its host bits in the caveat bytes and matches 189.1.1.1.",
            Chain::mint(
                &main,
                &with_token_id("tok-0005"),
                vec![Cav::typed(&ip(&["189.34.15.0/8"]))?],
            )?,
            ok(None, "usr-alice"),
        )?
        .ip("189.1.1.1"),
        Vector::new(
            "valid_ip_mapped_v6_client",
            "The client ::ffff:10.1.2.3 is canonicalized to 10.1.2.3 and matches 10.0.0.0/8.",
            Chain::mint(
                &main,
                &with_token_id("tok-0006"),
                vec![Cav::typed(&ip(&["10.0.0.0/8"]))?],
            )?,
            ok(None, "usr-alice"),
        )?
        .ip("::ffff:10.1.2.3"),
        Vector::new(
            "valid_ip_v6_network",
            "An IPv6 client inside 2001:db8::/32.",
            Chain::mint(
                &main,
                &with_token_id("tok-0007"),
                vec![Cav::typed(&ip(&["2001:db8::/32"]))?],
            )?,
            ok(None, "usr-alice"),
        )?
        .ip("2001:db8:1::1"),
        Vector::new(
            "valid_ip_v6_host",
            "A bare IPv6 address is a /128 and matches itself.",
            Chain::mint(
                &main,
                &with_token_id("tok-0008"),
                vec![Cav::typed(&ip(&["2001:db8::1/128"]))?],
            )?,
            ok(None, "usr-alice"),
        )?
        .ip("2001:db8::1"),
        Vector::new(
            "valid_time_last_second",
            "now = validUntil - 1: the last second in which the token is valid.",
            Chain::mint(
                &main,
                &with_token_id("tok-0009"),
                vec![Cav::typed(&time(NOW))?],
            )?,
            ok(Some(NOW), "usr-alice"),
        )?
        .now(NOW - 1),
        Vector::new(
            "valid_time_within_leeway",
            "now = validUntil with a leeway of 1 second: valid (now < validUntil + leeway).",
            Chain::mint(
                &main,
                &with_token_id("tok-0010"),
                vec![Cav::typed(&time(NOW))?],
            )?,
            ok(Some(NOW), "usr-alice"),
        )?
        .leeway(1),
        Vector::new(
            "valid_expires_is_minimum",
            "Two time caveats, the later first: expires is the least validUntil.",
            Chain::mint(
                &main,
                &with_token_id("tok-0011"),
                vec![
                    Cav::typed(&time(NOW + 2 * HOUR))?,
                    Cav::typed(&time(NOW + HOUR))?,
                ],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?,
        Vector::new(
            "valid_time_u64_max",
            "validUntil = 2^64-1 (an 8-byte CBOR head); no leeway, so no overflow.",
            Chain::mint(
                &main,
                &with_token_id("tok-0012"),
                vec![Cav::typed(&time(u64::MAX))?],
            )?,
            ok(Some(u64::MAX), "usr-alice"),
        )?,
        Vector::new(
            "valid_text_secret_key",
            "The root key is the 28 ASCII bytes \"correct horse battery staple\" (any non-empty \
             length is allowed).",
            Chain::mint(
                &hex::encode("correct horse battery staple"),
                &with_token_id("tok-0013"),
                vec![Cav::typed(&time(NOW + HOUR))?],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?,
        Vector::new(
            "valid_long_key",
            "A 100-byte root key (longer than an HMAC block; it is the message of the key \
             derivation, so it is not hashed first).",
            Chain::mint(
                &seq_hex(0x40, 100),
                &with_token_id("tok-0014"),
                vec![Cav::typed(&time(NOW + HOUR))?],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?,
        Vector::new(
            "valid_duplicate_caveat_with_mac",
            "The same ip caveat appended twice, each time with its MAC step: harmless.",
            Chain::mint(
                &main,
                &with_token_id("tok-0015"),
                vec![
                    Cav::typed(&ip(&["10.0.0.0/8"]))?,
                    Cav::typed(&ip(&["10.0.0.0/8"]))?,
                ],
            )?,
            ok(None, "usr-alice"),
        )?
        .ip("10.1.2.3"),
        Vector::new(
            "valid_app_caveat_utf8_value",
            "An application caveat with a non-ASCII UTF-8 value, checked by a registered \
             predicate.",
            Chain::mint(
                &main,
                &with_token_id("tok-0016"),
                vec![Cav::typed(&app("example.com/label", "zażółć gęślą jaźń"))?],
            )?,
            ok(None, "usr-alice"),
        )?
        .predicate("example.com/label")
        .attribute("example.com/label", "zażółć gęślą jaźń"),
        Vector::new(
            "valid_generation_u64_max",
            "A temporary token with generation 2^64-1 and a key id.",
            Chain::mint(
                &key_rot_a(),
                &Identifier {
                    key_id: Some("2026-10".into()),
                    persistence: Persistence::Temporary {
                        generation: u64::MAX,
                    },
                    ..with_token_id("tok-0017")
                },
                vec![Cav::typed(&time(NOW + HOUR))?],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?
        .keys(None, &[("2026-10", key_rot_a())]),
    ]);
    let fill = find_fill(512, 4096)?;
    out.push(with_fill_predicates(
        Vector::new(
            "valid_at_minimum_limits",
            "Exactly at every minimum of SPEC.md §7, with the limits set to those minimums: a \
             4096-byte token, a 512-byte identifier, 64 caveats, caveats of 256 bytes.",
            fill_chain(&fill)?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?
        .limits(MIN_LIMITS),
        &fill,
    )?);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// chain.json

fn flip_in(bytes: &[u8], needle: &[u8], offset: usize) -> Result<Vec<u8>, String> {
    let mut out = bytes.to_vec();
    let at = find(bytes, needle)? + offset;
    let b = out
        .get_mut(at)
        .ok_or_else(|| "offset out of range".to_owned())?;
    *b ^= 1;
    Ok(out)
}

fn chain_vectors() -> Result<Vec<Vector>, String> {
    let base = three_caveats()?;
    let id = base.identifier_bytes.clone();
    let cavs = base.caveat_bytes();
    let tags = base.tags()?;
    let tag = base.final_tag()?;
    let tampered = |name: &str, description: &str, mutation: &str, token: String| {
        Ok::<_, String>(
            Vector::new(name, description, base.clone(), invalid())?
                .ip("10.1.2.3")
                .mutated(mutation, token),
        )
    };

    let mut flipped_caveat = cavs.clone();
    if let Some(b) = flipped_caveat.first_mut().and_then(|c| c.last_mut()) {
        *b ^= 1;
    }
    let mut flipped_tag = tag.clone();
    if let Some(b) = flipped_tag.first_mut() {
        *b ^= 1;
    }
    let mut truncated_caveat = cavs.clone();
    if let Some(c) = truncated_caveat.first_mut() {
        c.pop();
    }
    let weaker = Cav::typed(&time(NOW + 100 * HOUR))?.bytes;
    let extra = Cav::typed(&time(NOW + HOUR))?.bytes;
    let pick = |idx: &[usize]| -> Vec<Vec<u8>> {
        idx.iter().filter_map(|&i| cavs.get(i).cloned()).collect()
    };
    let tag_n = |n: usize| tags.get(n).cloned().unwrap_or_default();

    let mut out = vec![
        tampered(
            "chain_caveat_bit_flip",
            "One bit of caveat 0 flipped: it still decodes as a time caveat that would hold, but \
             the chain breaks.",
            "lowest bit of the last byte of caveat 0 flipped (validUntil + 1)",
            base.assemble(&id, &flipped_caveat, &tag),
        )?,
        tampered(
            "chain_identifier_bit_flip",
            "One bit of the token id flipped (tok-0001 → tok-0000): still a valid identifier, \
             but the chain breaks.",
            "lowest bit of the last byte of the token id flipped",
            base.assemble(&flip_in(&id, b"tok-0001", 7)?, &cavs, &tag),
        )?,
        tampered(
            "chain_location_bit_flip",
            "The location is covered by the tag: auth.example.com → auth.dxample.com.",
            "lowest bit of the 'e' of 'example' flipped",
            base.assemble(&flip_in(&id, b"example", 0)?, &cavs, &tag),
        )?,
        tampered(
            "chain_subject_bit_flip",
            "The subject is covered by the tag: usr-alice → usr-alicd.",
            "lowest bit of the last byte of the subject id flipped",
            base.assemble(&flip_in(&id, b"alice", 4)?, &cavs, &tag),
        )?,
        tampered(
            "chain_tag_bit_flip",
            "One bit of the tag flipped.",
            "lowest bit of the first tag byte flipped",
            base.assemble(&id, &cavs, &flipped_tag),
        )?,
        tampered(
            "chain_tag_zero",
            "An all-zero tag.",
            "tag replaced by 32 zero bytes",
            base.assemble(&id, &cavs, &[0; 32]),
        )?,
        tampered(
            "chain_caveat_removed_middle",
            "Caveat 1 (ip) removed, final tag kept.",
            "caveat 1 removed",
            base.assemble(&id, &pick(&[0, 2]), &tag),
        )?,
        tampered(
            "chain_caveat_removed_last",
            "The last caveat removed (a truncated chain), final tag kept.",
            "caveat 2 removed",
            base.assemble(&id, &pick(&[0, 1]), &tag),
        )?,
        tampered(
            "chain_all_caveats_removed",
            "Every caveat removed, final tag kept.",
            "caveats 0, 1 and 2 removed",
            base.assemble(&id, &[], &tag),
        )?,
        tampered(
            "chain_caveats_reordered",
            "Caveats 0 and 1 swapped.",
            "caveat order 1, 0, 2",
            base.assemble(&id, &pick(&[1, 0, 2]), &tag),
        )?,
        tampered(
            "chain_caveat_duplicated",
            "Caveat 1 duplicated without a MAC step.",
            "caveat order 0, 1, 1, 2",
            base.assemble(&id, &pick(&[0, 1, 1, 2]), &tag),
        )?,
        tampered(
            "chain_caveat_appended_without_mac",
            "A caveat that would hold appended without the MAC step.",
            "time caveat (validUntil NOW+3600) appended as caveat 3, tag unchanged",
            base.assemble(&id, &[cavs.clone(), vec![extra]].concat(), &tag),
        )?,
        tampered(
            "chain_caveat_replaced",
            "Caveat 0 replaced by a weaker time caveat (100 hours).",
            "caveat 0 replaced by the time caveat validUntil NOW+360000",
            base.assemble(&id, &[vec![weaker], pick(&[1, 2])].concat(), &tag),
        )?,
        tampered(
            "chain_caveat_bytes_truncated",
            "Caveat 0 shortened by one byte (its byte string re-headed): the envelope is well \
             formed, the chain is not.",
            "last byte of caveat 0 removed",
            base.assemble(&id, &truncated_caveat, &tag),
        )?,
        tampered(
            "chain_intermediate_tag_as_final",
            "All caveats kept but tag_2 (the tag before the last caveat) offered as the tag.",
            "tag replaced by tag_2",
            base.assemble(&id, &cavs, &tag_n(2)),
        )?,
        tampered(
            "chain_tag0_as_final",
            "All caveats kept but tag_0 offered as the tag.",
            "tag replaced by tag_0",
            base.assemble(&id, &cavs, &tag_n(0)),
        )?,
        Vector::new(
            "chain_wrong_key",
            "A correctly formed token verified with another key (the same id as tampering).",
            base.clone(),
            invalid(),
        )?
        .ip("10.1.2.3")
        .keys(Some(key_other()), &[]),
    ];

    let rot_b = Chain::mint(&key_rot_b(), &with_key_id("2026-11"), vec![])?;
    let ring = [("2026-10", key_rot_a()), ("2026-11", key_rot_b())];
    out.extend([
        Vector::new(
            "chain_unknown_key_id",
            "The token names key id 2026-12, which the ring does not hold (it holds the signing \
             key under 2026-11, and a default).",
            Chain::mint(&key_rot_b(), &with_key_id("2026-12"), vec![])?,
            invalid(),
        )?
        .keys(Some(key_main()), &ring),
        Vector::new(
            "chain_no_default_key",
            "The token names no key id and the ring has no default key.",
            Chain::mint(&key_main(), &base_identifier(), vec![])?,
            invalid(),
        )?
        .keys(None, &[("2026-10", key_main())]),
        Vector::new(
            "chain_key_id_mismatch",
            "The token names key id 2026-10 but was signed with the key of 2026-11.",
            Chain::mint(&key_rot_b(), &with_key_id("2026-10"), vec![])?,
            invalid(),
        )?
        .keys(None, &ring),
        Vector::new(
            "chain_key_id_stripped",
            "The key id is covered by the tag: removing it from a 2026-11 token fails even \
             though the ring's default is the same key.",
            rot_b.clone(),
            invalid(),
        )?
        .keys(Some(key_rot_b()), &ring)
        .mutated(
            "identifier replaced by the same identifier without key id (keyId null), tag kept",
            rot_b.assemble(
                &Chain::mint(&key_rot_b(), &base_identifier(), vec![])?.identifier_bytes,
                &[],
                &rot_b.final_tag()?,
            ),
        ),
    ]);

    // The order of checks (SPEC.md §6.4): these two vectors carry two defects on purpose.
    let expired_unknown = Chain::mint(
        &key_main(),
        &with_token_id("tok-0100"),
        vec![
            Cav::typed(&time(NOW))?,
            Cav::raw(vec![0x82, 0x18, 0x63, 0x00]),
        ],
    )?;
    out.push(
        Vector::new(
            "order_forged_token_never_reaches_caveats",
            "Order of checks: a token with an expired caveat and an unknown caveat, verified \
             with the wrong key, fails with tokenInvalid (verification precedes clearing).",
            expired_unknown,
            invalid(),
        )?
        .keys(Some(key_other()), &[]),
    );
    let two_failures = Chain::mint(
        &key_main(),
        &with_token_id("tok-0101"),
        vec![Cav::typed(&ip(&["10.0.0.0/8"]))?, Cav::typed(&time(NOW))?],
    )?;
    out.push(
        Vector::new(
            "order_first_failing_caveat_reported",
            "Order of checks: caveat 0 (ip) and caveat 1 (time) both fail; caveat 0 is \
             reported.",
            two_failures,
            unverified(0, &ip(&["10.0.0.0/8"])),
        )?
        .ip("192.0.2.1"),
    );
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// encoding.json

const BASE64_ERROR: &str = "invalid base64url (unpadded, URL-safe alphabet)";
const ID_RULES: &str = "identifier field breaks the charset or length rules";
const URL_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A raw identifier vector: the base identifier with one field replaced, correctly MACed.
fn raw_id_vector(
    name: &str,
    description: &str,
    change: impl FnOnce(&mut Vec<Item>),
    reason: &str,
) -> Result<Vector, String> {
    let mut fields = raw_base_identifier();
    change(&mut fields);
    let chain = Chain::raw(
        &key_main(),
        &Item::A(fields),
        vec![Cav::typed(&time(NOW + HOUR))?],
    );
    Vector::new(name, description, chain, bad_token(reason))
}

fn set(fields: &mut [Item], index: usize, item: Item) {
    if let Some(f) = fields.get_mut(index) {
        *f = item;
    }
}

fn encoding() -> Result<Vec<Vector>, String> {
    let main = key_main();
    // The raw identifier writer must agree with the library for the base identifier.
    if encode(&Item::A(raw_base_identifier()))
        != Chain::mint(&main, &base_identifier(), vec![])?.identifier_bytes
    {
        return Err("raw identifier writer disagrees with the library".to_owned());
    }

    // A token whose binary length is not a multiple of 3, so that its base64 has a partial
    // final group (padding and trailing bits apply).
    // Its text must also contain '-' and '_', for the standard-alphabet vectors.
    let mut base = None;
    for i in 1..1000 {
        let c = Chain::mint(
            &main,
            &with_token_id(&format!("tok-{i}")),
            vec![Cav::typed(&time(NOW + HOUR))?],
        )?;
        let body = c.text()?.split_off(5);
        if c.envelope()?.len() % 3 != 0 && body.contains('-') && body.contains('_') {
            base = Some(c);
            break;
        }
    }
    let base = base.ok_or("no suitable token for the text vectors")?;
    let raw = base.envelope()?;
    let text = base.text()?;
    let body = text
        .strip_prefix("cvt1_")
        .ok_or_else(|| "prefix".to_owned())?
        .to_owned();
    let base_vector = |name: &str, description: &str, expected: Value, mutation: &str, token| {
        Ok::<_, String>(
            Vector::new(name, description, base.clone(), expected)?.mutated(mutation, token),
        )
    };
    let enc = |raw: &[u8]| native_text(raw);

    let padding = if raw.len() % 3 == 1 { "==" } else { "=" };
    let unused_bits = if raw.len() % 3 == 1 { 4 } else { 2 };
    let last = *body.as_bytes().last().ok_or("empty body")?;
    let last_index = URL_ALPHABET
        .iter()
        .position(|&c| c == last)
        .ok_or("not in alphabet")?;
    if last_index % (1 << unused_bits) != 0 {
        return Err("canonical base64 has non-zero trailing bits".to_owned());
    }
    let bad_last = char::from(*URL_ALPHABET.get(last_index + 1).ok_or("alphabet")?);
    let trailing_bits = format!("cvt1_{}{bad_last}", &body[..body.len() - 1]);
    let dash = body.find('-').ok_or("no '-' in the body")?;
    let underscore = body.find('_').ok_or("no '_' in the body")?;
    let replace_at = |i: usize, c: &str| format!("cvt1_{}{c}{}", &body[..i], &body[i + 1..]);

    let id = base.identifier_bytes.clone();
    let cavs = base.caveat_bytes();
    let tag = base.final_tag()?;
    let mut raw_trailing = raw.clone();
    raw_trailing.push(0x00);
    let raw_truncated = &raw[..raw.len() - 1];
    let mut as_map = raw.clone();
    if let Some(b) = as_map.first_mut() {
        *b = 0xa4;
    }
    // The envelope begins 0x84 0x01 (array of 4, version 1), then the identifier's head.
    let id_head = {
        let mut h = Vec::new();
        head(&mut h, 2, id.len() as u64);
        h
    };
    let after_id = 2 + id_head.len() + id.len();
    let rest_after_id = raw.get(after_id..).ok_or("short")?;
    let caveat_list = encode(&Item::A(cavs.iter().cloned().map(Item::B).collect()));
    let tag_item = encode(&Item::B(tag.clone()));

    let mut out = vec![
        base_vector(
            "encoding_empty",
            "The empty string.",
            bad_token("empty input"),
            "token replaced by the empty string",
            String::new(),
        )?,
        base_vector(
            "encoding_unknown_prefix",
            "A prefix that names no format.",
            bad_token("unknown token format"),
            "prefix cvt1_ replaced by cvx1_",
            format!("cvx1_{body}"),
        )?,
        base_vector(
            "encoding_uppercase_prefix",
            "The prefix is case-sensitive.",
            bad_token("unknown token format"),
            "prefix cvt1_ replaced by CVT1_",
            format!("CVT1_{body}"),
        )?,
        base_vector(
            "encoding_unsupported_text_version",
            "cvt2_: a native token of a version this verifier does not know.",
            bad_token("unsupported version"),
            "prefix cvt1_ replaced by cvt2_",
            format!("cvt2_{body}"),
        )?,
        base_vector(
            "encoding_unsupported_envelope_version",
            "The envelope's version field is 2 under the cvt1_ prefix (the version is not \
             MACed; the chain is otherwise intact).",
            bad_token("unsupported version"),
            "envelope version 1 replaced by 2",
            enc(&envelope(2, &id, &cavs, &tag)),
        )?,
        base_vector(
            "encoding_base64_padding",
            "Base64 padding appended.",
            bad_token(BASE64_ERROR),
            "'=' padding appended",
            format!("{text}{padding}"),
        )?,
        base_vector(
            "encoding_base64_plus",
            "A '-' replaced by '+' (the standard alphabet's character for the same value).",
            bad_token(BASE64_ERROR),
            "first '-' of the base64 body replaced by '+'",
            replace_at(dash, "+"),
        )?,
        base_vector(
            "encoding_base64_slash",
            "A '_' replaced by '/' (the standard alphabet's character for the same value).",
            bad_token(BASE64_ERROR),
            "first '_' of the base64 body replaced by '/'",
            replace_at(underscore, "/"),
        )?,
        base_vector(
            "encoding_base64_trailing_newline",
            "A trailing newline (no whitespace is stripped).",
            bad_token(BASE64_ERROR),
            "'\\n' appended",
            format!("{text}\n"),
        )?,
        base_vector(
            "encoding_base64_nonzero_trailing_bits",
            "The last base64 character has non-zero unused bits (it decodes to the same bytes \
             under a lenient decoder).",
            bad_token(BASE64_ERROR),
            "last base64 character replaced by the next one in the alphabet",
            trailing_bits,
        )?,
        base_vector(
            "encoding_trailing_byte",
            "One byte (0x00) after the envelope.",
            bad_token("trailing bytes"),
            "0x00 appended to the binary form",
            enc(&raw_trailing),
        )?,
        base_vector(
            "encoding_truncated",
            "The last byte of the binary form removed (the tag is 31 of 32 declared bytes).",
            bad_token("truncated"),
            "last byte of the binary form removed",
            enc(raw_truncated),
        )?,
        base_vector(
            "encoding_tag_31_bytes",
            "A tag byte string of 31 bytes.",
            bad_token("tag must be 32 bytes"),
            "tag replaced by its first 31 bytes",
            enc(&envelope(1, &id, &cavs, tag.get(..31).ok_or("tag")?)),
        )?,
        base_vector(
            "encoding_tag_33_bytes",
            "A tag byte string of 33 bytes.",
            bad_token("tag must be 32 bytes"),
            "0x00 appended to the tag",
            enc(&envelope(1, &id, &cavs, &[tag.clone(), vec![0]].concat())),
        )?,
        base_vector(
            "encoding_envelope_three_items",
            "An envelope array of 3 items (the tag left out).",
            bad_token("wrong number of array items"),
            "envelope head 0x84 replaced by 0x83 and the tag removed",
            enc(&encode(&Item::A(vec![
                Item::U(1),
                Item::B(id.clone()),
                Item::A(cavs.iter().cloned().map(Item::B).collect()),
            ]))),
        )?,
        base_vector(
            "encoding_envelope_map",
            "The envelope head is a map (major type 5).",
            bad_token("unexpected map"),
            "first byte 0x84 replaced by 0xa4",
            enc(&as_map),
        )?,
        base_vector(
            "encoding_self_described_cbor",
            "The envelope wrapped in CBOR tag 55799 (self-described CBOR).",
            bad_token("unexpected CBOR tag"),
            "0xd9d9f7 prepended to the binary form",
            enc(&[&[0xd9, 0xd9, 0xf7][..], &raw].concat()),
        )?,
        base_vector(
            "encoding_non_minimal_version",
            "The version written as 0x18 0x01 instead of 0x01.",
            bad_token("non-minimal integer encoding"),
            "version head 0x01 replaced by 0x18 0x01",
            enc(&[&[0x84, 0x18, 0x01][..], raw.get(2..).ok_or("short")?].concat()),
        )?,
        base_vector(
            "encoding_non_minimal_identifier_length",
            "The identifier's length written with a 2-byte argument although it fits in 1.",
            bad_token("non-minimal integer encoding"),
            "identifier head 0x58 n replaced by 0x59 0x00 n",
            enc(&[
                &[0x84, 0x01, 0x59, 0x00][..],
                &[u8::try_from(id.len()).map_err(err)?],
                &id,
                rest_after_id,
            ]
            .concat()),
        )?,
        base_vector(
            "encoding_identifier_as_text",
            "The identifier is a text string (major type 3) instead of a byte string.",
            bad_token("unexpected CBOR type"),
            "identifier head major type 2 replaced by 3",
            enc(&[
                &[0x84, 0x01][..],
                &[id_head.first().ok_or("head")? + 0x20],
                id_head.get(1..).ok_or("head")?,
                &id,
                rest_after_id,
            ]
            .concat()),
        )?,
        base_vector(
            "encoding_indefinite_caveat_array",
            "The caveat array has indefinite length (0x9f … 0xff).",
            bad_token("indefinite length"),
            "caveat array head replaced by 0x9f, 0xff added after the last caveat",
            enc(&[
                &[0x84, 0x01][..],
                &id_head,
                &id,
                &[0x9f],
                caveat_list.get(1..).ok_or("list")?,
                &[0xff],
                &tag_item,
            ]
            .concat()),
        )?,
        base_vector(
            "encoding_caveat_count_exceeds_input",
            "The caveat array declares 200 items, more than there are bytes left.",
            bad_token("truncated"),
            "caveat array head replaced by 0x98 0xc8 (200)",
            enc(&[
                &[0x84, 0x01][..],
                &id_head,
                &id,
                &[0x98, 0xc8],
                caveat_list.get(1..).ok_or("list")?,
                &tag_item,
            ]
            .concat()),
        )?,
    ];

    // The identifier's own rules (SPEC.md §3, §4.3): correctly MACed, malformed identifiers.
    out.extend([
        raw_id_vector(
            "identifier_subject_bad_charset",
            "The subject id contains a space.",
            |f| set(f, 3, Item::A(vec![Item::U(0), t("al ice")])),
            ID_RULES,
        )?,
        raw_id_vector(
            "identifier_empty_token_id",
            "An empty token id.",
            |f| set(f, 2, t("")),
            ID_RULES,
        )?,
        raw_id_vector(
            "identifier_empty_key_id",
            "A key id that is the empty string (absent is null, not \"\").",
            |f| set(f, 1, t("")),
            ID_RULES,
        )?,
        raw_id_vector(
            "identifier_location_with_space",
            "A location containing a space.",
            |f| set(f, 0, t("auth example.com")),
            ID_RULES,
        )?,
        raw_id_vector(
            "identifier_token_id_256_bytes",
            "A token id of 256 bytes (the maximum is 255).",
            |f| set(f, 2, t(&"t".repeat(256))),
            "string longer than allowed",
        )?,
        raw_id_vector(
            "identifier_invalid_utf8",
            "The location's text string holds the byte 0xff.",
            |f| set(f, 0, Item::Raw(vec![0x62, 0x61, 0xff])),
            "invalid UTF-8 in text string",
        )?,
        raw_id_vector(
            "identifier_unknown_subject_kind",
            "Subject kind 2 (only 0 = usr and 1 = prv exist).",
            |f| set(f, 3, Item::A(vec![Item::U(2), t("alice")])),
            "unknown subject kind",
        )?,
        raw_id_vector(
            "identifier_unknown_token_type",
            "Token type 3 (only 0 access, 1 identity, 2 invite exist).",
            |f| set(f, 4, Item::A(vec![Item::U(3)])),
            "unknown token type",
        )?,
        raw_id_vector(
            "identifier_identity_with_session",
            "An identity token type with a session field ([1, \"s\"]).",
            |f| set(f, 4, Item::A(vec![Item::U(1), t("s")])),
            "unknown token type",
        )?,
        raw_id_vector(
            "identifier_unknown_invite_code",
            "Invite type code 14 (codes are 0–13).",
            |f| {
                set(
                    f,
                    4,
                    Item::A(vec![Item::U(2), Item::U(14), t("space-1"), t("")]),
                );
            },
            "unknown invite type",
        )?,
        raw_id_vector(
            "identifier_unknown_persistence",
            "Persistence kind 2 (only 0 named and 1 temporary exist).",
            |f| set(f, 5, Item::A(vec![Item::U(2)])),
            "unknown persistence",
        )?,
        raw_id_vector(
            "identifier_temporary_without_generation",
            "Temporary persistence without its generation.",
            |f| set(f, 5, Item::A(vec![Item::U(1)])),
            "unknown persistence",
        )?,
        raw_id_vector(
            "identifier_negative_generation",
            "A generation of -1 (major type 1).",
            |f| set(f, 5, Item::A(vec![Item::U(1), Item::Neg(0)])),
            "unexpected negative integer",
        )?,
        raw_id_vector(
            "identifier_seven_fields",
            "An identifier array of 7 items.",
            |f| f.push(Item::Null),
            "array longer than allowed",
        )?,
        raw_id_vector(
            "identifier_trailing_bytes",
            "A byte (0x00) after the identifier's array, inside its byte string.",
            |f| {
                if let Some(last) = f.pop() {
                    f.push(Item::Raw([encode(&last), vec![0x00]].concat()));
                }
            },
            "trailing bytes",
        )?,
    ]);

    // Limits (SPEC.md §7), each exceeded by one with the limits set to the minimums.
    let at_limit = find_fill(512, 4096)?;
    let over_size = find_fill(512, 4097)?;
    let over_text = find_fill(512, 4103)?;
    let over_caveats = Chain::mint(
        &main,
        &with_token_id("tok-0200"),
        (0..65)
            .map(|i| Cav::typed(&time(NOW + HOUR + i)))
            .collect::<Result<_, _>>()?,
    )?;
    let over_caveat = Chain::mint(
        &main,
        &with_token_id("tok-0201"),
        vec![Cav::typed(&app(
            BIG_NAME,
            &"b".repeat(app_value_len(BIG_NAME, 257)?),
        ))?],
    )?;
    let over_identifier = Chain::mint(
        &main,
        &long_identifier(at_limit.token_id_len + 1),
        vec![Cav::typed(&time(NOW + HOUR))?],
    )?;
    out.extend([
        with_fill_predicates(
            Vector::new(
                "limit_token_bytes_exceeded",
                "A 4097-byte token under max_token_bytes = 4096 (its text is within the text \
                 bound, so the binary check rejects it).",
                fill_chain(&over_size)?,
                too_large("size", 4096),
            )?
            .limits(MIN_LIMITS),
            &over_size,
        )?,
        with_fill_predicates(
            Vector::new(
                "limit_text_length_exceeded",
                "A 4103-byte token whose text (5476 characters) exceeds the text bound for \
                 max_token_bytes = 4096 (5469): rejected before base64 decoding.",
                fill_chain(&over_text)?,
                too_large("size", 4096),
            )?
            .limits(MIN_LIMITS),
            &over_text,
        )?,
        Vector::new(
            "limit_caveats_exceeded",
            "65 caveats under max_caveats = 64.",
            over_caveats,
            too_large("caveats", 64),
        )?
        .limits(MIN_LIMITS),
        Vector::new(
            "limit_caveat_bytes_exceeded",
            "A 257-byte caveat under max_caveat_bytes = 256.",
            over_caveat,
            too_large("caveatSize", 256),
        )?
        .limits(MIN_LIMITS)
        .predicate(BIG_NAME)
        .attribute(BIG_NAME, &"b".repeat(app_value_len(BIG_NAME, 257)?)),
        Vector::new(
            "limit_identifier_bytes_exceeded",
            "A 513-byte identifier under max_identifier_bytes = 512.",
            over_identifier,
            too_large("identifierSize", 512),
        )?
        .limits(MIN_LIMITS),
    ]);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// clearing.json

fn clearing() -> Result<Vec<Vector>, String> {
    let main = key_main();
    let mut n = 300;
    let mut one = |caveats: Vec<Cav>| {
        n += 1;
        Chain::mint(&main, &with_token_id(&format!("tok-{n:04}")), caveats)
    };
    let v4 = ip(&["10.0.0.0/8"]);
    let v6 = ip(&["2001:db8::/32"]);
    let action = app("example.com/action", "read");
    let raw = |name: &str, description: &str, bytes: Vec<u8>, c: Chain| {
        Vector::new(name, description, c, unknown_bytes(0, &bytes))
    };
    let unknown_raw = [
        (
            "caveat_unknown_kind",
            "Kind 99 is not defined: [99, 0].",
            vec![0x82, 0x18, 0x63, 0x00],
        ),
        (
            "caveat_not_cbor",
            "The text form of a time caveat, which is not a native caveat.",
            format!("time < {}", NOW + HOUR).into_bytes(),
        ),
        (
            "caveat_non_minimal_integer",
            "A time caveat whose validUntil (5) is written 0x18 0x05.",
            vec![0x82, 0x00, 0x18, 0x05],
        ),
        (
            "caveat_wrong_field_count",
            "A time caveat without its value: [0].",
            vec![0x81, 0x00],
        ),
        (
            "caveat_trailing_bytes",
            "A time caveat followed by a byte inside its byte string.",
            [Cav::typed(&time(NOW + HOUR))?.bytes, vec![0x00]].concat(),
        ),
        (
            "caveat_negative_time",
            "validUntil = -1 (major type 1).",
            vec![0x82, 0x00, 0x20],
        ),
        (
            "caveat_ip_entry_bad_length",
            "An ip entry of 4 bytes (entries are 5 or 17 bytes).",
            encode(&Item::A(vec![
                Item::U(1),
                Item::A(vec![Item::B(vec![10, 0, 0, 0])]),
            ])),
        ),
        (
            "caveat_ip_prefix_too_long",
            "The IPv4 entry 10.0.0.0/33.",
            encode(&Item::A(vec![
                Item::U(1),
                Item::A(vec![Item::B(vec![10, 0, 0, 0, 33])]),
            ])),
        ),
        (
            "caveat_ip_empty_list",
            "An ip caveat with an empty whitelist.",
            encode(&Item::A(vec![Item::U(1), Item::A(vec![])])),
        ),
        (
            "caveat_invite_code_unknown",
            "An inviteType caveat listing code 14.",
            encode(&Item::A(vec![Item::U(2), Item::A(vec![Item::U(14)])])),
        ),
        (
            "caveat_invite_duplicate",
            "An inviteType caveat listing code 7 twice.",
            encode(&Item::A(vec![
                Item::U(2),
                Item::A(vec![Item::U(7), Item::U(7)]),
            ])),
        ),
        (
            "caveat_app_bad_name",
            "An application caveat whose name has an upper-case letter.",
            encode(&Item::A(vec![
                Item::U(3),
                t("Example.com/action"),
                t("read"),
            ])),
        ),
        (
            "caveat_app_control_character",
            "An application caveat whose value holds a newline.",
            encode(&Item::A(vec![
                Item::U(3),
                t("example.com/action"),
                t("re\nad"),
            ])),
        ),
    ];
    let mut out = Vec::new();
    for (name, description, bytes) in unknown_raw {
        let c = one(vec![Cav::raw(bytes.clone())])?;
        out.push(raw(name, description, bytes, c)?);
    }
    let app_json = serde_json::to_string(&action).map_err(err)?;
    out.extend([
        Vector::new(
            "time_expired_at_valid_until",
            "now = validUntil: expired (strict now < validUntil).",
            one(vec![Cav::typed(&time(NOW))?])?,
            unverified(0, &time(NOW)),
        )?,
        Vector::new(
            "time_leeway_exhausted",
            "now = validUntil + leeway (300 s): expired.",
            one(vec![Cav::typed(&time(NOW - 300))?])?,
            unverified(0, &time(NOW - 300)),
        )?
        .leeway(300),
        Vector::new(
            "time_overflow_fails_closed",
            "validUntil = 2^64-1 with a leeway of 1: the sum overflows, which fails closed.",
            one(vec![Cav::typed(&time(u64::MAX))?])?,
            unverified(0, &time(u64::MAX)),
        )?
        .leeway(1),
        Vector::new(
            "time_second_caveat_expired",
            "Caveat 0 holds, caveat 1 is expired: the error names index 1.",
            one(vec![
                Cav::typed(&time(NOW + HOUR))?,
                Cav::typed(&time(NOW))?,
            ])?,
            unverified(1, &time(NOW)),
        )?,
        Vector::new(
            "ip_mismatch_v4",
            "11.0.0.1 is not in 10.0.0.0/8.",
            one(vec![Cav::typed(&v4)?])?,
            unverified(0, &v4),
        )?
        .ip("11.0.0.1"),
        Vector::new(
            "ip_mismatch_v6",
            "2001:db9::1 is not in 2001:db8::/32.",
            one(vec![Cav::typed(&v6)?])?,
            unverified(0, &v6),
        )?
        .ip("2001:db9::1"),
        Vector::new(
            "ip_v4_client_v6_whitelist",
            "An IPv4 client never matches an IPv6 network.",
            one(vec![Cav::typed(&v6)?])?,
            unverified(0, &v6),
        )?
        .ip("10.1.2.3"),
        Vector::new(
            "ip_mismatch_mapped_v6",
            "The client ::ffff:11.0.0.1 is canonicalized to 11.0.0.1, not in 10.0.0.0/8.",
            one(vec![Cav::typed(&v4)?])?,
            unverified(0, &v4),
        )?
        .ip("::ffff:11.0.0.1"),
        Vector::new(
            "ip_v6_any_excludes_mapped_client",
            "::/0 does not match ::ffff:10.1.2.3, which is canonicalized to IPv4 first.",
            one(vec![Cav::typed(&ip(&["::/0"]))?])?,
            unverified(0, &ip(&["::/0"])),
        )?
        .ip("::ffff:10.1.2.3"),
        Vector::new(
            "ip_missing_client",
            "No client address in the context: fails closed.",
            one(vec![Cav::typed(&v4)?])?,
            unverified(0, &v4),
        )?,
        Vector::new(
            "ip_bare_address_is_host",
            "167.73.12.17/32 does not match 167.73.12.18.",
            one(vec![Cav::typed(&ip(&["167.73.12.17/32"]))?])?,
            unverified(0, &ip(&["167.73.12.17/32"])),
        )?
        .ip("167.73.12.18"),
        Vector::new(
            "app_unregistered",
            "An application caveat with no registered predicate is unknown, never skipped.",
            one(vec![Cav::typed(&action)?])?,
            error(
                "tokenCaveatUnknown",
                json!({"index": 0, "caveat": app_json}),
            ),
        )?
        .attribute("example.com/action", "read"),
        Vector::new(
            "app_predicate_denies",
            "The registered predicate is false (the request's attribute is write).",
            one(vec![Cav::typed(&action)?])?,
            unverified(0, &action),
        )?
        .predicate("example.com/action")
        .attribute("example.com/action", "write"),
        Vector::new(
            "caveat_unknown_after_holding_caveat",
            "Caveat 0 holds; caveat 1 is of unknown kind 99: the error names index 1.",
            one(vec![
                Cav::typed(&time(NOW + HOUR))?,
                Cav::raw(vec![0x82, 0x18, 0x63, 0x00]),
            ])?,
            unknown_bytes(1, &[0x82, 0x18, 0x63, 0x00]),
        )?,
    ]);
    let ujc = invite(&["userJoinCluster"]);
    let invite_chain = Chain::mint(
        &main,
        &invite_identifier(InviteType::UserJoinCluster, "cluster-0007", ""),
        vec![Cav::typed(&ujc)?],
    )?;
    out.extend([
        Vector::new(
            "invite_type_wrong",
            "The request asks for groupJoinCluster; the caveat lists userJoinCluster.",
            invite_chain.clone(),
            unverified(0, &ujc),
        )?
        .invite_type("groupJoinCluster"),
        Vector::new(
            "invite_type_missing",
            "The request names no invite type: fails closed.",
            invite_chain,
            unverified(0, &ujc),
        )?,
    ]);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// caveats.json: creating caveats from their JSON and text forms.

fn form_ok(name: &str, input: Value, json: &Value) -> Result<Value, String> {
    let c = typed(json)?;
    Ok(json!({
        "name": name,
        "input": input,
        "expected": {"json": json, "text": c.to_text(), "hex": hex::encode(c.to_native())},
    }))
}

fn form_err(name: &str, input: Value, key: &str, reason: &str) -> Value {
    json!({
        "name": name,
        "input": input,
        "expected": {"error": "badValueCaveat", "details": {"key": key, "reason": reason}},
    })
}

fn caveat_forms() -> Result<Value, String> {
    let j = |v: Value| json!({ "json": v });
    let tx = |s: &str| json!({ "text": s });
    let many: Vec<String> = (0..33).map(|i| format!("10.0.{i}.0/24")).collect();
    let forms = vec![
        form_ok("time_json", j(time(1_571_147_494)), &time(1_571_147_494))?,
        form_ok("time_text", tx("time < 8374891234"), &time(8_374_891_234))?,
        form_ok("time_zero", j(time(0)), &time(0))?,
        form_ok(
            "ip_json_issue_example",
            j(ip(&["189.34.15.0/8", "167.73.12.17"])),
            &ip(&["189.34.15.0/8", "167.73.12.17/32"]),
        )?,
        form_ok(
            "ip_json_v6_canonical_output",
            j(ip(&["2001:0DB8:0:0::1", "fe80::c000:201/128", "::/0"])),
            &ip(&["2001:db8::1/128", "fe80::c000:201/128", "::/0"]),
        )?,
        form_ok(
            "ip_text",
            tx("ip = 10.0.0.0/8|2001:db8::/32"),
            &ip(&["10.0.0.0/8", "2001:db8::/32"]),
        )?,
        form_ok(
            "invite_type_json",
            j(invite(&["userJoinCluster", "groupJoinCluster"])),
            &invite(&["userJoinCluster", "groupJoinCluster"]),
        )?,
        form_ok(
            "invite_type_text",
            tx("inviteType = supportSpace|registerOneprovider"),
            &invite(&["supportSpace", "registerOneprovider"]),
        )?,
        form_ok(
            "app_json",
            j(app("example.com/action", "read")),
            &app("example.com/action", "read"),
        )?,
        form_ok(
            "app_text_value_with_equals",
            tx("example.com/query = a = b"),
            &app("example.com/query", "a = b"),
        )?,
        form_ok(
            "app_empty_value",
            j(app("example.com/flag", "")),
            &app("example.com/flag", ""),
        )?,
        form_err(
            "time_negative",
            j(json!({"type": "time", "validUntil": -1})),
            "validUntil",
            "not a non-negative integer",
        ),
        form_err(
            "time_string",
            j(json!({"type": "time", "validUntil": "1571147494"})),
            "validUntil",
            "not a non-negative integer",
        ),
        form_err(
            "time_float",
            j(json!({"type": "time", "validUntil": 1.5})),
            "validUntil",
            "not a non-negative integer",
        ),
        form_err(
            "time_missing",
            j(json!({"type": "time"})),
            "validUntil",
            "missing",
        ),
        form_err(
            "time_unknown_key",
            j(json!({"type": "time", "validUntil": 1, "extra": true})),
            "extra",
            "unknown key",
        ),
        form_err(
            "type_unknown",
            j(json!({"type": "teleport", "destination": "mars"})),
            "type",
            "unknown caveat type",
        ),
        form_err(
            "type_missing",
            j(json!({"validUntil": 1})),
            "type",
            "missing",
        ),
        form_err(
            "not_an_object",
            j(json!(["time", 1])),
            "caveat",
            "not a JSON object",
        ),
        form_err("ip_empty", j(ip(&[])), "whitelist", "empty list"),
        form_err(
            "ip_leading_zero",
            j(ip(&["010.0.0.0/8"])),
            "whitelist",
            "not an IP address",
        ),
        form_err(
            "ip_prefix_too_long",
            j(ip(&["10.0.0.0/33"])),
            "whitelist",
            "prefix length too long",
        ),
        form_err(
            "ip_prefix_leading_zero",
            j(ip(&["10.0.0.0/08"])),
            "whitelist",
            "bad prefix length",
        ),
        form_err(
            "ip_mapped_entry",
            j(ip(&["::ffff:10.0.0.0/104"])),
            "whitelist",
            "IPv4-mapped IPv6 address: write the IPv4 address",
        ),
        form_err(
            "ip_zone_id",
            j(ip(&["fe80::1%eth0"])),
            "whitelist",
            "not an IP address",
        ),
        form_err(
            "ip_too_many_entries",
            j(json!({"type": "ip", "whitelist": many})),
            "whitelist",
            "more than 32 entries",
        ),
        form_err(
            "ip_text_trailing_space",
            tx("ip = 10.0.0.0/8 "),
            "whitelist",
            "bad prefix length",
        ),
        form_err(
            "invite_type_unknown",
            j(invite(&["userJoinGalaxy"])),
            "whitelist",
            "unknown invite type",
        ),
        form_err(
            "invite_type_duplicate",
            j(invite(&["userJoinSpace", "userJoinSpace"])),
            "whitelist",
            "duplicate entry",
        ),
        form_err(
            "invite_type_empty",
            j(invite(&[])),
            "whitelist",
            "empty list",
        ),
        form_err(
            "app_name_without_namespace",
            j(app("action", "read")),
            "name",
            "must be <namespace>/<name>",
        ),
        form_err(
            "app_name_upper_case",
            j(app("Example.com/action", "read")),
            "name",
            "allowed characters are a-z 0-9 . _ - /",
        ),
        form_err(
            "app_name_too_long",
            j(app(&format!("example.com/{}", "a".repeat(53)), "read")),
            "name",
            "must be 3 to 64 bytes",
        ),
        form_err(
            "app_value_control_character",
            j(app("example.com/action", "re\tad")),
            "value",
            "contains control characters",
        ),
        form_err(
            "time_text_leading_zero",
            tx("time < 01"),
            "validUntil",
            "not a non-negative integer",
        ),
        form_err(
            "time_text_no_spaces",
            tx("time<5"),
            "caveat",
            "not a known caveat text form",
        ),
        form_err(
            "text_unknown_predicate",
            tx("account = 3735928559"),
            "caveat",
            "not a known caveat text form",
        ),
    ];
    Ok(json!({
        "schema": "caveat-token/caveat-forms/1",
        "description": "Creating caveats from their JSON form (input.json) or text form \
                        (input.text): the canonical JSON, text and native bytes, or the \
                        badValueCaveat error naming the wrong key.",
        "regenerate": "cargo run --example generate_vectors",
        "forms": forms,
    }))
}
