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

use sha2::block_api::compress256;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

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
        ct_eq_tag(&self.0, other)
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

// HMAC-SHA256 (RFC 2104, FIPS 198-1) written directly over SHA-256's compression function.
//
// The generic `hmac` crate buffers input and re-pads on every call; the chain does not need that:
// every key it uses is at most one block (a 32-byte tag or the derived key), so the key's two
// padded blocks are absorbed once into two SHA-256 states (the "midstates"), and a message that
// fits in one block with its padding (≤ 55 bytes) costs exactly two more compressions. Each chain
// step is therefore four compressions, and a root key's midstates are computed once per key.
// A property test checks this code against the `hmac` crate for random keys and messages.

/// SHA-256's block size, in bytes.
const BLOCK_LEN: usize = 64;
/// SHA-256's initial hash value H(0) (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];
/// HMAC's inner and outer pad bytes (RFC 2104 §2).
const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5c;
/// The outer hash's only message block is the 32-byte inner digest, then 0x80, then zeros and
/// the bit length of `opad block || inner digest`: (64 + 32) * 8 = 768.
const OUTER_BIT_LEN: u64 = ((BLOCK_LEN + TAG_LEN) * 8) as u64;

fn compress(state: &mut [u32; 8], block: &[u8; BLOCK_LEN]) {
    compress256(state, std::slice::from_ref(block));
}

fn write_state(state: &[u32; 8], out: &mut [u8]) {
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
}

/// The two SHA-256 midstates of an HMAC key: after absorbing `key ^ ipad` and `key ^ opad`.
#[derive(Clone)]
pub(crate) struct Midstates {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl Drop for Midstates {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

/// Working memory for HMAC computations, reused across a whole chain and wiped once, on drop
/// (wiping after every step would cost more than the step's padding work).
struct Scratch {
    /// The padded key block, then the message's final block(s).
    block: [u8; BLOCK_LEN],
    /// The outer hash's message block: the inner digest in the first 32 bytes, then the fixed
    /// padding, written once.
    outer_block: [u8; BLOCK_LEN],
    /// The midstates of the key in use; `inner` runs on through the message.
    key: Midstates,
    /// The last tag computed.
    tag: [u8; TAG_LEN],
}

impl Scratch {
    fn new() -> Self {
        let mut outer_block = [0; BLOCK_LEN];
        outer_block[TAG_LEN] = 0x80;
        outer_block[BLOCK_LEN - 8..].copy_from_slice(&OUTER_BIT_LEN.to_be_bytes());
        Self {
            block: [0; BLOCK_LEN],
            outer_block,
            key: Midstates {
                inner: SHA256_IV,
                outer: SHA256_IV,
            },
            tag: [0; TAG_LEN],
        }
    }

    /// Keys the scratch with `key` (at most one block; callers hash longer keys first).
    fn set_key(&mut self, key: &[u8]) {
        debug_assert!(key.len() <= BLOCK_LEN);
        self.block = [IPAD; BLOCK_LEN];
        for (b, k) in self.block.iter_mut().zip(key) {
            *b ^= k;
        }
        self.key.inner = SHA256_IV;
        compress(&mut self.key.inner, &self.block);
        // Turn each `k ^ ipad` into `k ^ opad`; past the key both are the bare pad.
        for b in &mut self.block {
            *b ^= IPAD ^ OPAD;
        }
        self.key.outer = SHA256_IV;
        compress(&mut self.key.outer, &self.block);
    }

    /// Finishes `HMAC(key, msg)` from the midstates in `self.key` into `self.tag`.
    fn mac(&mut self, msg: &[u8]) {
        let inner = &mut self.key.inner;
        let mut blocks = msg.chunks_exact(BLOCK_LEN);
        for chunk in &mut blocks {
            if let Ok(block) = <&[u8; BLOCK_LEN]>::try_from(chunk) {
                compress(inner, block);
            }
        }
        let rest = blocks.remainder();
        // SHA-256 counts bits modulo 2^64; the ipad block is part of the inner message.
        let bit_len = (msg.len() as u64)
            .wrapping_add(BLOCK_LEN as u64)
            .wrapping_mul(8);
        self.block = [0; BLOCK_LEN];
        self.block[..rest.len()].copy_from_slice(rest);
        self.block[rest.len()] = 0x80;
        if rest.len() > BLOCK_LEN - 9 {
            compress(inner, &self.block);
            self.block = [0; BLOCK_LEN];
        }
        self.block[BLOCK_LEN - 8..].copy_from_slice(&bit_len.to_be_bytes());
        compress(inner, &self.block);

        write_state(inner, &mut self.outer_block[..TAG_LEN]);
        let outer = &mut self.key.outer;
        compress(outer, &self.outer_block);
        write_state(outer, &mut self.tag);
    }

