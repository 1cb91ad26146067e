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
use caveat_token::cache::VerificationCache;
use caveat_token::caveat::{
    ApiRule, AppCaveat, Consumer, Gri, Interface, InviteTypeCaveat, IpCaveat, Service,
};
use caveat_token::{
    Caveat, Context, Error, Format, Identifier, InviteType, KeyRing, KeySource, Limits,
    Persistence, RootKey, Subject, Token, TokenType, Verified, VerifiedToken, Verifier,
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

/// The verification id of a native third-party caveat, read with plain code (SPEC §11.6: the
/// caveat is exactly `[15, cid: bstr, vid: bstr, location: tstr]` in deterministic CBOR, cid and
/// vid not empty); `None` for any other bytes.
pub fn reference_native_third_party(bytes: &[u8]) -> Option<&[u8]> {
    /// One definite-length string of major type `major` with a minimal head.
    fn string(b: &[u8], major: u8) -> Option<(&[u8], &[u8])> {
        let (&first, rest) = b.split_first()?;
        if first >> 5 != major {
            return None;
        }
        let (len, rest) = match first & 0x1f {
            n @ 0..=23 => (u64::from(n), rest),
            24 => (u64::from(*rest.first()?), &rest[1..]),
            25 => (
                u64::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?)),
                &rest[2..],
            ),
            26 => (
                u64::from(u32::from_be_bytes(rest.get(..4)?.try_into().ok()?)),
                &rest[4..],
            ),
            27 => (
                u64::from_be_bytes(rest.get(..8)?.try_into().ok()?),
                &rest[8..],
            ),
            _ => return None,
        };
        let minimal = match first & 0x1f {
            24 => len >= 24,
            25 => len > 0xff,
            26 => len > 0xffff,
            27 => len > 0xffff_ffff,
            _ => true,
        };
        let len = usize::try_from(len).ok()?;
        (minimal && rest.len() >= len).then(|| rest.split_at(len))
    }
    let rest = bytes.strip_prefix(&[0x84, 0x0f])?;
    let (cid, rest) = string(rest, 2)?;
    let (vid, rest) = string(rest, 2)?;
    let (location, rest) = string(rest, 3)?;
    let ok = !cid.is_empty()
        && !vid.is_empty()
        && std::str::from_utf8(location).is_ok()
        && rest.is_empty();
    ok.then_some(vid)
}

/// The verification id of each third-party caveat of `token`, by caveat position: native ones
/// read by [`reference_native_third_party`] (and the library's index must agree), those of the
/// libmacaroons formats from the library's packet parse (their vid is a packet of its own).
fn third_party_vids(token: &Token) -> Vec<Option<Vec<u8>>> {
    let mut vids: Vec<Option<Vec<u8>>> = vec![None; token.caveat_count()];
    match token.format() {
        Format::Native => {
            for (i, c) in token.caveat_bytes().enumerate() {
                vids[i] = reference_native_third_party(c).map(<[u8]>::to_vec);
            }
            let lib: Vec<usize> = token
                .untrusted_third_party_caveats()
                .map(|t| t.index)
                .collect();
            let mine: Vec<usize> = (0..vids.len()).filter(|&i| vids[i].is_some()).collect();
            assert_eq!(lib, mine, "native third-party caveats found by the library");
        }
        _ => {
            for t in token.untrusted_third_party_caveats() {
                assert!(
                    token.format().is_macaroon(),
                    "a third-party caveat in {:?}",
                    token.format()
                );
                vids[t.index] = Some(t.vid.to_vec());
            }
        }
    }
    vids
}

/// The chain's final tag over a token, third-party caveats included, recomputed with `hmac`
/// directly: a third-party caveat takes `HMAC(t, HMAC(t, vid) || HMAC(t, cid))` (SPEC §11.6).
pub fn reference_chain(secret: &[u8], token: &Token) -> [u8; 32] {
    let k = hmac_sha256(b"macaroons-key-generator", secret);
    let vids = third_party_vids(token);
    token.caveat_bytes().zip(&vids).fold(
        hmac_sha256(&k, token.identifier_bytes()),
        |tag, (c, vid)| match vid {
            None => hmac_sha256(&tag, c),
            Some(vid) => {
                let mut both = hmac_sha256(&tag, vid).to_vec();
                both.extend(hmac_sha256(&tag, c));
                hmac_sha256(&tag, &both)
            }
        },
    )
}

