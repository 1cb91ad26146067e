//! The token service: what the HTTP routes do, without HTTP. It mints and verifies with the
//! core library, keeps its state in a [`Store`], and keeps in memory the mirrors that
//! verification reads (named tokens' status, generations, revoked refresh families), so that a
//! verification does no I/O. Every change is committed to the store first and applied to the
//! mirror after, before the caller is answered.

mod error;
pub mod keys;
mod oauth;
mod onezone;
mod password;
mod usage;

use caveat_token::RevocationError;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use caveat_token::{
    Context, Expect, GenerationSource, IssuancePolicy, KeyRing, NamedStatus, NamedTokens,
    RevocationSource, RootKey, Subject, TokenType, VerifiedToken, Verifier,
};

pub use error::ServiceError;
pub use oauth::{AccessGrant, TokenPair};
pub use onezone::{NamedRequest, NamedUpdate, TemporaryRequest, VerifyRequest};
pub use password::{hash_password, PasswordCache};
pub use usage::{usage_flusher, LastUsed, FLUSH_INTERVAL};

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
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_temporary_ttl: caveat_token::DEFAULT_MAX_TTL,
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

/// The current generation of each subject's temporary tokens, as the store has it. Only ever
/// raised (a stale read can never lower it); unknown subjects have none, which fails closed.
#[derive(Debug, Default)]
pub struct GenerationMirror {
    current: RwLock<HashMap<String, u64>>,
}

impl GenerationMirror {
    /// Raises a subject's generation to at least `generation`.
    pub fn raise(&self, subject: &str, generation: u64) {
        if let Ok(mut c) = self.current.write() {
            let entry = c.entry(subject.to_owned()).or_insert(generation);
            *entry = (*entry).max(generation);
        }
    }

    /// The current generation of a subject, if known.
    pub fn get(&self, subject: &str) -> Option<u64> {
        self.current
            .read()
            .ok()
            .and_then(|c| c.get(subject).copied())
    }
}

impl GenerationSource for GenerationMirror {
    fn current_generation(&self, subject: &Subject<'_>) -> Option<u64> {
        self.get(&subject.to_string())
    }
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
    keys: KeyRing,
    current_key_id: String,
    current_key: RootKey,
    named: Arc<NamedTokens>,
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
            .field("current_key_id", &self.current_key_id)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// The service over `store` with these keys: fills the mirrors from the store.
    ///
    /// # Errors
    /// A store failure.
    pub fn new(
        store: Arc<dyn Store>,
        loaded: keys::LoadedKeys,
        config: &Config,
    ) -> StoreResult<Self> {
        let named = Arc::new(NamedTokens::new());
        for (id, revoked) in store.named_status()? {
            named.issue(id.clone());
            if revoked {
                named.revoke(&id);
            }
        }
        let generations = Arc::new(GenerationMirror::default());
        for user in store.users()? {
            generations.raise(&format!("usr-{}", user.id), user.generation);
        }
        let families = RwLock::new(store.revoked_families()?.into_iter().collect());
        let verifier = Verifier::new()
            .with_revocation_source(Arc::clone(&named))
            .with_generation_source(Arc::clone(&generations));
        Ok(Self {
            store,
            keys: loaded.ring,
            current_key_id: loaded.current_id,
            current_key: loaded.current,
            named,
            generations,
            families,
            verifier,
            policy: IssuancePolicy::new().with_max_ttl(config.max_temporary_ttl),
            passwords: PasswordCache::default(),
            last_used: LastUsed::default(),
        })
    }

    /// The keys that verify (for the HTTP authenticator).
    #[must_use]
    pub fn key_ring(&self) -> KeyRing {
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
        let verified = self.verifier.verify_text(text, &self.keys, ctx)?;
        self.check_family(&verified)?;
        self.record_use(&verified.identifier().token_id, ctx.now());
        Ok(verified)
    }

    /// The user a verified token speaks for (refuses a provider's token and an access token of
    /// a revoked refresh family).
    ///
    /// # Errors
    /// `Unauthorized` for a provider; `tokenRevoked` for a revoked family.
    pub fn token_user(&self, verified: &VerifiedToken) -> Result<User, ServiceError> {
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
            let revoked = self
                .families
                .read()
                .map_or(true, |f| f.contains(session.as_ref()));
            if revoked {
                return Err(caveat_token::Error::Revocation(RevocationError::Revoked).into());
            }
        }
        Ok(())
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