    /// One chain step: `tag = HMAC(tag, msg)`.
    fn step(&mut self, msg: &[u8]) {
        let key = self.tag;
        self.set_key(&key);
        self.mac(msg);
    }

    fn take_tag(&self) -> Tag {
        Tag(self.tag)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.block.zeroize();
        self.outer_block.zeroize();
        self.tag.zeroize();
        // `self.key` wipes itself.
    }
}

/// `HMAC-SHA256(key, msg)` for keys of any length (keys longer than a block are hashed first,
/// as HMAC prescribes).
#[must_use]
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> Tag {
    let mut s = Scratch::new();
    if key.len() <= BLOCK_LEN {
        s.set_key(key);
    } else {
        let mut digest: [u8; TAG_LEN] = Sha256::digest(key).into();
        s.set_key(&digest);
        digest.zeroize();
    }
    s.mac(msg);
    s.take_tag()
}

/// The chain's first key `k` for a root key: `HMAC-SHA256("macaroons-key-generator", root_key)`.
#[must_use]
pub fn derive_key(root_key: &[u8]) -> ChainKey {
    let tag = hmac_sha256(KEY_GENERATOR, root_key);
    ChainKey(tag.0)
}

/// A secret 32-byte key of the chain: a root key's derived key, or a third-party caveat's key
/// once derived or opened. Zeroized when dropped; its `Debug` prints nothing of it; it has no
/// `==` (compare with [`ChainKey::ct_eq`], in constant time).
#[derive(Clone)]
pub struct ChainKey([u8; TAG_LEN]);

impl ChainKey {
    /// Wraps 32 secret bytes.
    pub(crate) fn from_bytes(bytes: [u8; TAG_LEN]) -> Self {
        Self(bytes)
    }

    /// The key's bytes, for the HMAC or the cipher that uses it.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; TAG_LEN] {
        &self.0
    }

    /// Constant-time equality.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        ct_eq_tag(&self.0, &other.0)
    }
}

impl Drop for ChainKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(***)")
    }
}

/// A chain state keyed by a derived key, kept ready for reuse (the ipad/opad blocks are already
/// absorbed, so each token's first step costs two compressions less).
#[derive(Clone)]
pub(crate) struct RootState(Midstates);

impl RootState {
    pub(crate) fn new(derived: &ChainKey) -> Self {
        let mut s = Scratch::new();
        s.set_key(derived.as_bytes());
        Self(s.key.clone())
    }
}

/// A chain in progress: starts from a root key's ready state, then takes one step per caveat.
/// Its working memory is wiped when it is dropped.
struct Chain(Scratch);

impl Chain {
    fn start(key: &RootState, identifier: &[u8]) -> Self {
        let mut s = Scratch::new();
        s.key.clone_from(&key.0);
        s.mac(identifier);
        Self(s)
    }

    fn from_tag(tag: &Tag) -> Self {
        let mut s = Scratch::new();
        s.tag = tag.0;
        Self(s)
    }

    fn step(&mut self, caveat: &[u8]) {
        self.0.step(caveat);
    }

    fn tag(&self) -> Tag {
        self.0.take_tag()
    }
}

/// `tag_0 = HMAC(k, identifier)` with the key's cached state.
#[must_use]
pub(crate) fn start(key: &RootState, identifier: &[u8]) -> Tag {
    Chain::start(key, identifier).tag()
}

/// One attenuation step: `tag_i = HMAC(tag_{i-1}, caveat)`. Needs no secret but the previous tag.
#[must_use]
pub fn step(prev: &Tag, caveat: &[u8]) -> Tag {
    let mut chain = Chain::from_tag(prev);
    chain.step(caveat);
    chain.tag()
}

/// The final tag over an identifier and caveats.
#[must_use]
pub(crate) fn compute<'a, I>(key: &RootState, identifier: &[u8], caveats: I) -> Tag
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut chain = Chain::start(key, identifier);
    for c in caveats {
        chain.step(c);
    }
    chain.tag()
}

/// Every tag of the chain: `tag_0` then one per caveat (the last one is the token's tag).
#[must_use]
pub(crate) fn tags<'a, I>(key: &RootState, identifier: &[u8], caveats: I) -> Vec<Tag>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut chain = Chain::start(key, identifier);
    let mut out = vec![chain.tag()];
    for c in caveats {
        chain.step(c);
        out.push(chain.tag());
    }
    out
}

/// Recomputes the whole chain and compares the result with `tag` in constant time.
///
/// The chain is always computed in full; the comparison does not short-circuit and a tag of the
/// wrong length is simply unequal.
#[must_use]
pub(crate) fn verify<'a, I>(key: &RootState, identifier: &[u8], caveats: I, tag: &[u8]) -> bool
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut chain = Chain::start(key, identifier);
    for c in caveats {
        chain.step(c);
    }
    ct_eq_tag(&chain.0.tag, tag)
}