/// Whether `token`'s carried tag is the chain of its bytes under `secret`.
fn chains_under(token: &Token, secret: &[u8]) -> bool {
    reference_chain(secret, token) == *token.tag().as_bytes()
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

/// The three token types, as the allowed-caveat table sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeClass {
    /// Access tokens.
    Access,
    /// Identity tokens.
    Identity,
    /// Invite tokens.
    Invite,
}

impl TypeClass {
    fn of(t: &TokenType<'_>) -> Self {
        match t {
            TokenType::Access { .. } => Self::Access,
            TokenType::Identity => Self::Identity,
            TokenType::Invite { .. } => Self::Invite,
        }
    }
}

/// Which caveats a token type may carry, written out from SPEC §10.3: access tokens every kind
/// but `authorization = none`; identity tokens `time`, `ip`, `asn`, `geo.*`, `consumer`,
/// `interface`, `app`; invite tokens the same with `inviteType` instead of `interface`.
pub fn reference_allowed(class: TypeClass, c: &Caveat) -> bool {
    let common = matches!(
        c,
        Caveat::Time(_)
            | Caveat::Ip(_)
            | Caveat::Asn(_)
            | Caveat::GeoCountry(_)
            | Caveat::GeoRegion(_)
            | Caveat::Consumer(_)
            | Caveat::App(_)
    );
    match class {
        TypeClass::Access => !matches!(c, Caveat::AuthorizationNone(_)),
        TypeClass::Identity => common || matches!(c, Caveat::Interface(_)),
        TypeClass::Invite => common || matches!(c, Caveat::InviteType(_)),
    }
}

