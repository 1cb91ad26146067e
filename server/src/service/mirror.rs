//! The in-memory mirrors that verification reads (no I/O): named tokens' status, generations,
//! root keys, and how fresh they are ([`SyncState`]). Every mirror fails closed when the node
//! has not confirmed for longer than the maximum staleness that it follows the change log: a
//! stale named token is unknown, a stale subject has no generation, a stale key does not
//! verify. The HTTP layer answers 503 before it gets that far.
//!
//! Entries learnt from the change log (or from this node's own committed changes) always
//! overwrite; entries read through from the database on a miss are only ever added where the
//! mirror has nothing, so a read that raced with a revocation can never undo it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use caveat_token::{GenerationSource, KeySource, NamedStatus, RevocationSource, RootKey, Subject};

/// How far behind the change log a node is, and whether that is still within bounds.
#[derive(Debug)]
pub struct SyncState {
    start: Instant,
    /// When the last catch-up that reached the end of the log started (ms since `start`).
    confirmed_ms: AtomicU64,
    /// The number of the last change applied.
    seq: AtomicU64,
    max_staleness: Duration,
}

impl SyncState {
    /// In sync now, at change `seq`.
    #[must_use]
    pub fn new(seq: u64, max_staleness: Duration) -> Self {
        Self {
            start: Instant::now(),
            confirmed_ms: AtomicU64::new(0),
            seq: AtomicU64::new(seq),
            max_staleness,
        }
    }

    fn ms(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_millis()).unwrap_or(u64::MAX)
    }

    /// Records that every change committed before `at` has been applied.
    pub fn confirm(&self, at: Instant) {
        self.confirmed_ms.fetch_max(self.ms(at), Ordering::AcqRel);
    }

    /// The number of the last change applied.
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.seq.load(Ordering::Acquire)
    }

    /// Records that change `seq` has been applied.
    pub fn applied(&self, seq: u64) {
        self.seq.fetch_max(seq, Ordering::AcqRel);
    }

    /// How long since the node last confirmed it was in sync.
    #[must_use]
    pub fn lag(&self) -> Duration {
        let now = self.ms(Instant::now());
        Duration::from_millis(now.saturating_sub(self.confirmed_ms.load(Ordering::Acquire)))
    }

    /// The bound on [`SyncState::lag`].
    #[must_use]
    pub fn max_staleness(&self) -> Duration {
        self.max_staleness
    }

    /// Whether the lag is within the bound.
    #[must_use]
    pub fn fresh(&self) -> bool {
        self.lag() <= self.max_staleness
    }

    /// A mark to take before a decision, for [`SyncState::stale_since`].
    #[must_use]
    pub fn mark(&self) -> u64 {
        self.confirmed_ms.load(Ordering::Acquire)
    }

    /// Whether the node may have been out of bounds at any moment since `mark` was taken: a
    /// refusal then may come from a stale mirror, and is answered as unavailability.
    #[must_use]
    pub fn stale_since(&self, mark: u64) -> bool {
        let limit = u64::try_from(self.max_staleness.as_millis()).unwrap_or(u64::MAX);
        self.ms(Instant::now()).saturating_sub(mark) > limit
    }
}

/// What the mirror holds for a named token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedEntry {
    /// Issued, not revoked.
    Active,
    /// Revoked.
    Revoked,
    /// Deleted, or looked up and not found.
    Gone,
}

/// Named tokens' status, by id.
#[derive(Debug)]
pub struct NamedMirror {
    tokens: RwLock<HashMap<String, NamedEntry>>,
    sync: Arc<SyncState>,
}

impl NamedMirror {
    /// Empty, following `sync`.
    #[must_use]
    pub fn new(sync: Arc<SyncState>) -> Self {
        Self {
            tokens: RwLock::new(HashMap::new()),
            sync,
        }
    }

    /// Sets a token's status (from the log or a committed change).
    pub fn set(&self, id: &str, entry: NamedEntry) {
        if let Ok(mut t) = self.tokens.write() {
            t.insert(id.to_owned(), entry);
        }
    }

    /// Sets a token's status only if the mirror has none (a creation, or a read-through).
    pub fn fill(&self, id: &str, entry: NamedEntry) {
        if let Ok(mut t) = self.tokens.write() {
            t.entry(id.to_owned()).or_insert(entry);
        }
    }

    /// Replaces everything with a snapshot's entries.
    pub fn replace(&self, entries: impl IntoIterator<Item = (String, NamedEntry)>) {
        let fresh: HashMap<String, NamedEntry> = entries.into_iter().collect();
        if let Ok(mut t) = self.tokens.write() {
            *t = fresh;
        }
    }

