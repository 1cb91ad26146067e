//! Third-party caveats, libmacaroons-compatible: the caveat key sealed into a verification id,
//! the chain step that covers it, and the binding of discharges to the token they are used with.
//!
//! ```text
//! k_c   = HMAC("macaroons-key-generator", caveat_root_key)            ; the discharge's chain key
//! vid   = nonce(24) || secretbox(key = tag, nonce, k_c)                ; XSalsa20-Poly1305, 72 bytes
//! tag'  = HMAC(tag, HMAC(tag, vid) || HMAC(tag, cid))                  ; the third-party step
//! bound = HMAC(Z, HMAC(Z, root_tag) || HMAC(Z, discharge_tag))        ; Z = 32 zero bytes
//! ```
//!
//! A discharge is a token minted by the third party with the caveat root key (so its chain
//! starts at `HMAC(k_c, cid)`) and whose identifier is the caveat's `cid`. Before it is sent
//! along with the token, its tag is replaced by `bound` ([`crate::Token::bind_to`]); nested
//! discharges are bound to the same top-level tag. The verifier recovers `k_c` from the `vid`
//! with the tag the chain had just before the caveat.
//!
//! In the native format a third-party caveat is the caveat kind 15,
//! `[15, cid: bstr, vid: bstr, location: tstr]`, and the third-party step MACs the whole caveat
//! bytes in place of `cid` (so the location is covered too); see SPEC.md §11.

use std::ops::Range;

use crypto_secretbox::aead::{AeadInPlace, KeyInit};
use crypto_secretbox::{Key, Nonce, Tag as PolyTag, XSalsa20Poly1305};
use zeroize::Zeroize;

use crate::chain::{self, ChainKey, Tag, TAG_LEN};
use crate::error::Error;
use crate::spans::{Spans, ThirdPartySpan};
use crate::wire::cbor::{self, Reader};

/// Bytes of the random nonce that starts every verification id (XSalsa20's nonce).
pub const NONCE_LEN: usize = 24;

/// Bytes of Poly1305's authenticator inside a verification id.
const POLY_TAG_LEN: usize = 16;

/// Bytes of a verification id: the nonce, the authenticator and the sealed 32-byte key.
pub const VID_LEN: usize = NONCE_LEN + POLY_TAG_LEN + TAG_LEN;

/// The native caveat kind of a third-party caveat (SPEC.md §5 numbers the first-party kinds
/// 0–14).
pub const NATIVE_KIND: u64 = 15;

/// Most discharges one verification accepts. Each discharge is used by exactly one third-party
/// caveat, and SPEC.md §7 makes 64 caveats the least every verifier must accept, so 64 covers a
/// token whose every caveat is third-party; it bounds the work of one verification.
pub const MAX_DISCHARGES: usize = 64;

/// Deepest nesting of discharges: a discharge of the token itself is at depth 1, a discharge of
/// one of its caveats at depth 2, and so on. Deployments nest one or two levels (a third party
/// that asks another); 8 leaves room and keeps a chain of discharges from being a work amplifier.
pub const MAX_DISCHARGE_DEPTH: usize = 8;

/// The zero key with which discharges are bound (libmacaroons' and pymacaroons').
const BIND_KEY: [u8; TAG_LEN] = [0; TAG_LEN];

/// A third-party caveat as a token carries it (untrusted until the token is verified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThirdPartyCaveat<'a> {
    /// Position of the caveat in the token's chain, from 0.
    pub index: usize,
    /// The caveat id: what the third party reads, and the identifier of its discharge.
    pub cid: &'a [u8],
    /// The verification id: the caveat key sealed under the chain's tag.
    pub vid: &'a [u8],
    /// Where to ask for the discharge (a hint, not covered by the tag in the libmacaroons
    /// formats; empty when the token names none).
    pub location: &'a [u8],
}