/// The reference clearing decision: caveats in chain order (`None` = not understood), the first
/// that is unknown, not allowed for the token's type (`class`; `None` for libmacaroons
/// predicates, which have no type) or does not hold decides; otherwise allow, expiring at the
/// least `validUntil`.
///
/// The oracles' verifiers have no geolocation, group or revocation source, do not allow
/// data-access caveats, and their contexts name no service, consumer or interface and expect
/// no token type; so `asn`, `geo.*`, `service`, `consumer`, `interface`, `data.*` and
/// `authorization = none` never hold, and `api` always holds (operations are checked later).
pub fn reference_clear(
    caveats: &[Option<Caveat>],
    req: &Request,
    class: Option<TypeClass>,
) -> Decision {
    let mut expires: Option<u64> = None;
    for (index, caveat) in caveats.iter().enumerate() {
        let Some(caveat) = caveat else {
            return Decision::Unknown(index);
        };
        if let Caveat::Time(t) = caveat {
            expires = Some(match expires {
                Some(e) if e < t.valid_until => e,
                _ => t.valid_until,
            });
        }
        if class.is_some_and(|class| !reference_allowed(class, caveat)) {
            return Decision::Unverified(index);
        }
        let holds = match caveat {
            Caveat::Time(t) => {
                // now < validUntil + leeway, where a sum past u64::MAX fails closed.
                let end = u128::from(t.valid_until) + u128::from(req.leeway);
                end <= u128::from(u64::MAX) && u128::from(req.now) < end
            }
            Caveat::Ip(c) => match req.ip {
                None => false,
                Some(client) => c.whitelist.iter().any(|net| reference_ip_in(net, client)),
            },
            Caveat::InviteType(c) => match req.invite_type {
                None => false,
                Some(t) => c.whitelist.contains(&t),
            },
            Caveat::App(a) => match a.name() {
                APP_ACTION => req.action.as_deref() == Some(a.value()),
                APP_DENY => false,
                _ => return Decision::Unknown(index),
            },
            Caveat::Api(_) => true,
            Caveat::Asn(_)
            | Caveat::GeoCountry(_)
            | Caveat::GeoRegion(_)
            | Caveat::Service(_)
            | Caveat::Consumer(_)
            | Caveat::Interface(_)
            | Caveat::DataReadonly(_)
            | Caveat::DataPath(_)
            | Caveat::DataObjectId(_)
            | Caveat::AuthorizationNone(_) => false,
            // A kind added after these checks were written: fail closed.
            _ => false,
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
/// Whatever decodes must re-encode to the identical bytes (one value, one encoding). A native
/// third-party caveat (kind 15) is refused by `attenuate_raw`, and only it.
fn native_caveat(bytes: &[u8]) -> Option<Caveat> {
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
/// re-encodes to the identical bytes (native and Onedata; libmacaroons identifiers are opaque),
/// each caveat that decodes re-encodes to its bytes (native encoding, or canonical text), and
/// its text form decodes back to the same format and bytes.
fn check_decoded(t: &Token) {
    let format = t.format();
    assert_eq!(t.caveat_count(), t.caveat_bytes().len());
    let vids = third_party_vids(t);
    match format {
        Format::Native | Format::Onedata => {
            let id = t
                .untrusted_identifier()
                .expect("a decoded token's identifier parses");
            // Minting with the parsed identifier writes the canonical encoding: the same bytes.
            let reminted =
                Token::mint_as(format, key_a(), &id, &[]).expect("a decoded identifier is valid");
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

/// Every format, for the binary decoders.
const FORMATS: [Format; 5] = [
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

fn decode_text(s: &str, limits: &Limits) {
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
/// chain. A token whose chain holds under the right key gets exactly the reference decision,
/// from `verify`/`verify_text`, `verify_with_discharges` and `verify_any` with no discharges,
/// and a `VerificationCache` (a miss, a hit, a hit in another context, and a long-lived cache
/// shared by every input). Returns the key ring's decision (`None` when the bytes are too short
/// for an input).
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
            if input.text {
                let cache = VerificationCache::new(verifier.clone(), 4);
                let got = cache.verify_text(&text, key_ring(), &ctx).err();
                assert_eq!(
                    got.as_ref().map(Error::id),
                    Some(e.id()),
                    "cache, undecodable"
                );
            }
            return Some(Decision::Other(e.id()));
        }
        Ok(t) => t,
    };
    if input.text {
        if matches!(token.format(), Format::Native | Format::Onedata) {
            assert_eq!(token.to_text(), text, "text decode is exact");
        }
    } else {
        assert_eq!(token.as_bytes(), input.token, "binary decode is exact");
    }
    check_decoded(&token);

    let format = token.format();
    let caveats: Vec<Option<Caveat>> = token.untrusted_caveats().map(Result::ok).collect();
    let has_third_party = third_party_vids(&token).iter().any(Option::is_some);
    // What the verifiers must decide for a token chained under the key they use.
    let (id, class) = if format.is_macaroon() {
        (None, None)
    } else {
        let id = token
            .untrusted_identifier()
            .expect("a decoded identifier parses");
        let class = TypeClass::of(&id.token_type);
        (Some(id), Some(class))
    };
    let key_id = id.as_ref().and_then(|id| id.key_id.as_deref());
    let cleared = reference_clear(&caveats, &req, class);
    let ring_chains = ring_secret(key_id).is_some_and(|s| chains_under(&token, s));
    let a_chains = chains_under(&token, KEY_A);
    let typed = |chains: bool| -> Expected {
        if format.is_macaroon() {
            Expected::Is(Decision::Other("badToken"))
        } else {
            Expected::of(chains, has_third_party, &cleared)
        }
    };
    oracle(&by_ring, ring_chains, &typed(ring_chains), "key ring");
    oracle(&by_key_a, a_chains, &typed(a_chains), "key A");

    if let Ok(v) = &by_ring {
        assert_eq!(
            Some(v.identifier()),
            id,
            "the verified identifier is the token's"
        );
        assert_eq!(
            v.caveats(),
            caveats.iter().flatten().cloned().collect::<Vec<_>>()
        );
    }

    // With an empty list of discharges: verify_with_discharges is verify; verify_any reads
    // libmacaroons tokens too (under the default key, predicates cleared as typed caveats).
    let macaroon_ring = ring_secret(None).is_some_and(|s| chains_under(&token, s));
    for (keys, chains, which) in [
        (key_ring() as &dyn KeySource, ring_chains, "key ring"),
        (key_a() as &dyn KeySource, a_chains, "key A"),
    ] {
        let with = verifier.verify_with_discharges(token.clone(), &[], keys, &ctx);
        oracle(&with, chains, &typed(chains), which);
        let any = verifier.verify_any(token.clone(), &[], keys, &ctx);
        let chains = if format.is_macaroon() {
            if which == "key A" {
                a_chains
            } else {
                macaroon_ring
            }
        } else {
            chains
        };
        let want = Expected::of(chains, has_third_party, &cleared);
        let any_decision = match any {
            Ok(Verified::Token(v)) => {
                assert!(!format.is_macaroon(), "verify_any: a macaroon as a token");
                Ok(v.expires())
            }
            Ok(Verified::Macaroon(m)) => {
                assert!(format.is_macaroon(), "verify_any: a token as a macaroon");
                assert_eq!(m.identifier(), token.identifier_bytes());
                Ok(m.expires())
            }
            Err(e) => Err(e),
        };
        oracle_decision(decision_of_parts(any_decision), chains, &want, which);
    }

    // The verification cache decides exactly as the verifier, miss or hit, in any context.
    let cache_text = if input.text {
        text.into_owned()
    } else {
        token.to_text()
    };
    let uncached = |c: &Context| decision_of(&verifier.verify_text(&cache_text, key_ring(), c));
    let cache = VerificationCache::new(verifier.clone(), 4);
    let other_ctx = Context {
        now: ctx.now.wrapping_add(3600),
        ..ctx.clone()
    };
    for (c, what) in [(&ctx, "miss"), (&ctx, "hit"), (&other_ctx, "hit, later")] {
        let got = cache.verify_text(&cache_text, key_ring(), c);
        assert_eq!(
            decision_of_parts(got.map(|v| v.expires())),
            uncached(c),
            "verification cache ({what})"
        );
    }
    // A cache shared by every input, so entries made by one input are hit by later ones.
    let shared = shared_cache();
    let got = shared.verify_text(&cache_text, key_ring(), &ctx);
    let plain = shared.verifier().verify_text(&cache_text, key_ring(), &ctx);
    assert_eq!(
        decision_of_parts(got.map(|v| v.expires())),
        decision_of(&plain),
        "shared verification cache"
    );
    if plain.is_ok() {
        assert!(ring_chains, "FALSE ACCEPT (shared cache's verifier)");
    }
    Some(decision_of(&by_ring))
}

/// A verification cache shared by every input of the process (leeway 0, default limits, the
/// same predicates as [`Request::verifier`]).
fn shared_cache() -> &'static VerificationCache {
    static CACHE: OnceLock<VerificationCache> = OnceLock::new();
    CACHE.get_or_init(|| {
        let verifier = Verifier::new()
            .with_predicate(APP_ACTION, |value, ctx| {
                ctx.attribute(APP_ACTION) == Some(value)
            })
            .with_predicate(APP_DENY, |_, _| false);
        VerificationCache::new(verifier, 64)
    })
}

/// What a verifier must answer.
#[derive(Debug)]
enum Expected {
    /// Exactly this.
    Is(Decision),
    /// A token with third-party caveats and no discharges: refused with one of these ids.
    OneOf(&'static [&'static str]),
}

impl Expected {
    fn of(chains: bool, has_third_party: bool, cleared: &Decision) -> Self {
        if !chains {
            Self::Is(Decision::Other("tokenInvalid"))
        } else if has_third_party {
            Self::OneOf(&["dischargeMissing", "thirdPartyCaveatInvalid"])
        } else {
            Self::Is(cleared.clone())
        }
    }
}

fn decision_of_parts(result: Result<Option<u64>, Error>) -> Decision {
    match result {
        Ok(expires) => Decision::Allow { expires },
        Err(Error::TokenCaveatUnknown { index, .. }) => Decision::Unknown(index),
        Err(Error::TokenCaveatUnverified { index, .. }) => Decision::Unverified(index),
        Err(e) => Decision::Other(e.id()),
    }
}

fn oracle(result: &Result<VerifiedToken, Error>, chains: bool, expected: &Expected, which: &str) {
    oracle_decision(decision_of(result), chains, expected, which);
}

fn oracle_decision(got: Decision, chains: bool, expected: &Expected, which: &str) {
    if matches!(got, Decision::Allow { .. }) {
        assert!(
            chains,
            "FALSE ACCEPT ({which}): verified a token whose chain does not hold"
        );
    }
    match expected {
        Expected::Is(want) => assert_eq!(&got, want, "decision ({which})"),
        Expected::OneOf(ids) => assert!(
            matches!(got, Decision::Other(id) if ids.contains(&id)),
            "decision ({which}): {got:?}, expected one of {ids:?}"
        ),
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
    /// One of the Onedata kinds, from [`ONEDATA_SAMPLES`] (modulo its length).
    Onedata(u8),
}

/// Caveats of the Onedata kinds, in their text forms, for `roundtrip`. Their reference
/// decision is simple in the oracles' contexts (see [`reference_clear`]), so they are drawn
/// from this list rather than generated field by field; `caveat_parse` and `decode` fuzz their
/// parsers.
pub const ONEDATA_SAMPLES: &[&str] = &[
    "asn = 3320|64512",
    "geo.country = PL|FR",
    "geo.country != DE",
    "geo.region = EU|Asia",
    "geo.region != Oceania",
    "service = ozw-onezone|opw-*",
    "consumer = usr-alice|grp-admins|prv-*",
    "interface = rest",
    "interface = oneclient",
    "api = all/all/*.*.*:*",
    "api = opw/get/op_space.s1.*:private",
    "data.readonly",
    "data.path = L3NwYWNlMS9maWxlMS50eHQ=",
    "data.objectid = 00000000000CDBDA677569642331323323616263",
    "authorization = none",
];

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
                let allowed = (1..=32).contains(&nets.len());
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
            Self::Onedata(i) => {
                let text = ONEDATA_SAMPLES[usize::from(*i) % ONEDATA_SAMPLES.len()];
                (Caveat::from_text(text), true)
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
    /// Mint in the Onedata format rather than the native one.
    pub onedata: bool,
}

/// The caveat a token reads back from what `c` encodes to: `c`, except for an `ip` caveat with
/// an IPv4-mapped entry, which `IpCaveat::new` accepts but no decoder reads (SPEC §5.3), so the
/// token carries a caveat it does not understand.
fn read_back(c: Caveat) -> Option<Caveat> {
    let mapped = |net: &ipnet::IpNet| match net {
        IpNet::V6(n) => {
            let o = n.addr().octets();
            o[..10].iter().all(|&b| b == 0) && o[10] == 0xff && o[11] == 0xff
        }
        IpNet::V4(_) => false,
    };
    match &c {
        Caveat::Ip(ip) if ip.whitelist.iter().any(mapped) => None,
        _ => Some(c),
    }
}

/// An Onedata caveat (its cid value) as the library must read it: UTF-8 that is exactly the
/// canonical text of the caveat it parses to, else not understood.
fn onedata_caveat(bytes: &[u8]) -> Option<Caveat> {
    let text = std::str::from_utf8(bytes).ok()?;
    let c = Caveat::from_text(text).ok()?;
    (c.to_text() == text).then_some(c)
}

/// Target `roundtrip`: the token built from the input encodes, decodes to the identical bytes
/// and values, verifies under key A with exactly the reference decision, and never under key B.
/// Returns the decision (`None` when the bytes are too short for an input).
pub fn roundtrip(data: &[u8]) -> Option<Decision> {
    let input = structured::<RoundtripInput>(data)?;
    let id = input.identifier.build();
    let minted: Vec<Caveat> = input.minted.iter().filter_map(FuzzCaveat::build).collect();
    let format = if input.onedata {
        Format::Onedata
    } else {
        Format::Native
    };
    // The Onedata format has no key id.
    let id_ok = reference_identifier_ok(&id) && (format == Format::Native || id.key_id.is_none());
    let token = match Token::mint_as(format, key_a(), &id, &minted) {
        Ok(t) => {
            assert!(id_ok, "minted a bad identifier {id:?} in {format:?}");
            t
        }
        Err(e) => {
            assert!(
                !id_ok,
                "refused a good identifier {id:?} in {format:?}: {e}"
            );
            assert_eq!(e.id(), "badValueIdentifier");
            return Some(Decision::Other("badValueIdentifier"));
        }
    };
    let mut expected: Vec<Option<Caveat>> = minted.into_iter().map(read_back).collect();
    let mut token = token;
    for step in &input.steps {
        let before: Vec<Vec<u8>> = token.caveat_bytes().map(<[u8]>::to_vec).collect();
        let (next, caveat) = match step {
            FuzzStep::Add(c) => match c.build() {
                Some(c) => (
                    token.attenuate(&c).expect("both formats take every caveat"),
                    read_back(c),
                ),
                None => continue,
            },
            FuzzStep::Raw(bytes) => {
                let attenuated = token.attenuate_raw(bytes);
                if format == Format::Native {
                    // native_caveat checks that only third-party caveats are refused.
                    let caveat = native_caveat(bytes);
                    match attenuated {
                        Ok(t) => (t, caveat),
                        Err(e) => {
                            assert!(reference_native_third_party(bytes).is_some(), "{e}");
                            continue;
                        }
                    }
                } else {
                    // An Onedata cid packet is at most 0xffff bytes: 4 + "cid " + value + "\n".
                    let fits = bytes.len() + 9 <= 0xffff;
                    match attenuated {
                        Ok(t) => {
                            assert!(fits, "an oversize cid packet");
                            (t, onedata_caveat(bytes))
                        }
                        Err(e) => {
                            assert!(!fits, "attenuate_raw refused a cid: {e}");
                            assert_eq!(e.id(), "badValueCaveat");
                            continue;
                        }
                    }
                }
            }
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
        Token::from_bytes_as(format, token.as_bytes(), &limits)
    };
    let decoded = match (decoded, too_large) {
        (Err(Error::TokenTooLarge { limit, .. }), Some(expected_limit)) => {
            if format == Format::Native {
                assert_eq!(limit, expected_limit, "which limit refused the token");
            } else {
                // The packet decoder meets the limits in packet order: any exceeded one may be
                // named first.
                let exceeded = match limit {
                    "size" => token.as_bytes().len() > limits.max_token_bytes,
                    "identifierSize" => {
                        token.identifier_bytes().len() > limits.max_identifier_bytes
                    }
                    "caveats" => token.caveat_count() > limits.max_caveats,
                    "caveatSize" => token
                        .caveat_bytes()
                        .any(|c| c.len() > limits.max_caveat_bytes),
                    _ => false,
                };
                assert!(exceeded, "limit {limit} named, but not exceeded");
            }
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
    let want = reference_clear(&expected, &req, Some(TypeClass::of(&id.token_type)));
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
    for prefix in TEXT_PREFIXES {
        let text = format!("{prefix}{s}");
        match Caveat::from_text(&text) {
            Ok(c) => caveat_forms_roundtrip(&c),
            Err(e) => assert_eq!(e.id(), "badValueCaveat"),
        }
    }
    // The JSON form around the input, as each kind's list or value.
    for (ty, key) in JSON_FIELDS {
        let value = match serde_json::from_str::<serde_json::Value>(&s) {
            Ok(v) => v,
            Err(_) => serde_json::Value::String(s.clone().into_owned()),
        };
        let mut obj = serde_json::Map::new();
        obj.insert("type".into(), (*ty).into());
        obj.insert((*key).into(), value);
        if ty.starts_with("geo.") {
            obj.insert("filter".into(), "whitelist".into());
        }
        let json = serde_json::Value::Object(obj);
        match Caveat::from_json(&json) {
            Ok(c) => caveat_forms_roundtrip(&c),
            Err(e) => assert_eq!(e.id(), "badValueCaveat", "from_json({json})"),
        }
    }
    // The list entries' own parsers: whatever parses prints to a text that parses back equal.
    for entry in s.split(['|', ',']) {
        if let Ok(net) = IpCaveat::parse_entry(entry) {
            let again = IpCaveat::parse_entry(&net.to_string()).expect("a printed entry parses");
            assert_eq!(again, net, "IP entry round trip of {entry:?}");
        }
        entry_roundtrip(entry, Service::parse, "service");
        entry_roundtrip(entry, Consumer::parse, "consumer");
        entry_roundtrip(entry, ApiRule::parse, "api rule");
        entry_roundtrip(entry, Gri::parse, "GRI");
        entry_roundtrip(entry, Gri::parse_pattern, "GRI pattern");
        entry_roundtrip(entry, Interface::parse, "interface");
    }
}

/// The text-form prefixes of every caveat kind (SPEC §5.6, §10.2).
const TEXT_PREFIXES: &[&str] = &[
    "time < ",
    "ip = ",
    "inviteType = ",
    "example.com/action = ",
    "asn = ",
    "geo.country = ",
    "geo.country != ",
    "geo.region = ",
    "geo.region != ",
    "service = ",
    "consumer = ",
    "interface = ",
    "api = ",
    "data.path = ",
    "data.objectid = ",
];

/// Each kind's JSON type and the key holding its list or value.
const JSON_FIELDS: &[(&str, &str)] = &[
    ("time", "validUntil"),
    ("ip", "whitelist"),
    ("inviteType", "whitelist"),
    ("asn", "whitelist"),
    ("geo.country", "list"),
    ("geo.region", "list"),
    ("service", "whitelist"),
    ("consumer", "whitelist"),
    ("interface", "interface"),
    ("api", "whitelist"),
    ("data.path", "whitelist"),
    ("data.objectid", "whitelist"),
];

/// A list entry's parser: what parses prints (`Display`) to a text that parses back equal, and
/// failures are `badValueCaveat`.
fn entry_roundtrip<T, F>(entry: &str, parse: F, what: &str)
where
    T: std::fmt::Display + PartialEq + std::fmt::Debug,
    F: Fn(&str) -> Result<T, Error>,
{
    match parse(entry) {
        Ok(v) => {
            let printed = v.to_string();
            let again = parse(&printed).expect("a printed entry parses");
            assert_eq!(
                again, v,
                "{what} round trip of {entry:?} (printed {printed:?})"
            );
            assert_eq!(
                again.to_string(),
                printed,
                "{what}: printing is a fixed point"
            );
        }
        Err(e) => assert_eq!(e.id(), "badValueCaveat", "{what} parser on {entry:?}: {e}"),
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
    .attenuate_raw(&[0x82, 0x18, 0x63, 0x00])
    .expect("a first-party caveat of an unknown kind");
    out.push(("all-kinds-and-unknown", all_kinds));

    // A native third-party caveat (fixed nonce: seeds must be reproducible).
    let third_party = mint(
        key_a(),
        identifier(None, alice(), access_type(), Persistence::Named),
        &[Caveat::time(BASE_NOW + 3600)],
    )
    .attenuate_third_party("https://tp.example", b"caveat key", b"cid-1", &[7; 24])
    .expect("third-party caveat");
    out.push(("native-third-party", third_party));

    // The Onedata format: every kind, each token type.
    let onedata = |id: Identifier<'static>, texts: &[&str]| {
        let caveats: Vec<Caveat> = texts
            .iter()
            .map(|t| Caveat::from_text(t).expect("seed caveat text"))
            .collect();
        Token::mint_as(Format::Onedata, key_a(), &id, &caveats).expect("Onedata seed mints")
    };
    let mut access_kinds = vec!["time < 1700003600", "ip = 10.0.0.0/8|2001:db8::/32"];
    access_kinds.extend(
        ONEDATA_SAMPLES
            .iter()
            .filter(|t| !t.starts_with("authorization")),
    );
    out.push((
        "onedata-access-every-kind",
        onedata(
            identifier(None, alice(), access_type(), Persistence::Named),
            &access_kinds,
        ),
    ));
    out.push((
        "onedata-access-api-time",
        onedata(
            identifier(
                None,
                alice(),
                TokenType::Access {
                    session: Some("sess-1".into()),
                },
                Persistence::Temporary { generation: 2 },
            ),
            &[
                "time < 1700003600",
                "api = all/all/*.*.*:*",
                "example.com/action = read",
            ],
        ),
    ));
    out.push((
        "onedata-identity-interface",
        onedata(
            identifier(
                None,
                Subject::Provider("prv-1".into()),
                TokenType::Identity,
                Persistence::Named,
            ),
            &["interface = rest", "time < 1700003600"],
        ),
    ));
    out.push((
        "onedata-invite-not-allowed",
        onedata(
            identifier(
                None,
                alice(),
                TokenType::Invite {
                    invite_type: InviteType::UserJoinCluster,
                    target: "c-42".into(),
                    params: "".into(),
                },
                Persistence::Named,
            ),
            &["inviteType = userJoinCluster", "service = ozw-onezone"],
        ),
    ));

    // libmacaroons' formats: opaque identifiers, predicates (typed or not), a third-party caveat.
    let predicates = [
        Caveat::time(BASE_NOW + 3600),
        json_caveat(r#"{"type":"app","name":"example.com/action","value":"read"}"#),
    ];
    for (name, format) in [
        ("macaroon-v1", Format::MacaroonV1),
        ("macaroon-v2", Format::MacaroonV2),
        ("macaroon-v2j", Format::MacaroonV2J),
    ] {
        let m = Token::mint_macaroon(
            format,
            key_a(),
            "http://example.org/",
            b"keyid",
            &predicates,
        )
        .expect("macaroon seed mints");
        let other = m
            .attenuate_raw(b"account = 3735928559")
            .expect("any predicate");
        let third = m
            .attenuate_third_party("http://tp.example/", b"caveat key", b"cid-1", &[9; 24])
            .expect("third-party caveat");
        out.push((name, m));
        out.push((
            match format {
                Format::MacaroonV1 => "macaroon-v1-unknown-predicate",
                Format::MacaroonV2 => "macaroon-v2-unknown-predicate",
                _ => "macaroon-v2j-unknown-predicate",
            },
            other,
        ));
        out.push((
            match format {
                Format::MacaroonV1 => "macaroon-v1-third-party",
                Format::MacaroonV2 => "macaroon-v2-third-party",
                _ => "macaroon-v2j-third-party",
            },
            third,
        ));
    }
    out
}

fn access_type() -> TokenType<'static> {
    TokenType::Access { session: None }
}

/// The token texts of the spec vectors (native, Onedata, libmacaroons; valid and not), with a
/// name saying where each is from. Read at run time from `spec/vectors/` (only the seed test
/// calls it).
pub fn vector_texts() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = if root.join("spec/vectors").is_dir() {
        root.join("spec/vectors")
    } else {
        root.join("../spec/vectors")
    };
    let mut out = Vec::new();
    for file in [
        "valid.json",
        "encoding.json",
        "chain.json",
        "clearing.json",
        "onedata/seed.json",
        "onedata/compat-20.02.json",
        "macaroons/pymacaroons.json",
        "macaroons/third_party.json",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).expect("readable spec vector file");
        let json: serde_json::Value = serde_json::from_str(&text).expect("spec vectors are JSON");
        let stem = file.trim_end_matches(".json").replace('/', "-");
        let lists = ["vectors", "tokens"];
        let mut i = 0;
        for list in lists {
            for v in json[list].as_array().into_iter().flatten() {
                let discharges = v["discharges"].as_array().into_iter().flatten();
                for t in std::iter::once(&v["token"]).chain(discharges) {
                    if let Some(t) = t.as_str() {
                        out.push((format!("{stem}-{i:02}"), t.to_owned()));
                        i += 1;
                    }
                }
            }
        }
    }
    out
}

/// The caveat forms of the spec vectors: JSON and text inputs (`caveats.json`, the Onedata
/// seed caveats).
pub fn vector_caveats() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = if root.join("spec/vectors").is_dir() {
        root.join("spec/vectors")
    } else {
        root.join("../spec/vectors")
    };
    let read = |f: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join(f)).expect("readable spec vector file");
        serde_json::from_str(&text).expect("spec vectors are JSON")
    };
    let mut out = Vec::new();
    for form in read("caveats.json")["forms"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(j) = form["input"].get("json") {
            out.push(j.to_string());
        }
        if let Some(t) = form["input"]["text"].as_str() {
            out.push(t.to_owned());
        }
    }
    for c in read("onedata/seed.json")["caveats"]
        .as_array()
        .into_iter()
        .flatten()
    {
        out.push(c["json"].to_string());
        if let Some(t) = c["text"].as_str() {
            out.push(t.to_owned());
        }
    }
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
            let mut forms = vec![("txt", t.to_text().into_bytes())];
            // The binary input of verify_oracle is the native binary form.
            if t.format() == Format::Native {
                forms.insert(0, ("bin", t.as_bytes().to_vec()));
            }
            for (form, bytes) in forms {
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
    let matching = &seed_contexts()[1].1;
    for (name, text) in vector_texts() {
        out.push((
            "decode",
            format!("seed-vec-{name}.txt"),
            text.clone().into_bytes(),
        ));
        if let Ok(t) = Token::from_text(&text, &Limits::default()) {
            out.push((
                "decode",
                format!("seed-vec-{name}.bin"),
                t.as_bytes().to_vec(),
            ));
        }
        out.push((
            "verify_oracle",
            format!("seed-vec-{name}.txt"),
            oracle_seed(matching, true, text.as_bytes()),
        ));
    }
    for (i, c) in vector_caveats().iter().enumerate() {
        out.push((
            "caveat_parse",
            format!("seed-vec-caveat-{i:02}"),
            c.as_bytes().to_vec(),
        ));
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
