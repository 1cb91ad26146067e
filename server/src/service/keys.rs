//! Root keys in the database: generated here, sealed at rest under the master key when one is
//! given (`CAVEAT_MASTER_KEY`, 64 hex digits: XSalsa20-Poly1305, a random nonce per key), and
//! loaded into a [`KeyRing`] by id. The newest key that is not retired mints; every key that is
//! not retired verifies, so tokens minted before a rotation keep working until their key is
//! retired.

use caveat_token::{KeyRing, RootKey};
use crypto_secretbox::aead::{AeadInPlace, KeyInit};
use crypto_secretbox::{Key, Nonce, Tag, XSalsa20Poly1305};
use zeroize::{Zeroize, Zeroizing};

use crate::store::{KeyRow, Store};

/// Bytes of a generated root key secret.
const SECRET_LEN: usize = 32;
/// Bytes of the master key.
const MASTER_LEN: usize = 32;
/// Bytes of an XSalsa20 nonce.
const NONCE_LEN: usize = 24;
/// Bytes of a Poly1305 tag.
const TAG_LEN: usize = 16;

/// The key that seals root keys at rest. Never printed; wiped on drop.
pub struct MasterKey(Zeroizing<[u8; MASTER_LEN]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***OMITTED***)")
    }
}

/// Why the keys cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyError {
    /// `CAVEAT_MASTER_KEY` is not 64 hex digits.
    BadMasterKey,
    /// A key is sealed and no master key was given.
    MasterKeyRequired(String),
    /// A sealed key does not open under the master key given (wrong key, or tampered row).
    Unsealable(String),
    /// A stored key is malformed.
    Malformed(String),
    /// There is no key that is not retired.
    NoActiveKey,
    /// The operating system's random source failed.
    Random,
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadMasterKey => f.write_str("CAVEAT_MASTER_KEY must be 64 hex digits"),
            Self::MasterKeyRequired(id) => {
                write!(f, "root key {id} is sealed: set CAVEAT_MASTER_KEY")
            }
            Self::Unsealable(id) => {
                write!(f, "root key {id} does not open under CAVEAT_MASTER_KEY")
            }
            Self::Malformed(id) => write!(f, "root key {id} is malformed"),
            Self::NoActiveKey => f.write_str("no active root key"),
            Self::Random => f.write_str("the random source failed"),
        }
    }
}

impl std::error::Error for KeyError {}

impl MasterKey {
    /// Parses 64 hex digits.
    ///
    /// # Errors
    /// `BadMasterKey`.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; MASTER_LEN]);
        hex::decode_to_slice(text.trim(), &mut bytes[..]).map_err(|_| KeyError::BadMasterKey)?;
        Ok(Self(bytes))
    }

    /// The master key from `CAVEAT_MASTER_KEY`, if set.
    ///
    /// # Errors
    /// `BadMasterKey` when it is set but malformed.
    pub fn from_env() -> Result<Option<Self>, KeyError> {
        match std::env::var("CAVEAT_MASTER_KEY") {
            Ok(mut text) => {
                let key = Self::from_hex(&text);
                text.zeroize();
                key.map(Some)
            }
            Err(_) => Ok(None),
        }
    }

    fn cipher(&self) -> XSalsa20Poly1305 {
        XSalsa20Poly1305::new(Key::from_slice(&self.0[..]))
    }
}

/// Random bytes from the operating system.
///
/// # Errors
/// `Random` when the source fails.
pub fn random<const N: usize>() -> Result<[u8; N], KeyError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| KeyError::Random)?;
    Ok(bytes)
}

/// A fresh root key row with id `k-<hex>` created at `now`, sealed when `master` is given.
///
/// # Errors
/// `Random`.
pub fn generate(now: u64, master: Option<&MasterKey>) -> Result<KeyRow, KeyError> {
    let id = format!("k-{}", hex::encode(random::<8>()?));
    let secret = Zeroizing::new(random::<SECRET_LEN>()?.to_vec());
    let (sealed, nonce, text) = match master {
        Some(master) => {
            let nonce = random::<NONCE_LEN>()?;
            // secretbox has no associated data: the id is sealed with the secret instead.
            let mut plain = Zeroizing::new(sealed_prefix(&id));
            plain.extend_from_slice(&secret);
            let mut secret = plain;
            let tag = master
                .cipher()
                .encrypt_in_place_detached(Nonce::from_slice(&nonce), b"", &mut secret)
                .map_err(|_| KeyError::Random)?;
            let mut boxed = tag.to_vec();
            boxed.extend_from_slice(&secret);
            (true, Some(hex::encode(nonce)), hex::encode(boxed))
        }
        None => (false, None, hex::encode(&secret[..])),
    };
    Ok(KeyRow {
        id,
        created: now,
        retired: None,
        sealed,
        nonce,
        secret: text,
    })
}

/// What is sealed before a key's secret: its id and a zero byte, so that a box moved to
/// another row does not open.
fn sealed_prefix(id: &str) -> Vec<u8> {
    let mut prefix = id.as_bytes().to_vec();
    prefix.push(0);
    prefix
}

