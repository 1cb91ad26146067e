//! The persistent state of the service behind one trait, [`Store`]: users, root keys, named
//! tokens, generations of temporary tokens, refresh-token families.
//!
//! The trait is synchronous and every method is one transaction: the service calls it from
//! blocking threads (`spawn_blocking`), never on the async runtime. A method returns only after
//! its transaction committed, so whatever the service hands a client is on disk. A backend keeps
//! no cache: the service keeps the in-memory mirrors that verification reads.
//!
//! The SQL is written once for every backend (see `schema.sql`): `$N` placeholders numbered in
//! order of first appearance (SQLite binds them positionally, as PostgreSQL does), TEXT and BIGINT
//! columns only.

mod sqlite;
#[cfg(test)]
mod suite;

use std::fmt;

pub use sqlite::SqliteStore;

/// What a store call can fail with.
#[derive(Debug)]
pub enum StoreError {
    /// A unique constraint: the name (of a user or of a token) is taken.
    Conflict,
    /// The database failed (I/O, corruption, a lock held too long).
    Backend(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Conflict => f.write_str("the name is taken"),
            Self::Backend(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// A store call's result.
pub type StoreResult<T> = Result<T, StoreError>;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// The user's id (the subject is `usr-<id>`).
    pub id: String,
    /// The login name (unique).
    pub name: String,
    /// The argon2 PHC string of the password.
    pub password_hash: String,
    /// The current generation of the user's temporary tokens.
    pub generation: u64,
    /// Creation time, unix seconds.
    pub created: u64,
}

/// A root key as stored: its secret in the clear (hex) or sealed under the master key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// The key id tokens name.
    pub id: String,
    /// Creation time, unix seconds.
    pub created: u64,
    /// When it was retired (it no longer verifies), if it was.
    pub retired: Option<u64>,
    /// Whether `secret` is sealed (then `nonce` is set).
    pub sealed: bool,
    /// The sealing nonce, hex.
    pub nonce: Option<String>,
    /// The secret (hex), or its sealed box (hex).
    pub secret: String,
}

impl fmt::Debug for KeyRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRow")
            .field("id", &self.id)
            .field("created", &self.created)
            .field("retired", &self.retired)
            .field("sealed", &self.sealed)
            .finish_non_exhaustive()
    }
}

/// A named token's record (never the token itself: it can be minted again from the record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRow {
    /// The token id.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// The name, unique per user.
    pub name: String,
    /// Which API created it (`onezone` or `insight`).
    pub kind: String,
    /// The token type, JSON.
    pub token_type: String,
    /// The caveats, JSON array.
    pub caveats: String,
    /// The custom metadata, JSON object.
    pub custom_metadata: String,
    /// Creation time, unix seconds.
    pub created: u64,
    /// Whether it is revoked.
    pub revoked: bool,
    /// The last successful use, unix seconds.
    pub last_used: Option<u64>,
}

/// A change of a named token (absent fields stay as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedPatch {
    /// A new name.
    pub name: Option<String>,
    /// New custom metadata, JSON object.
    pub custom_metadata: Option<String>,
    /// Revoked or not.
    pub revoked: Option<bool>,
}

/// A refresh token as stored: only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRow {
    /// SHA-256 of the token, hex.
    pub hash: String,
    /// The family (one per password login) it belongs to.
    pub family: String,
    /// Creation time, unix seconds.
    pub created: u64,
    /// Expiry, unix seconds.
    pub expires: u64,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// It was valid: it is now used, and the new one (same family) is stored.
    Rotated {
        /// The owner.
        user_id: String,
    },
    /// It had been used already: the whole family is now revoked (reuse detection).
    Reused {
        /// The family that was revoked.
        family: String,
    },
    /// Unknown, expired, or of a revoked family: nothing changed.
    Invalid,
}

/// The service's persistent state. Every method is one committed transaction.
pub trait Store: Send + Sync + 'static {
    /// Adds a user; `Conflict` when the name is taken.
    fn add_user(&self, user: &UserRow) -> StoreResult<()>;
    /// The user with this login name.
    fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRow>>;
    /// The user with this id.
    fn user_by_id(&self, id: &str) -> StoreResult<Option<UserRow>>;
    /// Every user, by name.
    fn users(&self) -> StoreResult<Vec<UserRow>>;
    /// Bumps the user's generation (revoking all its temporary tokens); the new generation, or
    /// `None` for an unknown user.
    fn bump_generation(&self, user_id: &str) -> StoreResult<Option<u64>>;

    /// Adds a root key.
    fn add_key(&self, key: &KeyRow) -> StoreResult<()>;
    /// Every root key, oldest first.
    fn keys(&self) -> StoreResult<Vec<KeyRow>>;
    /// Retires a key at `at`; whether it was there and active.
    fn retire_key(&self, id: &str, at: u64) -> StoreResult<bool>;

    /// Adds a named token; `Conflict` when the user has one of that name.
    fn add_named(&self, token: &NamedRow) -> StoreResult<()>;
    /// A named token by id.
    fn named(&self, id: &str) -> StoreResult<Option<NamedRow>>;
    /// A user's named tokens of `kind` (every kind for `None`), oldest first.
    fn named_of(&self, user_id: &str, kind: Option<&str>) -> StoreResult<Vec<NamedRow>>;
    /// Every named token's id and whether it is revoked (to fill the mirror).
    fn named_status(&self) -> StoreResult<Vec<(String, bool)>>;
    /// Changes a user's named token; whether it exists (and is the user's). `Conflict` for a
    /// name the user has already.
    fn update_named(&self, user_id: &str, id: &str, patch: &NamedPatch) -> StoreResult<bool>;
    /// Deletes a user's named token; whether it existed (and was the user's).
    fn delete_named(&self, user_id: &str, id: &str) -> StoreResult<bool>;
    /// Records uses: each token's `last_used` becomes the later of it and the time given.
    fn touch_named(&self, uses: &[(String, u64)]) -> StoreResult<()>;

    /// Starts a refresh-token family for a user with its first token.
    fn add_refresh_family(&self, user_id: &str, first: &RefreshRow) -> StoreResult<()>;
    /// Presents the refresh token `hash` at `now`: rotates it to `next` (same family), or
    /// detects its reuse and revokes its family. One transaction: of two concurrent uses of
    /// one token exactly one rotates.
    fn use_refresh(&self, hash: &str, now: u64, next: &RefreshRow) -> StoreResult<RefreshUse>;
    /// The family and owner of a refresh token, if it is known.
    fn refresh_family(&self, hash: &str) -> StoreResult<Option<(String, String)>>;
    /// Revokes a family; whether it existed and belongs to `user_id` (any owner for `None`).
    fn revoke_family(&self, family: &str, user_id: Option<&str>) -> StoreResult<bool>;
    /// The ids of every revoked family (to fill the mirror).
    fn revoked_families(&self) -> StoreResult<Vec<String>>;
}
