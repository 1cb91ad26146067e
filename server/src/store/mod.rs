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
//! columns only. The schema is a numbered list of migrations ([`MIGRATIONS`]) that both backends
//! apply in order, each recorded in `schema_version`.
//!
//! Every change that can turn an accept into a deny (or back) writes a row to the change log in
//! its own transaction, numbered by a counter row that the transaction holds locked until it
//! commits, so that the numbers are committed in order: a reader that has seen number N has
//! seen every change numbered below N. The nodes' mirrors follow the log ([`Store::changes_since`]).

mod pg_tls;
mod postgres;
mod sqlite;
#[cfg(test)]
mod suite;

use std::fmt;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// The schema, as numbered migrations applied in order by every backend (the SQL is the subset
/// that SQLite and PostgreSQL share).
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("schema.sql")),
    (2, include_str!("changes.sql")),
];

/// The newest schema version this build knows (a database with a newer one is refused).
pub const SCHEMA_VERSION: i64 = 2;

/// What a change in the log did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// A named token was created (active).
    NamedIssued(String),
    /// A named token was revoked.
    NamedRevoked(String),
    /// A named token was reinstated.
    NamedReinstated(String),
    /// A named token was deleted.
    NamedDeleted(String),
    /// A user's generation of temporary tokens became this.
    Generation {
        /// The user id.
        user_id: String,
        /// The new generation.
        generation: u64,
    },
    /// A refresh-token family was revoked.
    FamilyRevoked(String),
    /// A root key was added.
    KeyAdded(String),
    /// A root key was retired.
    KeyRetired(String),
    /// A user was removed (with its named tokens and refresh families).
    UserRemoved(String),
    /// A kind this build does not know (a newer node wrote it): the mirror cannot apply it and
    /// stops, failing closed.
    Unknown(String),
}

impl ChangeKind {
    /// The stored form: kind, subject, value.
    #[must_use]
    pub fn to_row(&self) -> (&'static str, &str, Option<u64>) {
        match self {
            Self::NamedIssued(id) => ("named.issued", id, None),
            Self::NamedRevoked(id) => ("named.revoked", id, None),
            Self::NamedReinstated(id) => ("named.reinstated", id, None),
            Self::NamedDeleted(id) => ("named.deleted", id, None),
            Self::Generation {
                user_id,
                generation,
            } => ("user.generation", user_id, Some(*generation)),
            Self::FamilyRevoked(id) => ("family.revoked", id, None),
            Self::KeyAdded(id) => ("key.added", id, None),
            Self::KeyRetired(id) => ("key.retired", id, None),
            Self::UserRemoved(id) => ("user.removed", id, None),
            Self::Unknown(kind) => ("unknown", kind, None),
        }
    }

    /// Parses the stored form (an unknown kind is [`ChangeKind::Unknown`]).
    #[must_use]
    pub fn from_row(kind: &str, subject: String, value: Option<u64>) -> Self {
        match (kind, value) {
            ("named.issued", None) => Self::NamedIssued(subject),
            ("named.revoked", None) => Self::NamedRevoked(subject),
            ("named.reinstated", None) => Self::NamedReinstated(subject),
            ("named.deleted", None) => Self::NamedDeleted(subject),
            ("user.generation", Some(generation)) => Self::Generation {
                user_id: subject,
                generation,
            },
            ("family.revoked", None) => Self::FamilyRevoked(subject),
            ("key.added", None) => Self::KeyAdded(subject),
            ("key.retired", None) => Self::KeyRetired(subject),
            ("user.removed", None) => Self::UserRemoved(subject),
            _ => Self::Unknown(kind.to_owned()),
        }
    }
}

/// One row of the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Its number: 1, 2, 3, … in commit order.
    pub seq: u64,
    /// What changed.
    pub kind: ChangeKind,
}

/// Everything the mirrors hold, read in one transaction, with the number of the last change
/// it includes.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The last change the snapshot includes.
    pub seq: u64,
    /// Every named token's id and whether it is revoked.
    pub named: Vec<(String, bool)>,
    /// Every user's id and generation.
    pub generations: Vec<(String, u64)>,
    /// The ids of every revoked refresh family.
    pub revoked_families: Vec<String>,
    /// Every root key, oldest first.
    pub keys: Vec<KeyRow>,
}

/// What a store call can fail with.
#[derive(Debug)]
pub enum StoreError {
    /// A unique constraint: the name (of a user or of a token) is taken.
    Conflict,
    /// The database failed (corruption, a bad statement, a lock held too long).
    Backend(String),
    /// The database cannot be reached (connection refused or lost, pool exhausted): the
    /// request may succeed later.
    Unavailable(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Conflict => f.write_str("the name is taken"),
            Self::Backend(e) => write!(f, "database error: {e}"),
            Self::Unavailable(e) => write!(f, "database unavailable: {e}"),
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

    /// Removes a user with its named tokens and refresh families; whether it existed.
    fn remove_user(&self, user_id: &str) -> StoreResult<bool>;
    /// Everything the mirrors hold, in one transaction.
    fn snapshot(&self) -> StoreResult<Snapshot>;
    /// The changes numbered after `after`, in order, at most `limit`.
    fn changes_since(&self, after: u64, limit: u32) -> StoreResult<Vec<Change>>;
    /// Deletes all but the last `keep` changes (at least one is always kept, so that a node
    /// behind sees the gap); how many were deleted. A node that was further behind reloads a
    /// snapshot.
    fn prune_changes(&self, keep: u64) -> StoreResult<u64>;
    /// Woken when the log may have grown (a notification, or a reconnection of the listener);
    /// `None` when the backend has no notifications (the service then polls only).
    fn change_signal(&self) -> Option<std::sync::Arc<tokio::sync::Notify>> {
        None
    }
}