/// Opens a stored key (its id is sealed with it, so a box moved to another row does not
/// open).
///
/// # Errors
/// `MasterKeyRequired`, `Unsealable`, `Malformed`.
pub fn open(row: &KeyRow, master: Option<&MasterKey>) -> Result<RootKey, KeyError> {
    let malformed = || KeyError::Malformed(row.id.clone());
    let mut bytes = Zeroizing::new(hex::decode(&row.secret).map_err(|_| malformed())?);
    if !row.sealed {
        return RootKey::from_bytes(&bytes).map_err(|_| malformed());
    }
    let master = master.ok_or_else(|| KeyError::MasterKeyRequired(row.id.clone()))?;
    let nonce = row
        .nonce
        .as_deref()
        .and_then(|n| hex::decode(n).ok())
        .filter(|n| n.len() == NONCE_LEN)
        .ok_or_else(malformed)?;
    if bytes.len() <= TAG_LEN {
        return Err(malformed());
    }
    let mut secret = Zeroizing::new(bytes.split_off(TAG_LEN));
    master
        .cipher()
        .decrypt_in_place_detached(
            Nonce::from_slice(&nonce),
            b"",
            &mut secret,
            Tag::from_slice(&bytes),
        )
        .map_err(|_| KeyError::Unsealable(row.id.clone()))?;
    let key = secret
        .strip_prefix(sealed_prefix(&row.id).as_slice())
        .ok_or_else(|| KeyError::Unsealable(row.id.clone()))?;
    RootKey::from_bytes(key).map_err(|_| malformed())
}

/// The keys a server runs with: every active key by id, and the newest one to mint with.
pub struct LoadedKeys {
    /// Every key that is not retired.
    pub ring: KeyRing,
    /// The id of the key that mints.
    pub current_id: String,
    /// The key that mints.
    pub current: RootKey,
}

/// Loads the active keys.
///
/// # Errors
/// Any [`KeyError`]; `NoActiveKey` when every key is retired (or there is none).
pub fn load(rows: &[KeyRow], master: Option<&MasterKey>) -> Result<LoadedKeys, KeyError> {
    let mut ring = KeyRing::new();
    let mut current = None;
    for row in rows.iter().filter(|r| r.retired.is_none()) {
        let key = open(row, master)?;
        ring.insert(row.id.clone(), key.clone());
        current = Some((row.id.clone(), key));
    }
    let (current_id, current) = current.ok_or(KeyError::NoActiveKey)?;
    Ok(LoadedKeys {
        ring,
        current_id,
        current,
    })
}

/// Loads the keys, first creating one when there is no active key (a first start needs no
/// setup).
///
/// # Errors
/// Any [`KeyError`], or a store failure as `Malformed`.
pub fn load_or_create(
    store: &dyn Store,
    now: u64,
    master: Option<&MasterKey>,
) -> Result<LoadedKeys, KeyError> {
    let rows = store
        .keys()
        .map_err(|e| KeyError::Malformed(e.to_string()))?;
    if rows.iter().all(|r| r.retired.is_some()) {
        let row = generate(now, master)?;
        store
            .add_key(&row)
            .map_err(|e| KeyError::Malformed(e.to_string()))?;
        return load(&[row], master);
    }
    load(&rows, master)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master(byte: u8) -> MasterKey {
        MasterKey::from_hex(&hex::encode([byte; 32])).expect("master")
    }

    #[test]
    fn sealed_keys_open_only_under_their_master_key_and_row() {
        let m = master(1);
        let row = generate(5, Some(&m)).expect("generate");
        assert!(row.sealed);
        assert!(open(&row, Some(&m)).is_ok());
        assert_eq!(
            open(&row, None).err(),
            Some(KeyError::MasterKeyRequired(row.id.clone()))
        );
        assert_eq!(
            open(&row, Some(&master(2))).err(),
            Some(KeyError::Unsealable(row.id.clone()))
        );
        let moved = KeyRow {
            id: "k-other".into(),
            ..row.clone()
        };
        assert_eq!(
            open(&moved, Some(&m)).err(),
            Some(KeyError::Unsealable("k-other".into()))
        );
    }

    #[test]
    fn plain_keys_and_the_newest_active_key_mints() {
        let a = generate(1, None).expect("a");
        let mut b = generate(2, None).expect("b");
        assert!(!a.sealed);
        let loaded = load(&[a.clone(), b.clone()], None).expect("load");
        assert_eq!(loaded.current_id, b.id);
        assert_eq!(loaded.ring.key_ids().count(), 2);
        b.retired = Some(3);
        let loaded = load(&[a.clone(), b.clone()], None).expect("load");
        assert_eq!(loaded.current_id, a.id);
        assert!(loaded.ring.get(Some(&b.id)).is_none());
        assert_eq!(
            load(&[b], None).err().map(|e| e.to_string()),
            Some("no active root key".into())
        );
    }

    #[test]
    fn bad_master_keys_are_refused() {
        assert_eq!(
            MasterKey::from_hex("00").err(),
            Some(KeyError::BadMasterKey)
        );
        assert_eq!(
            MasterKey::from_hex(&"zz".repeat(32)).err(),
            Some(KeyError::BadMasterKey)
        );
        assert!(!format!("{:?}", master(7)).contains("07"));
    }
}