    /// What the mirror holds, stale or not.
    #[must_use]
    pub fn entry(&self, id: &str) -> Option<NamedEntry> {
        self.tokens.read().ok().and_then(|t| t.get(id).copied())
    }
}

impl RevocationSource for NamedMirror {
    fn named_status(&self, token_id: &str) -> NamedStatus {
        if !self.sync.fresh() {
            return NamedStatus::Unknown;
        }
        match self.entry(token_id) {
            Some(NamedEntry::Active) => NamedStatus::Active,
            Some(NamedEntry::Revoked) => NamedStatus::Revoked,
            Some(NamedEntry::Gone) | None => NamedStatus::Unknown,
        }
    }
}

/// The current generation of each subject's temporary tokens. Only ever raised (a stale read
/// can never lower it); a removed subject stays removed; unknown subjects have none, which
/// fails closed.
#[derive(Debug)]
pub struct GenerationMirror {
    current: RwLock<HashMap<String, Option<u64>>>,
    sync: Arc<SyncState>,
}

impl GenerationMirror {
    /// Empty, following `sync`.
    #[must_use]
    pub fn new(sync: Arc<SyncState>) -> Self {
        Self {
            current: RwLock::new(HashMap::new()),
            sync,
        }
    }

    /// Raises a subject's generation to at least `generation` (not a removed subject's).
    pub fn raise(&self, subject: &str, generation: u64) {
        if let Ok(mut c) = self.current.write() {
            let entry = c.entry(subject.to_owned()).or_insert(Some(generation));
            if let Some(g) = entry {
                *g = (*g).max(generation);
            }
        }
    }

    /// Replaces everything with a snapshot's generations (subjects not in it are unknown, and
    /// read through when a token names them).
    pub fn replace(&self, generations: impl IntoIterator<Item = (String, u64)>) {
        let fresh: HashMap<String, Option<u64>> =
            generations.into_iter().map(|(s, g)| (s, Some(g))).collect();
        if let Ok(mut c) = self.current.write() {
            *c = fresh;
        }
    }

    /// Marks a subject removed: its temporary tokens no longer verify.
    pub fn remove(&self, subject: &str) {
        if let Ok(mut c) = self.current.write() {
            c.insert(subject.to_owned(), None);
        }
    }

    /// What the mirror has for the subject, stale or not: nothing (`None`), a removal
    /// (`Some(None)`), or a generation.
    #[must_use]
    pub fn peek(&self, subject: &str) -> Option<Option<u64>> {
        self.current
            .read()
            .ok()
            .and_then(|c| c.get(subject).copied())
    }

    /// The current generation of a subject, if known and the node is in sync.
    #[must_use]
    pub fn get(&self, subject: &str) -> Option<u64> {
        if !self.sync.fresh() {
            return None;
        }
        self.current
            .read()
            .ok()
            .and_then(|c| c.get(subject).copied().flatten())
    }
}

impl GenerationSource for GenerationMirror {
    fn current_generation(&self, subject: &Subject<'_>) -> Option<u64> {
        self.get(&subject.to_string())
    }
}

/// Most root keys a node holds (keys are rotated rarely; a database with more refuses to
/// load, failing closed).
pub const MAX_KEYS: usize = 256;

struct Slot {
    id: String,
    key: RootKey,
    retired: AtomicBool,
}

/// The root keys: added (never removed) as the log names them, retired in place. Each slot is
/// written once, so a verification borrows a key without a lock.
pub struct KeySlots {
    slots: Box<[OnceLock<Slot>]>,
    sync: Arc<SyncState>,
}

impl std::fmt::Debug for KeySlots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|s| (&s.id, s.retired.load(Ordering::Acquire))),
            )
            .finish()
    }
}

