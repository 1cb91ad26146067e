//! Root keys and where a verifier finds them.
//!
//! A [`RootKey`] keeps only what the chain needs (the derived key and its ready HMAC state) and a
//! one-way fingerprint by which the verification cache recognizes it. It never prints, has no
//! `==` (use [`RootKey::ct_eq`]) and is wiped on drop.

use crate::error::ValueError;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use zeroize::Zeroize;

use crate::chain::{self, ChainKey, RootState};
use crate::error::Error;

/// A root key: the secret a token is minted and verified with.
#[derive(Clone)]
pub struct RootKey {
    derived: ChainKey,
    state: RootState,
    #[cfg(feature = "cache")]
    fingerprint: Fingerprint,
}

/// The public HMAC key under which a root key's [`Fingerprint`] is computed.
#[cfg(feature = "cache")]
const FINGERPRINT_LABEL: &[u8] = b"caveat-token root key fingerprint v1";

/// A one-way name for a root key, `HMAC(key = FINGERPRINT_LABEL, msg = derived key)`: two keys
/// have the same fingerprint exactly when they are the same key (up to SHA-256 collisions), and a
/// fingerprint reveals nothing about the key. The derived key is the message, never the HMAC key,
/// so a fingerprint is not a chain tag (`HMAC(derived key, m)` would be a valid signature over
/// the identifier `m`). The verification cache remembers which key verified a token by its
/// fingerprint, so it holds no copies of secrets. No `==`: compare with [`Fingerprint::ct_eq`].
#[cfg(feature = "cache")]
#[derive(Clone)]
pub(crate) struct Fingerprint([u8; chain::TAG_LEN]);

#[cfg(feature = "cache")]
impl Fingerprint {
    /// Equality without data-dependent branches: every byte pair is combined, then tested once.
    /// (A fingerprint is not secret, but the cache compares it on every hit, and `subtle`'s
    /// byte-by-byte barrier would cost more than the rest of the key check.)
    pub(crate) fn ct_eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
    }
}

impl RootKey {
    /// A root key from its secret bytes (any non-empty length; Onedata secrets are text).
    ///
    /// # Errors
    /// `badValueKey` when the secret is empty.
    pub fn from_bytes(secret: &[u8]) -> Result<Self, Error> {
        if secret.is_empty() {
            return Err(Error::Value(ValueError::Key {
                reason: "empty key",
            }));
        }
        let derived = chain::derive_key(secret);
        let state = RootState::new(&derived);
        Ok(Self {
            #[cfg(feature = "cache")]
            fingerprint: Fingerprint(
                *chain::hmac_sha256(FINGERPRINT_LABEL, derived.as_bytes()).as_bytes(),
            ),
            derived,
            state,
        })
    }

    /// A root key from hex (as `caveat keygen` prints it).
    ///
    /// # Errors
    /// `badValueKey` when the text is not hex or is empty.
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let mut bytes = hex::decode(text.trim())
            .map_err(|_| Error::Value(ValueError::Key { reason: "not hex" }))?;
        let key = Self::from_bytes(&bytes);
        bytes.zeroize();
        key
    }

    /// Constant-time equality of two keys (by their derived key).
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.derived.ct_eq(&other.derived)
    }

    pub(crate) fn state(&self) -> &RootState {
        &self.state
    }

    #[cfg(feature = "cache")]
    pub(crate) fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey(***OMITTED***)")
    }
}

