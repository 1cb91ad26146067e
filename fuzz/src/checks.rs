//! The checks behind every fuzz target, shared word for word by the fuzzer (`fuzz/src/lib.rs`)
//! and the stable replay test (`tests/fuzz_corpus.rs`, which includes this file with `#[path]`).
//!
//! Each target is one function taking the raw input bytes. The structured targets decode those
//! bytes into their input type here, with `arbitrary::Unstructured` exactly as libFuzzer's
//! `fuzz_target!` does, so a corpus file means the same thing to the fuzzer and to the replay.
//! A check panics (with a message saying which property broke) when the library misbehaves;
//! inputs that simply are not tokens are not failures.
//!
//! The oracles are written independently of the library's internals: the HMAC chain is
//! recomputed with RustCrypto's `hmac` directly, and the clearing decision (which caveat denies,
//! and the expiry) is computed from the caveat values with plain code, not through `Verifier`.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use caveat_token::caveat::{AppCaveat, InviteTypeCaveat, IpCaveat};
use caveat_token::{
    Caveat, Context, Error, Format, Identifier, InviteType, KeyRing, KeySource, Limits,
    Persistence, RootKey, Subject, Token, TokenType, VerifiedToken, Verifier,
};
use hmac::{Hmac, KeyInit, Mac};
use ipnet::IpNet;
use sha2::Sha256;

/// Every fuzz target, by name (the names of `fuzz/fuzz_targets/*.rs` and the corpus folders).
pub const TARGETS: &[&str] = &["decode", "verify_oracle", "roundtrip", "caveat_parse"];

/// Runs target `target` on `data`. Returns `false` for an unknown target name.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "decode" => decode(data),
        "verify_oracle" => {
            verify_oracle(data);
        }
        "roundtrip" => {
            roundtrip(data);
        }
        "caveat_parse" => caveat_parse(data),
        _ => return false,
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Fixed keys, fixed verifier configuration, and the independent oracles.
// ---------------------------------------------------------------------------------------------

/// The fixed root key the fuzz targets mint and verify with (public: test use only).
pub const KEY_A: &[u8] = b"caveat-token fuzz key A (public, for tests only)";
/// A second fixed key, found in the key ring under [`KEY_B_ID`].
pub const KEY_B: &[u8] = b"caveat-token fuzz key B (public, for tests only)";
/// The key id under which [`KEY_B`] is in the key ring.
pub const KEY_B_ID: &str = "kid-b";
/// The time around which seeds and contexts are built (unix seconds).
pub const BASE_NOW: u64 = 1_700_000_000;
/// The application caveat whose predicate compares the value with the context's attribute.
pub const APP_ACTION: &str = "example.com/action";
/// The application caveat whose predicate always refuses.
pub const APP_DENY: &str = "example.com/deny";

fn key_a() -> &'static RootKey {
    static KEY: OnceLock<RootKey> = OnceLock::new();
    KEY.get_or_init(|| RootKey::from_bytes(KEY_A).expect("fixed key A is valid"))
}

fn key_b() -> &'static RootKey {
    static KEY: OnceLock<RootKey> = OnceLock::new();
    KEY.get_or_init(|| RootKey::from_bytes(KEY_B).expect("fixed key B is valid"))
}

/// Default: key A; `kid-b`: key B; any other key id: no key.
fn key_ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        let mut ring = KeyRing::new();
        ring.set_default(key_a().clone());
        ring.insert(KEY_B_ID, key_b().clone());
        ring
    })
}

/// The secret the key ring uses for a token naming `key_id`, written out independently.
fn ring_secret(key_id: Option<&str>) -> Option<&'static [u8]> {
    match key_id {
        None => Some(KEY_A),
        Some(KEY_B_ID) => Some(KEY_B),
        Some(_) => None,
    }
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The chain's final tag, recomputed with `hmac` directly (the definition, not `chain::compute`):
/// `k = HMAC("macaroons-key-generator", secret)`, `t0 = HMAC(k, id)`, `ti = HMAC(t(i-1), ci)`.
pub fn reference_tag<'a>(
    secret: &[u8],
    identifier: &[u8],
    caveats: impl IntoIterator<Item = &'a [u8]>,
) -> [u8; 32] {
    let k = hmac_sha256(b"macaroons-key-generator", secret);
    caveats
        .into_iter()
        .fold(hmac_sha256(&k, identifier), |tag, c| hmac_sha256(&tag, c))
}

/// Whether `token`'s carried tag is the chain of its bytes under `secret`.
fn chains_under(token: &Token, secret: &[u8]) -> bool {
    reference_tag(secret, token.identifier_bytes(), token.caveat_bytes()) == *token.tag().as_bytes()
}

/// The outcome of clearing, as the reference computes it and as read from the library's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Every caveat held; the least `validUntil`, if any.
    Allow {
        /// The expiry.
        expires: Option<u64>,
    },
    /// Caveat `index` is not understood (undecodable, or an unregistered application caveat).
    Unknown(usize),
    /// Caveat `index` does not hold.
    Unverified(usize),
    /// Any other error, by id.
    Other(&'static str),
}

fn decision_of(result: &Result<VerifiedToken, Error>) -> Decision {
    match result {
        Ok(v) => Decision::Allow {
            expires: v.expires(),
        },
        Err(Error::TokenCaveatUnknown { index, .. }) => Decision::Unknown(*index),
        Err(Error::TokenCaveatUnverified { index, .. }) => Decision::Unverified(*index),
        Err(e) => Decision::Other(e.id()),
    }
}

/// A request context in plain values, from which both the library's `Context`/`Verifier` and
/// the reference decision are made.
#[derive(Debug, Clone)]
pub struct Request {
    now: u64,
    ip: Option<IpAddr>,
    invite_type: Option<InviteType>,
    leeway: u64,
    action: Option<String>,
    limits: Limits,
}

