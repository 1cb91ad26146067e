//! The token service: what the HTTP routes do, without HTTP. It mints and verifies with the
//! core library, keeps its state in a [`Store`], and keeps in memory the mirrors that
//! verification reads (named tokens' status, generations, revoked refresh families), so that a
//! verification does no I/O. Every change is committed to the store first and applied to the
//! mirror after, before the caller is answered.

mod error;
pub mod keys;
pub mod mirror;
mod oauth;
mod onezone;
mod password;
mod sync;
mod usage;

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use caveat_token::{
    Context, Expect, IssuancePolicy, NamedStatus, RevocationSource, Subject, TokenType,
    VerifiedToken, Verifier,
};

pub use error::ServiceError;
pub use oauth::{AccessGrant, TokenPair};
pub use onezone::{NamedRequest, NamedUpdate, TemporaryRequest, VerifyRequest};
pub use password::{hash_password, PasswordCache};
pub use sync::{sync_loop, POLL_INTERVAL};
pub use usage::{usage_flusher, LastUsed, FLUSH_INTERVAL};

use mirror::{GenerationMirror, KeySlots, NamedEntry, NamedMirror, SharedKeys, SyncState};

use crate::store::{Store, StoreResult, UserRow};

/// The location written into every token this service mints.
pub const LOCATION: &str = "caveat-server";

/// Lifetime of a refresh token: 30 days.
pub const REFRESH_TTL: u64 = 30 * 24 * 3600;

/// Lifetime of an access token from the password and refresh grants (Spotinst's 2 hours).
pub const ACCESS_TTL: u64 = 7200;

/// Lifetime of an access token exchanged for an API key (IBM IAM's hour).
pub const APIKEY_ACCESS_TTL: u64 = 3600;

/// The service's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Longest TTL of a temporary token, seconds.
    pub max_temporary_ttl: u64,
    /// How long the node may go without confirming it follows the change log before it
    /// answers 503 for everything that depends on revocable state.
    pub max_staleness: Duration,
}

/// The default bound on staleness: 30 s.
pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(30);

impl Default for Config {
    fn default() -> Self {
        Self {
            max_temporary_ttl: caveat_token::DEFAULT_MAX_TTL,
            max_staleness: DEFAULT_MAX_STALENESS,
        }
    }
}

/// Now, unix seconds (0 for a clock before 1970, which every time caveat refuses).
#[must_use]
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A new random id: 32 hex digits (128 bits).
///
/// # Errors
/// `Internal` when the random source fails.
pub fn random_id() -> Result<String, ServiceError> {
    keys::random::<16>()
        .map(hex::encode)
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

/// A signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user id (subject `usr-<id>`).
    pub id: String,
}

impl User {
    /// The subject text, `usr-<id>`.
    #[must_use]
    pub fn subject(&self) -> String {
        format!("usr-{}", self.id)
    }
}

