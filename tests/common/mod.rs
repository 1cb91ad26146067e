//! Helpers shared by the behavioural test suites: fixed keys and identifiers, a hand-written
//! CBOR writer for building envelopes byte by byte (independent of the crate's own writer), and
//! small accessors for error ids and details.
//!
//! Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::borrow::Cow;
use std::net::IpAddr;
use std::ops::Range;

use caveat_token::{
    Caveat, Context, Error, Identifier, KeySource, Limits, Persistence, RootKey, Subject, Token,
    TokenType, VerifiedToken, Verifier,
};

/// The fixed root key most tests mint with.
pub const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// A fixed "now" (unix seconds) for contexts.
pub const NOW: u64 = 1_700_000_000;

/// The main test key.
pub fn key() -> RootKey {
    RootKey::from_hex(KEY_HEX).expect("fixed key")
}

/// A different key (forgeries, rotation).
pub fn other_key() -> RootKey {
    RootKey::from_bytes(b"some other root key").expect("fixed key")
}

/// A named access token identifier for `usr-alice`, no key id (a temporary one must carry a
/// time caveat: see `temporary_identifier`).
pub fn identifier() -> Identifier<'static> {
    Identifier {
        location: Cow::Borrowed("auth.example.com"),
        key_id: None,
        token_id: Cow::Borrowed("tok-0001"),
        subject: Subject::User(Cow::Borrowed("alice")),
        token_type: TokenType::Access { session: None },
        persistence: Persistence::Named,
    }
}

/// `identifier()` as a temporary token of generation 1.
pub fn temporary_identifier() -> Identifier<'static> {
    Identifier {
        persistence: Persistence::Temporary { generation: 1 },
        ..identifier()
    }
}

/// `identifier()` naming a root key id.
pub fn identifier_with_key_id(key_id: &'static str) -> Identifier<'static> {
    Identifier {
        key_id: Some(Cow::Borrowed(key_id)),
        ..identifier()
    }
}

/// Mints a token with the main key and the standard identifier.
pub fn mint(caveats: &[Caveat]) -> Token {
    Token::mint(&key(), &identifier(), caveats).expect("mint")
}

/// A caveat from its JSON text.
pub fn caveat(json: &str) -> Caveat {
    Caveat::from_json_str(json).unwrap_or_else(|e| panic!("caveat {json}: {e}"))
}

/// An IP address from text.
pub fn ip(text: &str) -> IpAddr {
    text.parse().unwrap_or_else(|_| panic!("ip {text}"))
}

/// The error id of a result that must be an error.
pub fn err_id<T: std::fmt::Debug>(result: Result<T, Error>) -> &'static str {
    match result {
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
        Err(e) => e.id(),
    }
}

/// Decodes binary bytes with the given limits and verifies them under `keys` with a default
/// verifier using the same limits.
pub fn verify_bytes<K: KeySource + ?Sized>(
    bytes: &[u8],
    limits: &Limits,
    keys: &K,
    ctx: &Context,
) -> Result<VerifiedToken, Error> {
    let token = Token::from_bytes(bytes, limits)?;
    Verifier::new()
        .with_limits(*limits)
        .verify(token, keys, ctx)
}

/// Decodes (default limits) and verifies binary bytes under the main key.
pub fn verify_default(bytes: &[u8], ctx: &Context) -> Result<VerifiedToken, Error> {
    verify_bytes(bytes, &Limits::default(), &key(), ctx)
}

// ---- A minimal CBOR writer, written independently of the crate's. ----

/// A CBOR head with the shortest encoding of `value`.
pub fn head(major: u8, value: u64) -> Vec<u8> {
    let m = major << 5;
    let be = value.to_be_bytes();
    match value {
        0..=23 => vec![m | be[7]],
        24..=0xff => vec![m | 24, be[7]],
        0x100..=0xffff => vec![m | 25, be[6], be[7]],
        0x1_0000..=0xffff_ffff => vec![m | 26, be[4], be[5], be[6], be[7]],
        _ => {
            let mut v = vec![m | 27];
            v.extend_from_slice(&be);
            v
        }
    }
}

/// An unsigned integer.
pub fn uint(v: u64) -> Vec<u8> {
    head(0, v)
}

/// A byte string.
pub fn bstr(b: &[u8]) -> Vec<u8> {
    let mut v = head(2, b.len() as u64);
    v.extend_from_slice(b);
    v
}

/// A text string.
pub fn tstr(s: &str) -> Vec<u8> {
    let mut v = head(3, s.len() as u64);
    v.extend_from_slice(s.as_bytes());
    v
}

/// An array head.
pub fn array(n: usize) -> Vec<u8> {
    head(4, n as u64)
}

/// Concatenates byte pieces.
pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// The native envelope written by hand: `[1, bstr identifier, [bstr caveat…], bstr tag]`.
pub fn envelope<C: AsRef<[u8]>>(identifier: &[u8], caveats: &[C], tag: &[u8]) -> Vec<u8> {
    envelope_version(&uint(1), identifier, caveats, tag)
}

/// The envelope with an arbitrary (already encoded) version item.
pub fn envelope_version<C: AsRef<[u8]>>(
    version: &[u8],
    identifier: &[u8],
    caveats: &[C],
    tag: &[u8],
) -> Vec<u8> {
    let mut v = array(4);
    v.extend_from_slice(version);
    v.extend(bstr(identifier));
    v.extend(array(caveats.len()));
    for c in caveats {
        v.extend(bstr(c.as_ref()));
    }
    v.extend(bstr(tag));
    v
}

/// A token's parts, copied: identifier bytes, caveat bytes, tag bytes.
pub fn parts(token: &Token) -> (Vec<u8>, Vec<Vec<u8>>, Vec<u8>) {
    (
        token.identifier_bytes().to_vec(),
        token.caveat_bytes().map(<[u8]>::to_vec).collect(),
        token.tag().as_bytes().to_vec(),
    )
}

/// Where each part of a token's binary form lies, computed from the documented layout; checks
/// that the layout really is the one the token's bytes have.
pub struct Layout {
    /// The identifier's content bytes.
    pub identifier: Range<usize>,
    /// Each caveat's content bytes.
    pub caveats: Vec<Range<usize>>,
    /// The tag's content bytes.
    pub tag: Range<usize>,
}

impl Layout {
    /// Whether `offset` is inside the content of a caveat or of the tag.
    pub fn in_caveat_or_tag(&self, offset: usize) -> bool {
        self.tag.contains(&offset) || self.caveats.iter().any(|r| r.contains(&offset))
    }
}

/// Computes the layout of `token` and asserts its bytes are exactly the hand-built envelope.
pub fn layout(token: &Token) -> Layout {
    let (id, cavs, tag) = parts(token);
    let rebuilt = envelope(&id, &cavs, &tag);
    assert_eq!(
        rebuilt,
        token.as_bytes(),
        "token bytes follow the documented envelope layout"
    );
    let mut pos = array(4).len() + uint(1).len() + head(2, id.len() as u64).len();
    let identifier = pos..pos + id.len();
    pos = identifier.end + array(cavs.len()).len();
    let mut caveats = Vec::new();
    for c in &cavs {
        pos += head(2, c.len() as u64).len();
        caveats.push(pos..pos + c.len());
        pos += c.len();
    }
    pos += head(2, tag.len() as u64).len();
    let tag = pos..pos + tag.len();
    assert_eq!(tag.end, token.as_bytes().len());
    Layout {
        identifier,
        caveats,
        tag,
    }
}