impl Request {
    fn context(&self) -> Context {
        let mut ctx = Context::at(self.now);
        ctx.ip = self.ip;
        ctx.invite_type = self.invite_type;
        if let Some(a) = &self.action {
            ctx = ctx.with_attribute(APP_ACTION, a.clone());
        }
        ctx
    }

    fn verifier(&self) -> Verifier {
        Verifier::new()
            .with_limits(self.limits)
            .with_leeway(self.leeway)
            .with_predicate(APP_ACTION, |value, ctx| {
                ctx.attribute(APP_ACTION) == Some(value)
            })
            .with_predicate(APP_DENY, |_, _| false)
    }
}

/// The reference clearing decision: caveats in chain order (`None` = not understood), the first
/// that is unknown or does not hold decides; otherwise allow, expiring at the least `validUntil`.
pub fn reference_clear(caveats: &[Option<Caveat>], req: &Request) -> Decision {
    let mut expires: Option<u64> = None;
    for (index, caveat) in caveats.iter().enumerate() {
        let holds = match caveat {
            None => return Decision::Unknown(index),
            Some(Caveat::Time(t)) => {
                expires = Some(match expires {
                    Some(e) if e < t.valid_until => e,
                    _ => t.valid_until,
                });
                // now < validUntil + leeway, where a sum past u64::MAX fails closed.
                let end = u128::from(t.valid_until) + u128::from(req.leeway);
                end <= u128::from(u64::MAX) && u128::from(req.now) < end
            }
            Some(Caveat::Ip(c)) => match req.ip {
                None => false,
                Some(client) => c.whitelist.iter().any(|net| reference_ip_in(net, client)),
            },
            Some(Caveat::InviteType(c)) => match req.invite_type {
                None => false,
                Some(t) => c.whitelist.contains(&t),
            },
            Some(Caveat::App(a)) => match a.name() {
                APP_ACTION => req.action.as_deref() == Some(a.value()),
                APP_DENY => false,
                _ => return Decision::Unknown(index),
            },
            Some(_) => return Decision::Unknown(index),
        };
        if !holds {
            return Decision::Unverified(index);
        }
    }
    Decision::Allow { expires }
}

/// Whether `client` is in `net`, bit by bit; an IPv4-mapped IPv6 client (`::ffff:a.b.c.d`) is
/// its IPv4 address; families never mix.
fn reference_ip_in(net: &IpNet, client: IpAddr) -> bool {
    let client: Vec<u8> = match client {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => {
            let o = a.octets();
            if o[..10].iter().all(|&b| b == 0) && o[10] == 0xff && o[11] == 0xff {
                o[12..].to_vec()
            } else {
                o.to_vec()
            }
        }
    };
    let (addr, prefix): (Vec<u8>, u8) = match net {
        IpNet::V4(n) => (n.addr().octets().to_vec(), n.prefix_len()),
        IpNet::V6(n) => (n.addr().octets().to_vec(), n.prefix_len()),
    };
    if addr.len() != client.len() {
        return false;
    }
    let bit = |bytes: &[u8], i: usize| (bytes[i / 8] >> (7 - i % 8)) & 1;
    (0..usize::from(prefix)).all(|i| bit(&addr, i) == bit(&client, i))
}

// ---------------------------------------------------------------------------------------------
// Small helpers shared by the targets.
// ---------------------------------------------------------------------------------------------

/// Decodes a structured input as `libfuzzer_sys::fuzz_target!` does: too short for the type's
/// minimum size is skipped, otherwise `arbitrary_take_rest`.
fn structured<'a, T: Arbitrary<'a>>(data: &'a [u8]) -> Option<T> {
    if data.len() < T::size_hint(0).0 {
        return None;
    }
    T::arbitrary_take_rest(Unstructured::new(data)).ok()
}