/// The token service.
pub struct Service {
    store: Arc<dyn Store>,
    keys: SharedKeys,
    master: Option<keys::MasterKey>,
    sync: Arc<SyncState>,
    named: Arc<NamedMirror>,
    generations: Arc<GenerationMirror>,
    families: RwLock<HashSet<String>>,
    verifier: Verifier,
    policy: IssuancePolicy,
    passwords: PasswordCache,
    last_used: LastUsed,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("keys", &self.keys)
            .field("sync", &self.sync)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// The service over `store`: fills the mirrors from one snapshot of the store (taken
    /// after the store's listener is in place, so that no change is missed), opening the root
    /// keys with `master`.
    ///
    /// # Errors
    /// A store failure; a key that does not open (`Internal`).
    pub fn new(
        store: Arc<dyn Store>,
        master: Option<keys::MasterKey>,
        config: &Config,
    ) -> Result<Self, ServiceError> {
        let snapshot = store.snapshot()?;
        let sync = Arc::new(SyncState::new(snapshot.seq, config.max_staleness));
        let named = Arc::new(NamedMirror::new(Arc::clone(&sync)));
        for (id, revoked) in &snapshot.named {
            let entry = if *revoked {
                NamedEntry::Revoked
            } else {
                NamedEntry::Active
            };
            named.set(id, entry);
        }
        let generations = Arc::new(GenerationMirror::new(Arc::clone(&sync)));
        for (id, generation) in &snapshot.generations {
            generations.raise(&format!("usr-{id}"), *generation);
        }
        let slots = Arc::new(KeySlots::new(Arc::clone(&sync)));
        for row in &snapshot.keys {
            let key = keys::open(row, master.as_ref())
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            if !slots.add(&row.id, key, row.retired.is_some()) {
                return Err(ServiceError::Internal("too many root keys".into()));
            }
        }
        if slots.current().is_none() {
            return Err(ServiceError::Internal(
                keys::KeyError::NoActiveKey.to_string(),
            ));
        }
        let families = RwLock::new(snapshot.revoked_families.into_iter().collect());
        let verifier = Verifier::new()
            .with_revocation_source(Arc::clone(&named))
            .with_generation_source(Arc::clone(&generations));
        Ok(Self {
            store,
            keys: SharedKeys(slots),
            master,
            sync,
            named,
            generations,
            families,
            verifier,
            policy: IssuancePolicy::new().with_max_ttl(config.max_temporary_ttl),
            passwords: PasswordCache::default(),
            last_used: LastUsed::default(),
        })
    }

    /// The keys that verify (for the HTTP authenticator): they follow the change log.
    #[must_use]
    pub fn key_ring(&self) -> SharedKeys {
        self.keys.clone()
    }

    /// The verifier, with the mirrors as its revocation and generation sources.
    #[must_use]
    pub fn verifier(&self) -> Verifier {
        self.verifier.clone()
    }

    /// The pending lastUsed updates.
    #[must_use]
    pub fn last_used(&self) -> &LastUsed {
        &self.last_used
    }

    /// The longest TTL of a temporary token.
    #[must_use]
    pub fn max_temporary_ttl(&self) -> u64 {
        self.policy.max_ttl()
    }