/// The third-party chain step: `HMAC(tag, HMAC(tag, vid) || HMAC(tag, cid))`.
#[must_use]
pub fn step(tag: &Tag, vid: &[u8], cid: &[u8]) -> Tag {
    let mut both = [0u8; 2 * TAG_LEN];
    both[..TAG_LEN].copy_from_slice(chain::step(tag, vid).as_bytes());
    both[TAG_LEN..].copy_from_slice(chain::step(tag, cid).as_bytes());
    let out = chain::step(tag, &both);
    both.zeroize();
    out
}

/// The tag a discharge carries once bound to a token whose tag is `root`:
/// `HMAC(Z, HMAC(Z, root) || HMAC(Z, discharge))`, Z = 32 zero bytes.
#[must_use]
pub fn bind(root: &Tag, discharge: &Tag) -> Tag {
    let zero = Tag::from_bytes(BIND_KEY);
    let mut both = [0u8; 2 * TAG_LEN];
    both[..TAG_LEN].copy_from_slice(chain::step(&zero, root.as_bytes()).as_bytes());
    both[TAG_LEN..].copy_from_slice(chain::step(&zero, discharge.as_bytes()).as_bytes());
    chain::step(&zero, &both)
}

/// Seals a discharge's chain key under the chain's current tag: `nonce || secretbox(...)`.
pub(crate) fn seal(
    tag: &Tag,
    nonce: &[u8; NONCE_LEN],
    chain_key: &ChainKey,
) -> Result<[u8; VID_LEN], Error> {
    let cipher = XSalsa20Poly1305::new(&Key::from(*tag.as_bytes()));
    let mut sealed = *chain_key.as_bytes();
    let result = cipher.encrypt_in_place_detached(&Nonce::from(*nonce), b"", &mut sealed);
    let mut vid = [0u8; VID_LEN];
    match result {
        Ok(poly) => {
            vid[..NONCE_LEN].copy_from_slice(nonce);
            vid[NONCE_LEN..NONCE_LEN + POLY_TAG_LEN].copy_from_slice(&poly);
            vid[NONCE_LEN + POLY_TAG_LEN..].copy_from_slice(&sealed);
            Ok(vid)
        }
        // XSalsa20-Poly1305 refuses only messages beyond 2^38 bytes; this one has 32.
        Err(_) => {
            sealed.zeroize();
            Err(Error::bad_caveat("vid", "cannot seal the caveat key"))
        }
    }
}

/// Opens a verification id with the chain's tag at the caveat: the discharge's chain key, or
/// `None` when the id is not 72 bytes or does not authenticate.
pub(crate) fn open(tag: &Tag, vid: &[u8]) -> Option<ChainKey> {
    if vid.len() != VID_LEN {
        return None;
    }
    let (nonce, rest) = vid.split_at(NONCE_LEN);
    let (poly, sealed) = rest.split_at(POLY_TAG_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    let poly: [u8; POLY_TAG_LEN] = poly.try_into().ok()?;
    let mut key: [u8; TAG_LEN] = sealed.try_into().ok()?;
    let cipher = XSalsa20Poly1305::new(&Key::from(*tag.as_bytes()));
    let opened = cipher
        .decrypt_in_place_detached(&Nonce::from(nonce), b"", &mut key, &PolyTag::from(poly))
        .is_ok();
    let out = opened.then(|| ChainKey::from_bytes(key));
    key.zeroize();
    out
}

/// The chain over a token's caveats from `start`: first-party caveats take
/// `HMAC(tag, caveat)`, third-party ones the [`step`]. `at_third_party` sees each third-party
/// caveat's span with the tag just before it (the key its verification id is sealed under).
pub(crate) fn run_chain(
    start: Tag,
    token: &Spans,
    mut at_third_party: impl FnMut(&ThirdPartySpan, &Tag),
) -> Tag {
    let mut tag = start;
    let mut spans = token.third_party.iter().peekable();
    for (index, bytes) in token.caveat_bytes().enumerate() {
        tag = match spans.peek() {
            Some(span) if span.index == index => {
                at_third_party(span, &tag);
                let next = step(&tag, &token.raw[span.vid.clone()], bytes);
                spans.next();
                next
            }
            _ => chain::step(&tag, bytes),
        };
    }
    tag
}

/// Encodes a native third-party caveat: `[15, cid, vid, location]`.
pub(crate) fn encode_native(cid: &[u8], vid: &[u8], location: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + cid.len() + vid.len() + location.len());
    cbor::write_array(&mut out, 4);
    cbor::write_uint(&mut out, NATIVE_KIND);
    cbor::write_bytes(&mut out, cid);
    cbor::write_bytes(&mut out, vid);
    cbor::write_text(&mut out, location);
    out
}