fn assert_decode_error(e: &Error, what: &str) {
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
fn carrier() -> &'static Token {
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
/// Whatever decodes must re-encode to the identical bytes (one value, one encoding).
fn native_caveat(bytes: &[u8]) -> Option<Caveat> {
    let token = carrier().attenuate_raw(bytes);
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
fn caveat_forms_roundtrip(c: &Caveat) {
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
fn caveat_parsers(s: &str) {
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
/// re-encodes to the identical bytes, each caveat that decodes re-encodes to its bytes.
fn check_decoded(t: &Token) {
    let id = t
        .untrusted_identifier()
        .expect("a decoded token's identifier parses");
    assert_eq!(t.caveat_count(), t.caveat_bytes().len());
    // The byte-level identities below are those of the native format; other formats (as they
    // land) keep the text identity checked by the callers and the caveat round trips.
    let native = t.format() == Format::Native;
    if native {
        assert!(
            t.as_bytes().ends_with(t.tag().as_bytes()),
            "the tag ends the token"
        );
        // Minting with the parsed identifier writes the canonical encoding: it must be the same.
        let reminted = Token::mint(key_a(), &id, &[]).expect("a decoded identifier is valid");
        assert_eq!(
            reminted.identifier_bytes(),
            t.identifier_bytes(),
            "identifier {id:?} re-encodes differently"
        );
    }
    for (bytes, parsed) in t.caveat_bytes().zip(t.untrusted_caveats()) {
        match parsed {
            Ok(c) => {
                if native {
                    assert_eq!(c.to_native(), bytes, "caveat {c:?} re-encodes differently");
                }
                caveat_forms_roundtrip(&c);
            }
            Err(e) => assert_eq!(e.id(), "tokenCaveatUnknown", "{e}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Target `decode`: arbitrary bytes into every decoder.
// ---------------------------------------------------------------------------------------------

/// Limits small enough that the fuzzer reaches each of them.
const SMALL_LIMITS: Limits = Limits {
    max_token_bytes: 600,
    max_caveats: 4,
    max_caveat_bytes: 64,
    max_identifier_bytes: 200,
};

/// Target `decode`: the bytes (and their text, strict and lossy) go into every decoder; nothing
/// panics; whatever decodes re-encodes to the identical bytes or text.
pub fn decode(data: &[u8]) {
    let limits = Limits::default();

    // Binary form.
    match Token::from_bytes(data, &limits) {
        Ok(t) => {
            assert_eq!(t.as_bytes(), data, "binary decode keeps the bytes");
            check_decoded(&t);
            let text = t.to_text();
            let again = Token::from_text(&text, &limits).expect("a token's own text decodes");
            assert_eq!(
                again.as_bytes(),
                data,
                "text of a binary token decodes back"
            );
            assert_eq!(again.to_text(), text);
        }
        Err(e) => assert_decode_error(&e, "from_bytes"),
    }
    // Tighter limits never accept more, and accept the same thing.
    if let Ok(t) = Token::from_bytes(data, &SMALL_LIMITS) {
        let wide = Token::from_bytes(data, &limits).expect("small limits accepted it");
        assert_eq!(t.as_bytes(), wide.as_bytes());
    }

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

fn decode_text(s: &str, limits: &Limits) {
    match Token::from_text(s, limits) {
        Ok(t) => {
            assert_eq!(
                t.to_text(),
                s,
                "text decode re-encodes to the identical text"
            );
            check_decoded(&t);
            if t.format() == Format::Native {
                let bin = Token::from_bytes(t.as_bytes(), limits).expect("its bytes decode");
                assert_eq!(bin.as_bytes(), t.as_bytes());
            }
        }
        Err(e) => assert_decode_error(&e, "from_text"),
    }
    if let Ok(t) = Token::from_text(s, &SMALL_LIMITS) {
        let wide = Token::from_text(s, limits).expect("small limits accepted it");
        assert_eq!(t.as_bytes(), wide.as_bytes());
    }
}

// ---------------------------------------------------------------------------------------------
// Structured context, shared by `verify_oracle` and `roundtrip`.
// ---------------------------------------------------------------------------------------------

/// The request time.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuzzTime {
    /// Within ±32768 s of [`BASE_NOW`], where the seeds' time caveats are.
    Near(u16),
    /// Anything.
    Any(u64),
}

/// The client address.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuzzIp {
    /// An IPv4 address.
    V4([u8; 4]),
    /// An IPv6 address.
    V6([u8; 16]),
    /// An IPv4-mapped IPv6 address, `::ffff:a.b.c.d`.
    Mapped([u8; 4]),
}

/// The verifier's leeway.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuzzLeeway {
    /// No leeway.
    Zero,
    /// A few minutes at most.
    Small(u8),
    /// Anything, overflow included.
    Any(u64),
}

/// The request context and the verifier's configuration.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub struct FuzzContext {
    /// Now.
    pub now: FuzzTime,
    /// The client address.
    pub ip: Option<FuzzIp>,
    /// The requested invite type (index into `InviteType::ALL`, modulo its length).
    pub invite_type: Option<u8>,
    /// The verifier's leeway.
    pub leeway: FuzzLeeway,
    /// The `example.com/action` attribute (index into [`ACTIONS`]).
    pub action: Option<u8>,
}

/// The values the context's `example.com/action` attribute can take.
pub const ACTIONS: &[&str] = &["read", "write", ""];

impl FuzzContext {
    fn request(&self, limits: Limits) -> Request {
        let now = match self.now {
            FuzzTime::Near(n) => BASE_NOW + u64::from(n) - 32_768,
            FuzzTime::Any(n) => n,
        };
        let ip = self.ip.map(|ip| match ip {
            FuzzIp::V4(o) => IpAddr::V4(Ipv4Addr::from(o)),
            FuzzIp::V6(o) => IpAddr::V6(Ipv6Addr::from(o)),
            FuzzIp::Mapped(o) => IpAddr::V6(Ipv4Addr::from(o).to_ipv6_mapped()),
        });
        let invite_type = self
            .invite_type
            .map(|i| InviteType::ALL[usize::from(i) % InviteType::ALL.len()]);
        let leeway = match self.leeway {
            FuzzLeeway::Zero => 0,
            FuzzLeeway::Small(s) => u64::from(s),
            FuzzLeeway::Any(s) => s,
        };
        Request {
            now,
            ip,
            invite_type,
            leeway,
            action: self
                .action
                .map(|i| ACTIONS[usize::from(i) % ACTIONS.len()].to_owned()),
            limits,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Target `verify_oracle`: arbitrary token bytes and a context, against fixed keys.
// ---------------------------------------------------------------------------------------------

/// Input of `verify_oracle`.
#[derive(Arbitrary, Debug)]
pub struct OracleInput<'a> {
    /// The request.
    pub ctx: FuzzContext,
    /// Read `token` as text (lossy UTF-8) rather than as the binary form.
    pub text: bool,
    /// The token: all remaining bytes, as they are.
    pub token: &'a [u8],
}

/// Target `verify_oracle`: never panics, and never verifies anything the fixed keys did not
/// chain. A token whose chain holds under the right key gets exactly the reference decision.
/// Returns the key ring's decision (`None` when the bytes are too short for an input).
pub fn verify_oracle(data: &[u8]) -> Option<Decision> {
    let input = structured::<OracleInput>(data)?;
    let req = input.ctx.request(Limits::default());
    let verifier = req.verifier();
    let ctx = req.context();
    let text = String::from_utf8_lossy(input.token);

    let decoded = if input.text {
        Token::from_text(&text, verifier.limits())
    } else {
        Token::from_bytes(input.token, verifier.limits())
    };
    let (by_ring, by_key_a) = if input.text {
        (
            verifier.verify_text(&text, key_ring(), &ctx),
            verifier.verify_text(&text, key_a(), &ctx),
        )
    } else {
        let verify = |keys: &dyn KeySource| {
            Token::from_bytes(input.token, verifier.limits())
                .and_then(|t| verifier.verify(t, keys, &ctx))
        };
        (verify(key_ring()), verify(key_a()))
    };

    let token = match decoded {
        Err(e) => {
            assert_decode_error(&e, "verify_oracle decode");
            for r in [&by_ring, &by_key_a] {
                let got = r.as_ref().err().map(Error::id);
                assert_eq!(got, Some(e.id()), "verification of undecodable input");
            }
            return Some(Decision::Other(e.id()));
        }
        Ok(t) => t,
    };
    if input.text {
        assert_eq!(token.to_text(), text, "text decode is exact");
    } else {
        assert_eq!(token.as_bytes(), input.token, "binary decode is exact");
    }
    check_decoded(&token);

    let id = token
        .untrusted_identifier()
        .expect("a decoded identifier parses");
    let caveats: Vec<Option<Caveat>> = token.untrusted_caveats().map(Result::ok).collect();
    let expected = reference_clear(&caveats, &req);

    let ring_ok = ring_secret(id.key_id.as_deref()).is_some_and(|s| chains_under(&token, s));
    oracle(&by_ring, ring_ok, &expected, "key ring");
    oracle(&by_key_a, chains_under(&token, KEY_A), &expected, "key A");

    if let Ok(v) = &by_ring {
        assert_eq!(v.identifier(), id, "the verified identifier is the token's");
        assert_eq!(
            v.caveats(),
            caveats.iter().flatten().cloned().collect::<Vec<_>>()
        );
    }
    Some(decision_of(&by_ring))
}

fn oracle(result: &Result<VerifiedToken, Error>, chains: bool, expected: &Decision, which: &str) {
    if result.is_ok() {
        assert!(
            chains,
            "FALSE ACCEPT ({which}): verified a token whose chain does not hold"
        );
    }
    if chains {
        assert_eq!(
            &decision_of(result),
            expected,
            "clearing decision ({which})"
        );
    } else {
        assert_eq!(
            decision_of(result),
            Decision::Other("tokenInvalid"),
            "a token that does not chain ({which})"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Target `roundtrip`: build a token from structured input, encode, decode, verify.
// ---------------------------------------------------------------------------------------------

/// Strings for identifier fields: mostly valid ones, sometimes anything.
#[derive(Arbitrary, Debug, Clone)]
pub enum FuzzStr {
    /// One of a few valid values.
    Known(u8),
    /// `len % 300` copies of one ASCII byte (reaches the 255-byte limit).
    Repeat {
        /// The byte, modulo 128.
        byte: u8,
        /// The length, modulo 300.
        len: u16,
    },
    /// Anything.
    Raw(String),
}

const KNOWN_STRS: &[&str] = &[
    "alice",
    "tok-0001",
    "auth.example.com",
    "c-42",
    "sess~1",
    "a",
    "k=1+2@x_y.z",
    "p=1",
];

impl FuzzStr {
    fn build(&self) -> String {
        match self {
            Self::Known(i) => KNOWN_STRS[usize::from(*i) % KNOWN_STRS.len()].to_owned(),
            Self::Repeat { byte, len } => char::from(byte & 0x7f)
                .to_string()
                .repeat(usize::from(*len) % 300),
            Self::Raw(s) => s.clone(),
        }
    }
}

/// What the token is for.
#[derive(Arbitrary, Debug, Clone)]
pub enum FuzzTokenType {
    /// Access, with an optional session.
    Access(Option<FuzzStr>),
    /// Identity.
    Identity,
    /// Invite.
    Invite {
        /// Index into `InviteType::ALL`.
        invite: u8,
        /// The target id.
        target: FuzzStr,
        /// Parameters (`None`: empty).
        params: Option<FuzzStr>,
    },
}

/// A token identifier.
#[derive(Arbitrary, Debug, Clone)]
pub struct FuzzIdentifier {
    /// The location.
    pub location: FuzzStr,
    /// The key id.
    pub key_id: Option<FuzzStr>,
    /// The token id.
    pub token_id: FuzzStr,
    /// A provider rather than a user.
    pub provider: bool,
    /// The subject id.
    pub subject: FuzzStr,
    /// The type.
    pub token_type: FuzzTokenType,
    /// `Some(generation)`: temporary.
    pub generation: Option<u64>,
}

impl FuzzIdentifier {
    fn build(&self) -> Identifier<'static> {
        let subject = self.subject.build();
        Identifier {
            location: self.location.build().into(),
            key_id: self.key_id.as_ref().map(|k| k.build().into()),
            token_id: self.token_id.build().into(),
            subject: if self.provider {
                Subject::Provider(subject.into())
            } else {
                Subject::User(subject.into())
            },
            token_type: match &self.token_type {
                FuzzTokenType::Access(s) => TokenType::Access {
                    session: s.as_ref().map(|s| s.build().into()),
                },
                FuzzTokenType::Identity => TokenType::Identity,
                FuzzTokenType::Invite {
                    invite,
                    target,
                    params,
                } => TokenType::Invite {
                    invite_type: InviteType::ALL[usize::from(*invite) % InviteType::ALL.len()],
                    target: target.build().into(),
                    params: params.as_ref().map_or(String::new(), FuzzStr::build).into(),
                },
            },
            persistence: self.generation.map_or(Persistence::Named, |generation| {
                Persistence::Temporary { generation }
            }),
        }
    }
}

/// The identifier rules (SPEC §3), written out: ids are 1–255 bytes of `[A-Za-z0-9-._~@+=]`,
/// invite parameters may also be empty, locations are 1–255 bytes of printable ASCII, no space.
fn reference_identifier_ok(id: &Identifier<'_>) -> bool {
    let id_ok = |s: &str| {
        (1..=255).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~@+=".contains(&b))
    };
    let location_ok = (1..=255).contains(&id.location.len())
        && id.location.bytes().all(|b| (0x21..=0x7e).contains(&b));
    let subject = match &id.subject {
        Subject::User(s) | Subject::Provider(s) => s,
    };
    let type_ok = match &id.token_type {
        TokenType::Access { session } => session.as_deref().is_none_or(id_ok),
        TokenType::Identity => true,
        TokenType::Invite { target, params, .. } => {
            id_ok(target) && (params.is_empty() || id_ok(params))
        }
    };
    location_ok
        && id.key_id.as_deref().is_none_or(id_ok)
        && id_ok(&id.token_id)
        && id_ok(subject)
        && type_ok
}

/// A network in an IP caveat (the prefix is taken modulo the family's width plus one).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum FuzzNet {
    /// IPv4.
    V4([u8; 4], u8),
    /// IPv6.
    V6([u8; 16], u8),
}

/// Application caveat names: the two with predicates, an unregistered one, or anything.
#[derive(Arbitrary, Debug, Clone)]
pub enum FuzzAppName {
    /// `example.com/action`.
    Action,
    /// `example.com/deny`.
    Deny,
    /// `other.org/thing`, which has no predicate.
    Unregistered,
    /// Anything.
    Raw(String),
}

/// A caveat of any kind, built through the public constructors.
#[derive(Arbitrary, Debug, Clone)]
pub enum FuzzCaveat {
    /// Time, within ±32768 s of the base time.
    TimeNear(u16),
    /// Time, anything.
    Time(u64),
    /// IP whitelist.
    Ip(Vec<FuzzNet>),
    /// Invite type whitelist (indices into `InviteType::ALL`).
    InviteType(Vec<u8>),
    /// Application caveat.
    App(FuzzAppName, String),
}

impl FuzzCaveat {
    /// Builds the caveat, checking that the constructor accepts exactly what the rules allow.
    fn build(&self) -> Option<Caveat> {
        let (result, allowed) = match self {
            Self::TimeNear(n) => (Ok(Caveat::time(BASE_NOW + u64::from(*n) - 32_768)), true),
            Self::Time(t) => (Ok(Caveat::time(*t)), true),
            Self::Ip(nets) => {
                let nets: Vec<IpNet> = nets
                    .iter()
                    .map(|n| match *n {
                        FuzzNet::V4(a, p) => IpNet::new(Ipv4Addr::from(a).into(), p % 33),
                        FuzzNet::V6(a, p) => IpNet::new(Ipv6Addr::from(a).into(), p % 129),
                    })
                    .collect::<Result<_, _>>()
                    .expect("prefixes are reduced to the family's width");
                let allowed = (1..=64).contains(&nets.len());
                (IpCaveat::new(nets).map(Caveat::Ip), allowed)
            }
            Self::InviteType(codes) => {
                let types: Vec<InviteType> = codes
                    .iter()
                    .map(|&c| InviteType::ALL[usize::from(c) % InviteType::ALL.len()])
                    .collect();
                let distinct = types
                    .iter()
                    .enumerate()
                    .all(|(i, t)| !types[i + 1..].contains(t));
                let allowed = !types.is_empty() && distinct;
                (
                    InviteTypeCaveat::new(types).map(Caveat::InviteType),
                    allowed,
                )
            }
            Self::App(name, value) => {
                let name = match name {
                    FuzzAppName::Action => APP_ACTION.to_owned(),
                    FuzzAppName::Deny => APP_DENY.to_owned(),
                    FuzzAppName::Unregistered => "other.org/thing".to_owned(),
                    FuzzAppName::Raw(s) => s.clone(),
                };
                let allowed = reference_app_ok(&name, value);
                (AppCaveat::new(&name, value).map(Caveat::App), allowed)
            }
        };
        match result {
            Ok(c) => {
                assert!(
                    allowed,
                    "constructor accepted a caveat the rules forbid: {c:?}"
                );
                Some(c)
            }
            Err(e) => {
                assert!(!allowed, "constructor refused {self:?}: {e}");
                assert_eq!(e.id(), "badValueCaveat");
                None
            }
        }
    }
}

/// Application caveat rules, written out: the name is 3–64 bytes of `[a-z0-9._-/]` with exactly
/// one `/`, not first or last; the value is at most 255 bytes with no C0/C1 control character.
fn reference_app_ok(name: &str, value: &str) -> bool {
    let name_ok = (3..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b))
        && name.bytes().filter(|&b| b == b'/').count() == 1
        && !name.starts_with('/')
        && !name.ends_with('/');
    let value_ok = value.len() <= 255
        && value
            .chars()
            .all(|c| !matches!(u32::from(c), 0..=0x1f | 0x7f..=0x9f));
    name_ok && value_ok
}

/// One attenuation step.
#[derive(Arbitrary, Debug, Clone)]
pub enum FuzzStep {
    /// A typed caveat.
    Add(FuzzCaveat),
    /// Caveat bytes as they are (usually not understood).
    Raw(Vec<u8>),
}

/// Decoding limits (each small, to reach every limit).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct FuzzLimits {
    /// `max_token_bytes`.
    pub token: u16,
    /// `max_caveats`.
    pub caveats: u8,
    /// `max_caveat_bytes`.
    pub caveat: u16,
    /// `max_identifier_bytes`.
    pub identifier: u16,
}

/// Input of `roundtrip`.
#[derive(Arbitrary, Debug)]
pub struct RoundtripInput {
    /// The identifier.
    pub identifier: FuzzIdentifier,
    /// Caveats given at minting.
    pub minted: Vec<FuzzCaveat>,
    /// Attenuations after minting.
    pub steps: Vec<FuzzStep>,
    /// The request.
    pub ctx: FuzzContext,
    /// Non-default decoding limits.
    pub limits: Option<FuzzLimits>,
    /// Send the text form rather than the binary one.
    pub text: bool,
}

/// Target `roundtrip`: the token built from the input encodes, decodes to the identical bytes
/// and values, verifies under key A with exactly the reference decision, and never under key B.
/// Returns the decision (`None` when the bytes are too short for an input).
pub fn roundtrip(data: &[u8]) -> Option<Decision> {
    let input = structured::<RoundtripInput>(data)?;
    let id = input.identifier.build();
    let minted: Vec<Caveat> = input.minted.iter().filter_map(FuzzCaveat::build).collect();
    let token = match Token::mint(key_a(), &id, &minted) {
        Ok(t) => {
            assert!(
                reference_identifier_ok(&id),
                "minted a bad identifier {id:?}"
            );
            t
        }
        Err(e) => {
            assert!(
                !reference_identifier_ok(&id),
                "refused a good identifier {id:?}: {e}"
            );
            assert_eq!(e.id(), "badValueIdentifier");
            return Some(Decision::Other("badValueIdentifier"));
        }
    };
    let mut expected: Vec<Option<Caveat>> = minted.into_iter().map(Some).collect();
    let mut token = token;
    for step in &input.steps {
        let before: Vec<Vec<u8>> = token.caveat_bytes().map(<[u8]>::to_vec).collect();
        let (next, caveat) = match step {
            FuzzStep::Add(c) => match c.build() {
                Some(c) => (
                    token.attenuate(&c).expect("native takes every caveat"),
                    Some(c),
                ),
                None => continue,
            },
            FuzzStep::Raw(bytes) => (token.attenuate_raw(bytes), native_caveat(bytes)),
        };
        let after: Vec<&[u8]> = next.caveat_bytes().collect();
        assert_eq!(
            after.len(),
            before.len() + 1,
            "attenuation appends one caveat"
        );
        assert!(
            before.iter().zip(&after).all(|(a, b)| a.as_slice() == *b),
            "attenuation keeps earlier caveats"
        );
        assert_eq!(next.identifier_bytes(), token.identifier_bytes());
        token = next;
        expected.push(caveat);
    }
    assert!(
        chains_under(&token, KEY_A),
        "minting/attenuation chain differs from HMAC's"
    );

    // Encode, then decode under the limits.
    let limits = input.limits.map_or(Limits::default(), |l| Limits {
        max_token_bytes: usize::from(l.token),
        max_caveats: usize::from(l.caveats),
        max_caveat_bytes: usize::from(l.caveat),
        max_identifier_bytes: usize::from(l.identifier),
    });
    let too_large = if token.as_bytes().len() > limits.max_token_bytes {
        Some("size")
    } else if token.identifier_bytes().len() > limits.max_identifier_bytes {
        Some("identifierSize")
    } else if token.caveat_count() > limits.max_caveats {
        Some("caveats")
    } else if token
        .caveat_bytes()
        .any(|c| c.len() > limits.max_caveat_bytes)
    {
        Some("caveatSize")
    } else {
        None
    };
    let text = token.to_text();
    let decoded = if input.text {
        Token::from_text(&text, &limits)
    } else {
        Token::from_bytes(token.as_bytes(), &limits)
    };
    let decoded = match (decoded, too_large) {
        (Err(Error::TokenTooLarge { limit, .. }), Some(expected_limit)) => {
            assert_eq!(limit, expected_limit, "which limit refused the token");
            return Some(Decision::Other("tokenTooLarge"));
        }
        (Ok(t), None) => t,
        (got, want) => panic!("decode under {limits:?}: got {got:?}, expected limit {want:?}"),
    };
    assert_eq!(
        decoded.as_bytes(),
        token.as_bytes(),
        "decode keeps the bytes"
    );
    assert_eq!(decoded.to_text(), text);
    assert_eq!(
        decoded.untrusted_identifier().expect("identifier parses"),
        id,
        "identifier round trip"
    );
    let caveats: Vec<Option<Caveat>> = decoded.untrusted_caveats().map(Result::ok).collect();
    assert_eq!(caveats, expected, "caveat round trip");

    // Verify: key A gives the reference decision; key B never verifies.
    let req = input.ctx.request(limits);
    let verifier = req.verifier();
    let ctx = req.context();
    let want = reference_clear(&expected, &req);
    let got = verifier.verify(decoded.clone(), key_a(), &ctx);
    assert_eq!(decision_of(&got), want, "clearing decision");
    if let Ok(v) = &got {
        assert_eq!(v.identifier(), id);
        assert_eq!(v.token().as_bytes(), token.as_bytes());
    }
    let text_got = verifier.verify_text(&text, key_a(), &ctx);
    assert_eq!(decision_of(&text_got), want, "clearing decision (text)");
    let wrong = verifier.verify(decoded, key_b(), &ctx);
    assert_eq!(
        decision_of(&wrong),
        Decision::Other("tokenInvalid"),
        "wrong key"
    );
    Some(want)
}

// ---------------------------------------------------------------------------------------------
// Target `caveat_parse`: the caveat parsers.
// ---------------------------------------------------------------------------------------------

/// Target `caveat_parse`: the input (as UTF-8, lossily) into the JSON and text caveat parsers,
/// and, when it is JSON, into `Caveat::from_json`; whatever parses round-trips through every
/// form to an equal caveat.
pub fn caveat_parse(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    caveat_parsers(&s);
    // The text form's parts: a caveat text is "<kind> <op> <rest>"; feed the rest to each kind.
    for prefix in ["time < ", "ip = ", "inviteType = ", "example.com/action = "] {
        let text = format!("{prefix}{s}");
        match Caveat::from_text(&text) {
            Ok(c) => caveat_forms_roundtrip(&c),
            Err(e) => assert_eq!(e.id(), "badValueCaveat"),
        }
    }
    for entry in s.split(['|', ',']) {
        if let Ok(net) = IpCaveat::parse_entry(entry) {
            let again = IpCaveat::parse_entry(&net.to_string()).expect("a printed entry parses");
            assert_eq!(again, net, "IP entry round trip of {entry:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds: the generated part of the committed corpus.
// ---------------------------------------------------------------------------------------------

fn identifier(
    key_id: Option<&'static str>,
    subject: Subject<'static>,
    token_type: TokenType<'static>,
    persistence: Persistence,
) -> Identifier<'static> {
    Identifier {
        location: Cow::Borrowed("auth.example.com"),
        key_id: key_id.map(Cow::Borrowed),
        token_id: Cow::Borrowed("tok-0001"),
        subject,
        token_type,
        persistence,
    }
}

fn json_caveat(json: &str) -> Caveat {
    Caveat::from_json_str(json).expect("seed caveat parses")
}

/// Valid tokens minted with the fixed keys, by name.
pub fn seed_tokens() -> Vec<(&'static str, Token)> {
    let alice = || Subject::User("alice".into());
    let time = Caveat::time(BASE_NOW + 3600);
    let ip = json_caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8","2001:db8::/32","192.0.2.1"]}"#);
    let invite =
        json_caveat(r#"{"type":"inviteType","whitelist":["userJoinCluster","groupJoinSpace"]}"#);
    let action = json_caveat(r#"{"type":"app","name":"example.com/action","value":"read"}"#);
    let deny = json_caveat(r#"{"type":"app","name":"example.com/deny","value":"x"}"#);
    let other = json_caveat(r#"{"type":"app","name":"other.org/thing","value":"y"}"#);
    let access = TokenType::Access { session: None };
    let mint = |key: &RootKey, id: Identifier<'static>, caveats: &[Caveat]| {
        Token::mint(key, &id, caveats).expect("seed token mints")
    };
    let mut out = vec![
        (
            "access-plain",
            mint(
                key_a(),
                identifier(None, alice(), access.clone(), Persistence::Named),
                &[],
            ),
        ),
        (
            "access-session-temporary",
            mint(
                key_a(),
                identifier(
                    None,
                    alice(),
                    TokenType::Access {
                        session: Some("sess-1".into()),
                    },
                    Persistence::Temporary { generation: 3 },
                ),
                std::slice::from_ref(&time),
            ),
        ),
        (
            "identity-provider-ip",
            mint(
                key_a(),
                identifier(
                    None,
                    Subject::Provider("prv-1".into()),
                    TokenType::Identity,
                    Persistence::Named,
                ),
                std::slice::from_ref(&ip),
            ),
        ),
        (
            "invite-time-invitetype",
            mint(
                key_a(),
                identifier(
                    None,
                    alice(),
                    TokenType::Invite {
                        invite_type: InviteType::UserJoinCluster,
                        target: "c-42".into(),
                        params: "".into(),
                    },
                    Persistence::Temporary { generation: 1 },
                ),
                &[time.clone(), invite.clone()],
            ),
        ),
        (
            "invite-params-key-b",
            mint(
                key_b(),
                identifier(
                    Some(KEY_B_ID),
                    alice(),
                    TokenType::Invite {
                        invite_type: InviteType::SupportSpace,
                        target: "sp-1".into(),
                        params: "p=1".into(),
                    },
                    Persistence::Named,
                ),
                std::slice::from_ref(&time),
            ),
        ),
        (
            "app-caveats",
            mint(
                key_a(),
                identifier(None, alice(), access.clone(), Persistence::Named),
                &[action.clone(), deny],
            ),
        ),
        (
            "unregistered-app",
            mint(
                key_a(),
                identifier(None, alice(), access.clone(), Persistence::Named),
                &[other],
            ),
        ),
        (
            "unknown-key-id",
            mint(
                key_a(),
                identifier(Some("kid-zz"), alice(), access.clone(), Persistence::Named),
                std::slice::from_ref(&time),
            ),
        ),
        (
            "expired",
            mint(
                key_a(),
                identifier(None, alice(), access.clone(), Persistence::Named),
                &[Caveat::time(BASE_NOW - 1)],
            ),
        ),
        (
            "twenty-time-caveats",
            mint(
                key_a(),
                identifier(None, alice(), access.clone(), Persistence::Named),
                &(0..20)
                    .map(|i| Caveat::time(BASE_NOW + 100 * i))
                    .collect::<Vec<_>>(),
            ),
        ),
    ];
    let all_kinds = mint(
        key_a(),
        identifier(
            None,
            alice(),
            access,
            Persistence::Temporary { generation: 0 },
        ),
        &[time, ip, invite, action],
    )
    // A caveat of an unregistered kind (99) appended as raw bytes.
    .attenuate_raw(&[0x82, 0x18, 0x63, 0x00]);
    out.push(("all-kinds-and-unknown", all_kinds));
    out
}

/// Caveat samples in their JSON and text forms.
pub const CAVEAT_SAMPLES: &[&str] = &[
    r#"{"type":"time","validUntil":1700003600}"#,
    r#"{"type":"time","validUntil":18446744073709551615}"#,
    r#"{"type":"ip","whitelist":["189.34.15.0/8","167.73.12.17"]}"#,
    r#"{"type":"ip","whitelist":["2001:db8::/32","::ffff:10.1.2.3","0.0.0.0/0","::/0"]}"#,
    r#"{"type":"inviteType","whitelist":["userJoinCluster"]}"#,
    r#"{"type":"inviteType","whitelist":["userJoinGroup","groupJoinGroup","userJoinSpace","groupJoinSpace","harvesterJoinSpace","supportSpace","registerOneprovider","userJoinCluster","groupJoinCluster","userJoinHarvester","groupJoinHarvester","spaceJoinHarvester","userJoinAtmInventory","groupJoinAtmInventory"]}"#,
    r#"{"type":"app","name":"example.com/action","value":"read"}"#,
    r#"{"type":"app","name":"a/b","value":""}"#,
    r#"{ "validUntil" : 5 , "type" : "time" }"#,
    "time < 1700003600",
    "time < 0",
    "ip = 189.34.15.0/8|167.73.12.17/32",
    "ip = 2001:db8::/32|::ffff:10.1.2.3/128",
    "inviteType = userJoinCluster|groupJoinSpace",
    "example.com/action = read",
    "example.com/action = x = y",
];

/// The generated seeds, as `(target, file name, bytes)`.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let tokens = seed_tokens();
    for (name, t) in &tokens {
        out.push(("decode", format!("seed-{name}.bin"), t.as_bytes().to_vec()));
        out.push((
            "decode",
            format!("seed-{name}.txt"),
            t.to_text().into_bytes(),
        ));
        for (ctx_name, ctx) in seed_contexts() {
            for (form, bytes) in [
                ("bin", t.as_bytes().to_vec()),
                ("txt", t.to_text().into_bytes()),
            ] {
                out.push((
                    "verify_oracle",
                    format!("seed-{name}-{ctx_name}.{form}"),
                    oracle_seed(&ctx, form == "txt", &bytes),
                ));
            }
        }
    }
    for (i, (_, t)) in tokens.iter().enumerate() {
        for (j, c) in t.caveat_bytes().enumerate() {
            out.push(("decode", format!("seed-caveat-{i}-{j}.cbor"), c.to_vec()));
        }
    }
    for (i, s) in CAVEAT_SAMPLES.iter().enumerate() {
        out.push((
            "caveat_parse",
            format!("seed-sample-{i:02}"),
            s.as_bytes().to_vec(),
        ));
        out.push((
            "decode",
            format!("seed-sample-{i:02}"),
            s.as_bytes().to_vec(),
        ));
    }
    out
}

/// The contexts of the `verify_oracle` seeds: nothing known at `BASE_NOW - 32768`; a request
/// that satisfies the seed tokens' caveats (a minute after `BASE_NOW`, from 10.1.2.3, for
/// `userJoinCluster`, action `read`); the same from `::ffff:10.1.2.3` with some leeway.
fn seed_contexts() -> [(&'static str, FuzzContext); 3] {
    [
        (
            "bare",
            FuzzContext {
                now: FuzzTime::Near(0),
                ip: None,
                invite_type: None,
                leeway: FuzzLeeway::Zero,
                action: None,
            },
        ),
        (
            "matching",
            FuzzContext {
                now: FuzzTime::Near(32_768 + 60),
                ip: Some(FuzzIp::V4([10, 1, 2, 3])),
                invite_type: Some(7),
                leeway: FuzzLeeway::Zero,
                action: Some(0),
            },
        ),
        (
            "mapped",
            FuzzContext {
                now: FuzzTime::Near(32_768 + 60),
                ip: Some(FuzzIp::Mapped([10, 1, 2, 3])),
                invite_type: Some(7),
                leeway: FuzzLeeway::Small(30),
                action: Some(0),
            },
        ),
    ]
}

/// The bytes `arbitrary` decodes as an `OracleInput` with these fields (integers are read
/// little-endian from the front; an enum variant is `u32 * variants >> 32`; an option is a byte
/// whose low bit says `Some`). Checked by decoding them back, so a change in `arbitrary`'s
/// format fails the seed test instead of silently writing useless seeds.
fn oracle_seed(ctx: &FuzzContext, text: bool, token: &[u8]) -> Vec<u8> {
    fn variant(index: u32, count: u32) -> [u8; 4] {
        // The least u32 whose scaled value lands on `index`.
        let v = (u64::from(index) << 32).div_ceil(u64::from(count));
        u32::try_from(v).expect("index < count").to_le_bytes()
    }
    fn option_byte(d: &mut Vec<u8>, b: Option<u8>) {
        match b {
            None => d.push(0),
            Some(b) => d.extend([1, b]),
        }
    }
    let mut d = Vec::new();
    match ctx.now {
        FuzzTime::Near(n) => {
            d.extend(variant(0, 2));
            d.extend(n.to_le_bytes());
        }
        FuzzTime::Any(n) => {
            d.extend(variant(1, 2));
            d.extend(n.to_le_bytes());
        }
    }
    match ctx.ip {
        None => d.push(0),
        Some(FuzzIp::V4(o)) => {
            d.push(1);
            d.extend(variant(0, 3));
            d.extend(o);
        }
        Some(FuzzIp::V6(o)) => {
            d.push(1);
            d.extend(variant(1, 3));
            d.extend(o);
        }
        Some(FuzzIp::Mapped(o)) => {
            d.push(1);
            d.extend(variant(2, 3));
            d.extend(o);
        }
    }
    option_byte(&mut d, ctx.invite_type);
    match ctx.leeway {
        FuzzLeeway::Zero => d.extend(variant(0, 3)),
        FuzzLeeway::Small(s) => {
            d.extend(variant(1, 3));
            d.push(s);
        }
        FuzzLeeway::Any(s) => {
            d.extend(variant(2, 3));
            d.extend(s.to_le_bytes());
        }
    }
    option_byte(&mut d, ctx.action);
    d.push(u8::from(text));
    d.extend_from_slice(token);
    let back = structured::<OracleInput>(&d).expect("seed decodes");
    assert_eq!(
        (&back.ctx, back.text, back.token),
        (ctx, text, token),
        "arbitrary's encoding changed: update oracle_seed"
    );
    d
}

/// Deduplicates seeds by content, keeping the first name (the corpus holds each input once).
pub fn unique_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    for (target, name, bytes) in seeds() {
        if !out.iter().any(|(t, _, b)| *t == target && *b == bytes) {
            out.push((target, name, bytes));
        }
    }
    out
}