    /// Runs a store call on a blocking thread.
    async fn blocking<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || f(&*store))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .map_err(ServiceError::from)
    }

    /// Checks a user name and password (HTTP Basic).
    ///
    /// # Errors
    /// `Unauthorized` for an unknown user or a wrong password.
    pub async fn login(&self, name: &str, password: &str) -> Result<User, ServiceError> {
        let owned = name.to_owned();
        let Some(row) = self.blocking(move |s| s.user_by_name(&owned)).await? else {
            self.passwords.check_unknown(password).await;
            return Err(ServiceError::Unauthorized);
        };
        if !self.passwords.check(&row, password).await {
            return Err(ServiceError::Unauthorized);
        }
        // A user added while the server runs is known from its first login on.
        self.generations
            .raise(&format!("usr-{}", row.id), row.generation);
        Ok(User { id: row.id })
    }

    /// Verifies a token for a request at `ctx` with no I/O: signature, type, revocation (the
    /// mirrors), caveats, and the refresh family of an access token's session. A named token's
    /// use is recorded (written later, in a batch).
    ///
    /// # Errors
    /// The library's errors; `tokenRevoked` for a token of a revoked refresh family.
    pub fn verify(&self, text: &str, ctx: &Context) -> Result<VerifiedToken, ServiceError> {
        self.require_sync()?;
        let mark = self.sync.mark();
        let verified = self
            .verifier
            .verify_text(text, &self.keys, ctx)
            .map_err(ServiceError::from)
            .and_then(|v| self.check_family(&v).map(|()| v))
            .map_err(|e| self.unless_stale(mark, e))?;
        self.record_use(&verified.identifier().token_id, ctx.now());
        Ok(verified)
    }

    /// As [`Service::verify`], looking up once what the mirror does not know of a token
    /// minted on another node (then verifying again, still with no I/O).
    ///
    /// # Errors
    /// As [`Service::verify`].
    pub async fn verify_fresh(
        &self,
        text: &str,
        ctx: &Context,
    ) -> Result<VerifiedToken, ServiceError> {
        let first = self.verify(text, ctx);
        let unknown = matches!(&first, Err(ServiceError::Token(e)) if e.id() == "tokenInvalid");
        if unknown && self.read_through(text).await {
            return self.verify(text, ctx);
        }
        first
    }

    /// The user a verified token speaks for (refuses a provider's token and an access token of
    /// a revoked refresh family).
    ///
    /// # Errors
    /// `Unauthorized` for a provider; `tokenRevoked` for a revoked family.
    pub fn token_user(&self, verified: &VerifiedToken) -> Result<User, ServiceError> {
        self.require_sync()?;
        self.check_family(verified)?;
        match verified.identifier().subject {
            Subject::User(id) => Ok(User {
                id: id.into_owned(),
            }),
            Subject::Provider(_) => Err(ServiceError::Unauthorized),
        }
    }

    /// Records a successful use of a token (only named tokens are written).
    pub fn record_use(&self, token_id: &str, at: u64) {
        if self.named.named_status(token_id) == NamedStatus::Active {
            self.last_used.record(token_id, at);
        }
    }

    fn check_family(&self, verified: &VerifiedToken) -> Result<(), ServiceError> {
        if let TokenType::Access {
            session: Some(session),
        } = &verified.identifier().token_type
        {
            let revoked = !self.sync.fresh()
                || self
                    .families
                    .read()
                    .map_or(true, |f| f.contains(session.as_ref()));
            if revoked {
                return Err(caveat_token::Error::Revocation(
                    caveat_token::RevocationError::Revoked,
                )
                .into());
            }
        }
        Ok(())
    }

    /// `e`, or `Unavailable` if the node may have gone stale since `mark` (the mirrors then
    /// refuse everything, and the refusal says nothing about the token).
    fn unless_stale(&self, mark: u64, e: ServiceError) -> ServiceError {
        if self.sync.stale_since(mark) {
            ServiceError::Unavailable {
                lag: self.sync.lag(),
            }
        } else {
            e
        }
    }

    fn revoke_family_in_mirror(&self, family: &str) {
        if let Ok(mut f) = self.families.write() {
            f.insert(family.to_owned());
        }
    }

    /// Writes the pending lastUsed updates.
    ///
    /// # Errors
    /// A store failure (the updates are lost; they are advisory).
    pub async fn flush_last_used(&self) -> Result<usize, ServiceError> {
        let batch = self.last_used.take();
        let n = batch.len();
        if n > 0 {
            self.blocking(move |s| s.touch_named(&batch)).await?;
        }
        Ok(n)
    }

    /// A request context at `now` from an optional peer address and interface name.
    ///
    /// # Errors
    /// `badValue` for an unknown interface.
    pub fn context(
        now: u64,
        ip: Option<IpAddr>,
        interface: Option<&str>,
        expect: Expect,
    ) -> Result<Context, ServiceError> {
        let interface = interface
            .map(caveat_token::caveat::Interface::parse)
            .transpose()?;
        Ok(Context::at(now)
            .with_ip_opt(ip)
            .with_interface_opt(interface)
            .expecting(expect))
    }
}

/// Adds a user (for the CLI): `Occupied` when the name is taken.
///
/// # Errors
/// `badValue` for a bad name or an empty password; `Occupied`; store failures.
pub fn add_user(store: &dyn Store, name: &str, password: &str) -> Result<UserRow, ServiceError> {
    if name.is_empty()
        || name.len() > caveat_token::MAX_ID_LEN
        || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
    {
        return Err(ServiceError::bad(
            "name",
            "1-255 printable ASCII characters, no ':'",
        ));
    }
    if password.is_empty() {
        return Err(ServiceError::bad("password", "must not be empty"));
    }
    let row = UserRow {
        id: random_id()?,
        name: name.to_owned(),
        password_hash: hash_password(password)?,
        generation: 0,
        created: now(),
    };
    store.add_user(&row)?;
    Ok(row)
}