impl KeySlots {
    /// No keys, following `sync`.
    #[must_use]
    pub fn new(sync: Arc<SyncState>) -> Self {
        Self {
            slots: (0..MAX_KEYS).map(|_| OnceLock::new()).collect(),
            sync,
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter().map_while(OnceLock::get)
    }

    /// Whether a key with this id is held (active or retired).
    #[must_use]
    pub fn has(&self, id: &str) -> bool {
        self.iter().any(|s| s.id == id)
    }

    /// Adds a key (after every key added before it); `false` when the slots are full. Callers
    /// add from one task at a time.
    pub fn add(&self, id: &str, key: RootKey, retired: bool) -> bool {
        let Some(free) = self.slots.iter().find(|s| s.get().is_none()) else {
            return false;
        };
        free.set(Slot {
            id: id.to_owned(),
            key,
            retired: AtomicBool::new(retired),
        })
        .is_ok()
    }

    /// Retires a key: it no longer verifies nor mints.
    pub fn retire(&self, id: &str) {
        for slot in self.iter().filter(|s| s.id == id) {
            slot.retired.store(true, Ordering::Release);
        }
    }

    /// The newest key that is not retired, which mints.
    #[must_use]
    pub fn current(&self) -> Option<(&str, &RootKey)> {
        self.iter()
            .filter(|s| !s.retired.load(Ordering::Acquire))
            .last()
            .map(|s| (s.id.as_str(), &s.key))
    }

    /// The ids of the keys that verify.
    #[must_use]
    pub fn active_ids(&self) -> Vec<String> {
        self.iter()
            .filter(|s| !s.retired.load(Ordering::Acquire))
            .map(|s| s.id.clone())
            .collect()
    }
}

/// The keys that verify, shared by the service and the HTTP authenticator.
#[derive(Debug, Clone)]
pub struct SharedKeys(pub Arc<KeySlots>);

impl KeySource for SharedKeys {
    fn root_key(&self, key_id: Option<&str>) -> Option<&RootKey> {
        let key_id = key_id?;
        if !self.0.sync.fresh() {
            return None;
        }
        self.0
            .iter()
            .find(|s| s.id == key_id && !s.retired.load(Ordering::Acquire))
            .map(|s| &s.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_node_verifies_nothing() {
        let sync = Arc::new(SyncState::new(0, Duration::ZERO));
        let named = NamedMirror::new(Arc::clone(&sync));
        named.set("t", NamedEntry::Active);
        let generations = GenerationMirror::new(Arc::clone(&sync));
        generations.raise("usr-a", 3);
        let slots = Arc::new(KeySlots::new(Arc::clone(&sync)));
        assert!(slots.add("k", RootKey::from_bytes(&[1; 32]).expect("key"), false));
        // With a zero bound, the node is stale as soon as any time has passed.
        std::thread::sleep(Duration::from_millis(5));
        assert!(!sync.fresh());
        assert_eq!(named.named_status("t"), NamedStatus::Unknown);
        assert_eq!(generations.get("usr-a"), None);
        assert!(SharedKeys(slots).root_key(Some("k")).is_none());
        // A refusal decided while the bound passed is told apart from one on a fresh mirror.
        let mark = sync.mark();
        assert!(sync.stale_since(mark));
        // The same entries on a node within its bound.
        let fresh = Arc::new(SyncState::new(0, Duration::from_secs(3600)));
        let named = NamedMirror::new(Arc::clone(&fresh));
        named.set("t", NamedEntry::Revoked);
        assert_eq!(named.named_status("t"), NamedStatus::Revoked);
        named.set("t", NamedEntry::Active);
        assert_eq!(named.named_status("t"), NamedStatus::Active);
        assert!(!fresh.stale_since(fresh.mark()));
    }

    #[test]
    fn a_read_through_never_undoes_a_logged_change() {
        let sync = Arc::new(SyncState::new(0, Duration::from_secs(60)));
        let named = NamedMirror::new(Arc::clone(&sync));
        named.set("t", NamedEntry::Revoked);
        named.fill("t", NamedEntry::Active);
        assert_eq!(named.named_status("t"), NamedStatus::Revoked);
        let generations = GenerationMirror::new(Arc::clone(&sync));
        generations.raise("usr-a", 5);
        generations.raise("usr-a", 2);
        assert_eq!(generations.get("usr-a"), Some(5));
        generations.remove("usr-a");
        generations.raise("usr-a", 9);
        assert_eq!(generations.get("usr-a"), None);
    }

    #[test]
    fn the_newest_active_key_mints_and_retired_keys_do_not_verify() {
        let sync = Arc::new(SyncState::new(0, Duration::from_secs(60)));
        let slots = Arc::new(KeySlots::new(Arc::clone(&sync)));
        let a = RootKey::from_bytes(&[1; 32]).expect("a");
        let b = RootKey::from_bytes(&[2; 32]).expect("b");
        assert!(slots.add("k-a", a, false));
        assert!(slots.add("k-b", b, false));
        assert_eq!(slots.current().map(|(id, _)| id), Some("k-b"));
        let keys = SharedKeys(Arc::clone(&slots));
        assert!(keys.root_key(Some("k-b")).is_some());
        slots.retire("k-b");
        assert!(keys.root_key(Some("k-b")).is_none());
        assert_eq!(slots.current().map(|(id, _)| id), Some("k-a"));
        assert!(keys.root_key(None).is_none());
        assert_eq!(slots.active_ids(), vec!["k-a".to_owned()]);
    }
}