/// Keys by key id, with an optional default for tokens that name none: rotation is adding a key
/// under a new id, minting with it, and removing the old one when its tokens have expired.
///
/// ```
/// use caveat_token::{Context, Identifier, KeyRing, Persistence, RootKey, Subject, Token};
/// use caveat_token::{TokenType, Verifier};
///
/// let old = RootKey::from_bytes(b"the key of November, 32 bytes ok")?;
/// let new = RootKey::from_bytes(b"the key of December, 32 bytes ok")?;
/// let mut keys = KeyRing::new();
/// keys.insert("2026-11", old.clone());
/// keys.insert("2026-12", new.clone());
///
/// // A token names its key by id; the verifier looks it up in the ring.
/// let mint = |key: &RootKey, key_id: &str| {
///     let id = Identifier {
///         location: "auth.example.com".into(),
///         key_id: Some(key_id.into()),
///         token_id: "t-1".into(),
///         subject: Subject::User("alice".into()),
///         token_type: TokenType::Access { session: None },
///         persistence: Persistence::Named,
///     };
///     Token::mint(key, &id, &[]).map(|t| t.to_text())
/// };
/// let (november, december) = (mint(&old, "2026-11")?, mint(&new, "2026-12")?);
/// let verifier = Verifier::new();
/// let ctx = Context::at(1_700_000_000);
/// assert!(verifier.verify_text(&november, &keys, &ctx).is_ok());
/// assert!(verifier.verify_text(&december, &keys, &ctx).is_ok());
///
/// // Retiring the old key refuses its tokens.
/// keys.remove("2026-11");
/// assert_eq!(verifier.verify_text(&november, &keys, &ctx).unwrap_err().id(), "tokenInvalid");
/// # Ok::<(), caveat_token::Error>(())
/// ```
#[derive(Default, Clone)]
pub struct KeyRing {
    default: Option<RootKey>,
    by_id: NameMap<RootKey>,
}

impl KeyRing {
    /// An empty key ring.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the key for tokens that carry no key id.
    pub fn set_default(&mut self, key: RootKey) {
        self.default = Some(key);
    }

    /// Adds (or replaces) the key for `key_id`.
    pub fn insert(&mut self, key_id: impl Into<String>, key: RootKey) {
        self.by_id.insert(key_id.into(), key);
    }

    /// Removes the key for `key_id`; tokens naming it no longer verify.
    pub fn remove(&mut self, key_id: &str) -> bool {
        self.by_id.remove(key_id).is_some()
    }

    /// Key ids present, in no particular order.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("default", &self.default.is_some())
            .field("key_ids", &self.by_id.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// The key for `key_id`: the default for `None`, else the key under that id.
    #[must_use]
    pub fn get(&self, key_id: Option<&str>) -> Option<&RootKey> {
        match key_id {
            None => self.default.as_ref(),
            Some(id) => self.by_id.get(id),
        }
    }
}

/// A map from names (key ids, predicate names) to what the service registered under them.
///
/// Such maps are filled by the service, never by token data; tokens only look names up. A lookup
/// cannot grow a map or lengthen a bucket, so a hash an attacker can predict costs nothing but a
/// few extra comparisons, and the random-keyed SipHash of `HashMap` (about 20 ns for a short name,
/// paid once per key lookup and once per application caveat) buys nothing here.
pub(crate) type NameMap<V> = HashMap<String, V, BuildHasherDefault<NameHasher>>;

/// A fast multiplicative hash for short names (the word-at-a-time scheme of rustc's `FxHasher`).
#[derive(Default, Clone, Copy)]
pub(crate) struct NameHasher(u64);

impl NameHasher {
    /// An odd constant with well-mixed bits (from `FxHasher`).
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            self.add(u64::from_le_bytes(word));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }
}

/// The secret length, in bytes, of a key made by [`RootKey::generate`] (256 bits).
pub const GENERATED_KEY_LEN: usize = 32;

/// The shortest secret, in bytes, that is not weak (128 bits). [`RootKey::from_bytes`] accepts
/// any non-empty secret (Onedata's secrets are text of any length); the `caveat` command line
/// warns below this length.
pub const MIN_SECRET_LEN: usize = 16;