/// Constant-time equality of a tag with a slice of any length (a length mismatch is `false`),
/// compared as four 64-bit words with `subtle` (its barrier per element costs less per word than
/// per byte).
fn ct_eq_tag(tag: &[u8; TAG_LEN], other: &[u8]) -> bool {
    let Ok(other) = <&[u8; TAG_LEN]>::try_from(other) else {
        return false;
    };
    let words = |bytes: &[u8; TAG_LEN]| {
        let mut out = [0u64; TAG_LEN / 8];
        for (w, chunk) in out.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *w = u64::from_le_bytes(b);
        }
        out
    };
    let mut ours = words(tag);
    let equal = bool::from(ours.as_slice().ct_eq(words(other).as_slice()));
    // The expected tag of a forged token is exactly what a forger lacks: leave no copy behind.
    ours.zeroize();
    equal
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

    /// The reference: the `hmac` crate's HMAC-SHA256.
    fn reference(key: &[u8], msg: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
        mac.update(msg);
        mac.finalize().into_bytes().into()
    }

    #[test]
    fn every_padding_boundary_matches_the_hmac_crate() {
        // Message lengths 0..=200 cross the one- and two-block padding boundaries (55/56, 63/64,
        // 119/120, 127/128); key lengths cover empty, short, 32 (a tag), 63, 64 and longer.
        let msg: Vec<u8> = (0..=200u8)
            .map(|i| i.wrapping_mul(31).wrapping_add(7))
            .collect();
        for key_len in [0usize, 1, 23, 32, 55, 63, 64, 65, 100, 131] {
            let key: Vec<u8> = (0..key_len)
                .map(|i| u8::try_from(i * 13 % 251).expect("< 251"))
                .collect();
            for len in 0..=msg.len() {
                assert_eq!(
                    hmac_sha256(&key, &msg[..len]).as_bytes(),
                    &reference(&key, &msg[..len]),
                    "key length {key_len}, message length {len}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn hmac_matches_the_hmac_crate(
            key in proptest::collection::vec(proptest::num::u8::ANY, 0..=64),
            msg in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
        ) {
            proptest::prop_assert_eq!(*hmac_sha256(&key, &msg).as_bytes(), reference(&key, &msg));
        }

        #[test]
        fn long_keys_match_the_hmac_crate(
            key in proptest::collection::vec(proptest::num::u8::ANY, 65..300),
            msg in proptest::collection::vec(proptest::num::u8::ANY, 0..150),
        ) {
            proptest::prop_assert_eq!(*hmac_sha256(&key, &msg).as_bytes(), reference(&key, &msg));
        }

        #[test]
        fn chain_matches_a_chain_of_hmac_crate_calls(
            root in proptest::collection::vec(proptest::num::u8::ANY, 1..80),
            identifier in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
            caveats in proptest::collection::vec(
                proptest::collection::vec(proptest::num::u8::ANY, 0..140), 0..8),
        ) {
            let root_key = crate::key::RootKey::from_bytes(&root).expect("non-empty key");
            let key = root_key.state();
            let mut expected = reference(&reference(KEY_GENERATOR, &root), &identifier);
            let mut all = vec![expected];
            for c in &caveats {
                expected = reference(&expected, c);
                all.push(expected);
            }
            let caveat_slices = || caveats.iter().map(Vec::as_slice);
            proptest::prop_assert_eq!(
                *compute(key, &identifier, caveat_slices()).as_bytes(), expected);
            let tags: Vec<[u8; 32]> = tags(key, &identifier, caveat_slices())
                .iter()
                .map(|t| *t.as_bytes())
                .collect();
            proptest::prop_assert_eq!(&tags, &all);
            proptest::prop_assert!(verify(key, &identifier, caveat_slices(), &expected));
            let mut wrong = expected;
            wrong[0] ^= 1;
            proptest::prop_assert!(!verify(key, &identifier, caveat_slices(), &wrong));
            let mut stepped = start(key, &identifier);
            for c in &caveats {
                stepped = step(&stepped, c);
            }
            proptest::prop_assert_eq!(*stepped.as_bytes(), expected);
        }
    }

    #[test]
    fn tag_debug_shows_the_hex_and_chain_keys_print_nothing() {
        let t = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            format!("{t:?}"),
            "Tag(5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843)"
        );
        let k = derive_key(b"secret");
        assert_eq!(format!("{k:?}"), "ChainKey(***)");
        assert!(k.ct_eq(&derive_key(b"secret")));
        assert!(!k.ct_eq(&derive_key(b"secreT")));
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