/// Reads a native caveat as a third-party caveat: the ranges of its parts relative to the
/// caveat's first byte, or `None` when it is not exactly `[15, cid, vid, location]` with a
/// non-empty cid and vid (such bytes are a first-party caveat of an unknown kind, and fail
/// clearing).
fn parse_native(bytes: &[u8]) -> Option<(Range<usize>, Range<usize>, Range<usize>)> {
    // The head `84 0f` is a cheap filter: every other caveat is skipped without a parse.
    if bytes.get(..2) != Some(&[0x84, 0x0f]) {
        return None;
    }
    let mut r = Reader::new(bytes);
    r.array_of(4).ok()?;
    (r.uint().ok()? == NATIVE_KIND).then_some(())?;
    let cid = r.bytes(usize::MAX).ok()?.len();
    let cid = r.position() - cid..r.position();
    let vid = r.bytes(usize::MAX).ok()?.len();
    let vid = r.position() - vid..r.position();
    let location = r.text(usize::MAX).ok()?.len();
    let location = r.position() - location..r.position();
    r.finish().ok()?;
    (!cid.is_empty() && !vid.is_empty()).then_some((cid, vid, location))
}

/// Whether native caveat bytes are a third-party caveat.
pub(crate) fn is_native(bytes: &[u8]) -> bool {
    parse_native(bytes).is_some()
}

/// Finds the native third-party caveats of a token and records their spans.
pub(crate) fn index_native(token: &mut Spans) {
    let mut spans = Vec::new();
    for (index, range) in token.caveats.iter().enumerate() {
        if let Some((cid, vid, location)) = parse_native(&token.raw[range.clone()]) {
            let at = |r: Range<usize>| range.start + r.start..range.start + r.end;
            spans.push(ThirdPartySpan {
                index,
                cid: at(cid),
                vid: at(vid),
                location: Some(at(location)),
            });
        }
    }
    token.third_party = spans;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_and_refuse_any_change() {
        let tag = Tag::from_bytes([7; TAG_LEN]);
        let key = ChainKey::from_bytes([9; TAG_LEN]);
        let vid = seal(&tag, &[1; NONCE_LEN], &key).expect("seal");
        assert_eq!(&vid[..NONCE_LEN], &[1; NONCE_LEN]);
        let opened = open(&tag, &vid).expect("open");
        assert!(opened.ct_eq(&key));
        for i in 0..VID_LEN {
            let mut changed = vid;
            changed[i] ^= 1;
            assert!(open(&tag, &changed).is_none(), "byte {i}");
        }
        assert!(open(&Tag::from_bytes([8; TAG_LEN]), &vid).is_none());
        assert!(open(&tag, &vid[..VID_LEN - 1]).is_none());
    }

    #[test]
    fn native_third_party_caveats_parse_exactly() {
        let c = encode_native(b"cid", &[5; VID_LEN], "https://tp.example");
        let (cid, vid, location) = parse_native(&c).expect("parses");
        assert_eq!(&c[cid], b"cid");
        assert_eq!(&c[vid], &[5; VID_LEN]);
        assert_eq!(&c[location], b"https://tp.example");
        assert!(parse_native(&encode_native(b"", &[5; 4], "x")).is_none());
        assert!(parse_native(&encode_native(b"c", &[], "x")).is_none());
        let mut trailing = c.clone();
        trailing.push(0);
        assert!(parse_native(&trailing).is_none());
        assert!(parse_native(&c[..c.len() - 1]).is_none());
        assert!(parse_native(&[0x84, 0x0f]).is_none());
    }
}
