//! The HMAC-SHA256 chain, format-agnostic: it works on byte strings only.
//!
//! ```text
//! k      = HMAC-SHA256(key = "macaroons-key-generator", msg = root_key)
//! tag_0  = HMAC-SHA256(key = k,         msg = identifier_bytes)
//! tag_i  = HMAC-SHA256(key = tag_{i-1}, msg = caveat_i_bytes)
//! ```
//!
//! Every codec (native, Onedata, libmacaroons) feeds the exact bytes it received into these
//! functions; nothing is ever re-encoded before it is MACed.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::key::RootKey;

type HmacSha256 = Hmac<Sha256>;

/// The fixed key with which a root key is turned into the chain's first key (libmacaroons').
pub const KEY_GENERATOR: &[u8] = b"macaroons-key-generator";

/// Length of every tag, in bytes.
pub const TAG_LEN: usize = 32;

/// A 32-byte chain tag. It has no `==`: compare tags with [`Tag::ct_eq`] only.
#[derive(Clone)]
pub struct Tag([u8; TAG_LEN]);

impl Tag {
    /// Wraps 32 bytes as a tag.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; TAG_LEN]) -> Self {
        Self(bytes)
    }

    /// Copies a tag from a slice, which must be exactly 32 bytes long.
    #[must_use]
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; TAG_LEN]>::try_from(bytes).ok().map(Self)
    }

    /// The tag's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; TAG_LEN] {
        &self.0
    }

    /// Constant-time equality with a byte slice of any length (a length mismatch is `false`).
    #[must_use]
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        other.len() == TAG_LEN && bool::from(self.0.as_slice().ct_eq(other))
    }

    pub(crate) fn wipe(&mut self) {
        self.0.zeroize();
    }

    /// Lowercase hex of the tag.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tag({})", self.to_hex())
    }
}

/// An HMAC-SHA256 state keyed with `key`, for keys of at most one block (64 bytes).
///
/// HMAC pads short keys with zeros to the block size, so keying with the padded block is the same
/// function and cannot fail.
fn keyed(key: &[u8]) -> HmacSha256 {
    debug_assert!(key.len() <= 64);
    let mut block = [0u8; 64];
    let n = key.len().min(64);
    block[..n].copy_from_slice(&key[..n]);
    let mac = HmacSha256::new(&block.into());
    block.zeroize();
    mac
}

fn finish(mac: HmacSha256) -> Tag {
    Tag(mac.finalize().into_bytes().into())
}

/// `HMAC-SHA256(key, msg)` for keys of any length (keys longer than a block are hashed first,
/// as HMAC prescribes).
#[must_use]
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> Tag {
    let mut mac = if key.len() <= 64 {
        keyed(key)
    } else {
        use sha2::Digest;
        let mut digest: [u8; 32] = Sha256::digest(key).into();
        let mac = keyed(&digest);
        digest.zeroize();
        mac
    };
    mac.update(msg);
    finish(mac)
}

/// The chain's first key `k` for a root key: `HMAC-SHA256("macaroons-key-generator", root_key)`.
#[must_use]
pub fn derive_key(root_key: &[u8]) -> Tag {
    hmac_sha256(KEY_GENERATOR, root_key)
}

/// A chain state keyed by a derived key, kept ready for reuse (the ipad/opad blocks are already
/// absorbed, so each token's first step costs two compressions less).
#[derive(Clone)]
pub(crate) struct RootState(HmacSha256);

impl RootState {
    pub(crate) fn new(derived: &Tag) -> Self {
        Self(keyed(derived.as_bytes()))
    }
}

/// `tag_0 = HMAC(k, identifier)` with the key's cached state.
#[must_use]
pub fn start(key: &RootKey, identifier: &[u8]) -> Tag {
    let mut mac = key.state().0.clone();
    mac.update(identifier);
    finish(mac)
}

/// One attenuation step: `tag_i = HMAC(tag_{i-1}, caveat)`. Needs no secret but the previous tag.
#[must_use]
pub fn step(prev: &Tag, caveat: &[u8]) -> Tag {
    let mut mac = keyed(prev.as_bytes());
    mac.update(caveat);
    finish(mac)
}

/// The final tag over an identifier and caveats.
#[must_use]
pub fn compute<'a, I>(key: &RootKey, identifier: &[u8], caveats: I) -> Tag
where
    I: IntoIterator<Item = &'a [u8]>,
{
    caveats
        .into_iter()
        .fold(start(key, identifier), |tag, c| step(&tag, c))
}

/// Every tag of the chain: `tag_0` then one per caveat (the last one is the token's tag).
#[must_use]
pub fn tags<'a, I>(key: &RootKey, identifier: &[u8], caveats: I) -> Vec<Tag>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut out = vec![start(key, identifier)];
    for c in caveats {
        let next = step(out.last().unwrap_or(&Tag([0; TAG_LEN])), c);
        out.push(next);
    }
    out
}

/// Recomputes the whole chain and compares the result with `tag` in constant time.
///
/// The chain is always computed in full; the comparison does not short-circuit and a tag of the
/// wrong length is simply unequal.
#[must_use]
pub fn verify<'a, I>(key: &RootKey, identifier: &[u8], caveats: I, tag: &[u8]) -> bool
where
    I: IntoIterator<Item = &'a [u8]>,
{
    compute(key, identifier, caveats).ct_eq(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_1_and_2() {
        // RFC 4231 test cases 1 and 2 (key shorter than a block).
        let t1 = hmac_sha256(&[0x0b; 20], b"Hi There");
        assert_eq!(
            t1.to_hex(),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        let t2 = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            t2.to_hex(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn rfc4231_case_6_long_key() {
        let t = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            t.to_hex(),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn tag_ct_eq_rejects_other_lengths() {
        let t = Tag::from_bytes([7; 32]);
        assert!(t.ct_eq(&[7; 32]));
        assert!(!t.ct_eq(&[7; 31]));
        assert!(!t.ct_eq(&[7; 33]));
        assert!(!t.ct_eq(&[]));
        let mut other = [7u8; 32];
        other[31] = 8;
        assert!(!t.ct_eq(&other));
    }
}