impl RootKey {
    /// A new random root key of [`GENERATED_KEY_LEN`] secret bytes, which `fill` writes from a
    /// cryptographic random source (the library itself has no randomness: pass e.g.
    /// `getrandom::fill`). Returns the key and its secret as hex, the form to store and give to
    /// [`RootKey::from_hex`] later; the hex is wiped on drop.
    ///
    /// ```
    /// use caveat_token::{RootKey, GENERATED_KEY_LEN};
    ///
    /// // A real service passes its random source, e.g. `|buf| getrandom::fill(buf)`.
    /// # let mut counter = 0u8;
    /// # let mut fill = |buf: &mut [u8]| -> Result<(), std::convert::Infallible> {
    /// #     buf.iter_mut().for_each(|b| { counter = counter.wrapping_add(97); *b = counter });
    /// #     Ok(())
    /// # };
    /// let (key, hex) = RootKey::generate(&mut fill)?;
    /// assert_eq!(hex.len(), 2 * GENERATED_KEY_LEN);
    /// assert!(RootKey::from_hex(&hex)?.ct_eq(&key));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// Whatever `fill` returns; no key is made then.
    pub fn generate<E>(
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<(Self, zeroize::Zeroizing<String>), E> {
        let mut secret = zeroize::Zeroizing::new([0u8; GENERATED_KEY_LEN]);
        fill(&mut secret[..])?;
        let hex = zeroize::Zeroizing::new(hex::encode(&secret[..]));
        match Self::from_bytes(&secret[..]) {
            Ok(key) => Ok((key, hex)),
            // `from_bytes` refuses only an empty secret, and this one has 32 bytes.
            Err(_) => unreachable!("a {GENERATED_KEY_LEN}-byte secret is a valid key"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_key_material() {
        let k = RootKey::from_bytes(b"super secret").expect("key");
        let s = format!("{k:?}");
        assert_eq!(s, "RootKey(***OMITTED***)");
        let mut ring = KeyRing::new();
        ring.insert("k1", k);
        assert!(!format!("{ring:?}").contains("secret"));
    }

    #[test]
    fn empty_and_bad_hex_keys_are_rejected() {
        assert_eq!(RootKey::from_bytes(b"").unwrap_err().id(), "badValueKey");
        assert_eq!(RootKey::from_hex("zz").unwrap_err().id(), "badValueKey");
        assert_eq!(RootKey::from_hex("").unwrap_err().id(), "badValueKey");
    }

    #[test]
    fn ct_eq_distinguishes_keys() {
        let a = RootKey::from_bytes(b"a").expect("key");
        let a2 = RootKey::from_hex("61").expect("key");
        let b = RootKey::from_bytes(b"b").expect("key");
        assert!(a.ct_eq(&a2));
        assert!(!a.ct_eq(&b));
    }

    #[test]
    #[cfg(feature = "cache")]
    fn fingerprints_tell_keys_apart_and_reveal_neither() {
        let a = RootKey::from_bytes(b"a").expect("key");
        let a2 = RootKey::from_hex("61").expect("key");
        let b = RootKey::from_bytes(b"b").expect("key");
        assert!(a.fingerprint().ct_eq(a2.fingerprint()));
        assert!(!a.fingerprint().ct_eq(b.fingerprint()));
        // Neither the derived key nor a chain tag under it.
        assert!(!crate::chain::ChainKey::from_bytes(a.fingerprint().0).ct_eq(&a.derived));
        assert!(!chain::start(a.state(), FINGERPRINT_LABEL).ct_eq(&a.fingerprint().0));
    }

    #[test]
    fn ring_lookup() {
        let mut ring = KeyRing::new();
        assert!(ring.get(None).is_none());
        ring.set_default(RootKey::from_bytes(b"d").expect("key"));
        ring.insert("k1", RootKey::from_bytes(b"1").expect("key"));
        assert!(ring.get(None).is_some());
        assert!(ring.get(Some("k1")).is_some());
        assert!(ring.get(Some("k2")).is_none());
        assert!(ring.remove("k1"));
        assert!(ring.get(Some("k1")).is_none());
    }
}
