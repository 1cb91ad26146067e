//! Following the change log: each node applies every change that any node committed, in order,
//! to its mirrors. The backend's notifications (PostgreSQL's `LISTEN`) wake the loop at once;
//! it also polls every [`POLL_INTERVAL`] as a backstop, and after a reconnection it catches up
//! from the last number it applied. A catch-up that reached the end of the log confirms the
//! node is in sync as of when it started; a node that has not confirmed within the maximum
//! staleness answers 503 for everything that depends on revocable state.
//!
//! A token minted on another node that the mirror has not heard of yet is looked up once
//! ([`Service::read_through`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use caveat_token::{Persistence, Subject};

use super::keys;
use super::mirror::NamedEntry;
use super::{Service, ServiceError};
use crate::store::{Change, ChangeKind};

/// How often the log is read without a notification.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Changes read per query.
const BATCH: u32 = 1000;

impl Service {
    /// Applies every change past the last one applied, then confirms the node is in sync.
    ///
    /// # Errors
    /// A store failure, a key that does not open, or a change this build does not know (the
    /// node then stays where it was and goes stale: it fails closed).
    pub async fn catch_up(&self) -> Result<u64, ServiceError> {
        let started = Instant::now();
        let mut applied = 0;
        loop {
            let after = self.sync.seq();
            let changes = self
                .blocking(move |s| s.changes_since(after, BATCH))
                .await?;
            let full = changes.len() >= BATCH as usize;
            // Numbers have no gaps: one missing means the log was pruned past this node's
            // place, so what it missed is gone from the log: it reloads everything instead.
            if changes
                .first()
                .is_some_and(|first| first.seq != after.saturating_add(1))
            {
                self.resync().await?;
                continue;
            }
            for change in changes {
                self.apply(&change).await?;
                self.sync.applied(change.seq);
                applied += 1;
            }
            if !full {
                break;
            }
        }
        self.sync.confirm(started);
        Ok(applied)
    }

    /// Reloads every mirror from a fresh snapshot (after a gap in the log).
    async fn resync(&self) -> Result<(), ServiceError> {
        let snapshot = self.blocking(|s| s.snapshot()).await?;
        eprintln!(
            "caveat-server: the change log was pruned past change {}: reloaded at change {}",
            self.sync.seq(),
            snapshot.seq
        );
        self.named
            .replace(snapshot.named.into_iter().map(|(id, revoked)| {
                let entry = if revoked {
                    NamedEntry::Revoked
                } else {
                    NamedEntry::Active
                };
                (id, entry)
            }));
        self.generations.replace(
            snapshot
                .generations
                .into_iter()
                .map(|(id, g)| (format!("usr-{id}"), g)),
        );
        for family in &snapshot.revoked_families {
            self.revoke_family_in_mirror(family);
        }
        self.add_keys(&snapshot.keys)?;
        self.sync.applied(snapshot.seq);
        Ok(())
    }

    async fn apply(&self, change: &Change) -> Result<(), ServiceError> {
        match &change.kind {
            ChangeKind::NamedIssued(id) => self.named.fill(id, NamedEntry::Active),
            ChangeKind::NamedRevoked(id) => self.named.set(id, NamedEntry::Revoked),
            ChangeKind::NamedReinstated(id) => self.named.set(id, NamedEntry::Active),
            ChangeKind::NamedDeleted(id) => self.named.set(id, NamedEntry::Gone),
            ChangeKind::Generation {
                user_id,
                generation,
            } => self
                .generations
                .raise(&format!("usr-{user_id}"), *generation),
            ChangeKind::FamilyRevoked(family) => self.revoke_family_in_mirror(family),
            ChangeKind::UserRemoved(id) => self.generations.remove(&format!("usr-{id}")),
            ChangeKind::KeyAdded(_) | ChangeKind::KeyRetired(_) => self.reload_keys().await?,
            ChangeKind::Unknown(kind) => {
                return Err(ServiceError::Internal(format!(
                    "change {} is of an unknown kind {kind:?}",
                    change.seq
                )))
            }
        }
        Ok(())
    }

    /// Adds the keys the node does not hold yet and retires the retired ones.
    async fn reload_keys(&self) -> Result<(), ServiceError> {
        let rows = self.blocking(|s| s.keys()).await?;
        self.add_keys(&rows)
    }

    fn add_keys(&self, rows: &[crate::store::KeyRow]) -> Result<(), ServiceError> {
        for row in rows {
            if !self.keys.0.has(&row.id) {
                let key = keys::open(row, self.master.as_ref())
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                if !self.keys.0.add(&row.id, key, row.retired.is_some()) {
                    return Err(ServiceError::Internal("too many root keys".into()));
                }
            }
            if row.retired.is_some() {
                self.keys.0.retire(&row.id);
            }
        }
        Ok(())
    }

    /// Whether the node is within its staleness bound.
    #[must_use]
    pub fn in_sync(&self) -> bool {
        self.sync.fresh()
    }

    /// `Unavailable` when the node is out of sync.
    pub(super) fn require_sync(&self) -> Result<(), ServiceError> {
        if self.sync.fresh() {
            Ok(())
        } else {
            Err(ServiceError::Unavailable {
                lag: self.sync.lag(),
            })
        }
    }

    /// The node's state for `/health`: whether it is in sync, its lag, the last change
    /// applied.
    #[must_use]
    pub fn health(&self) -> serde_json::Value {
        let fresh = self.sync.fresh();
        serde_json::json!({
            "status": if fresh { "ok" } else { "stale" },
            "lagSeconds": self.sync.lag().as_secs_f64(),
            "maxStalenessSeconds": self.sync.max_staleness().as_secs(),
            "lastChange": self.sync.seq(),
        })
    }

    /// Looks up, once, what the mirror does not know about a token whose signature verifies:
    /// a named token it has not heard of, or a subject it has no generation for (or an older
    /// one than the token's). Returns
    /// whether the mirror now knows the token (or subject), from this lookup or from the log
    /// in the meantime: the caller then verifies again.
    pub async fn read_through(&self, text: &str) -> bool {
        let Some(identifier) = self.signed_identifier(text) else {
            return false;
        };
        let Subject::User(user_id) = &identifier.subject else {
            return false;
        };
        match identifier.persistence {
            Persistence::Named => {
                let id = identifier.token_id.to_string();
                if self.named.entry(&id).is_some() {
                    return true;
                }
                let lookup = id.clone();
                match self.blocking(move |s| s.named(&lookup)).await {
                    Ok(Some(row)) if row.revoked => self.named.fill(&id, NamedEntry::Revoked),
                    Ok(Some(_)) => self.named.fill(&id, NamedEntry::Active),
                    Ok(None) => self.named.fill(&id, NamedEntry::Gone),
                    Err(_) => return false,
                }
                true
            }
            Persistence::Temporary { generation } => {
                let subject = format!("usr-{user_id}");
                // A token of a newer generation than the mirror's was minted after a
                // revoke-all that the log has not brought yet: the database has it.
                match self.generations.peek(&subject) {
                    Some(None) => return true,
                    Some(Some(current)) if current >= generation => return true,
                    _ => {}
                }
                let lookup = user_id.to_string();
                match self.blocking(move |s| s.user_by_id(&lookup)).await {
                    Ok(Some(row)) => self.generations.raise(&subject, row.generation),
                    Ok(None) => self.generations.remove(&subject),
                    Err(_) => return false,
                }
                true
            }
        }
    }
}

/// Follows the change log until `stop` turns true: at each notification of the store, and
/// every [`POLL_INTERVAL`] (or a third of the staleness bound, if that is shorter).
pub async fn sync_loop(service: Arc<Service>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let signal = service.store.change_signal();
    // A bound shorter than the poll interval is still kept: the node polls at least three
    // times within it.
    let poll = POLL_INTERVAL
        .min(service.sync.max_staleness() / 3)
        .max(Duration::from_millis(100));
    let mut failing = false;
    loop {
        let notified = async {
            match &signal {
                Some(s) => s.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = notified => {}
            () = tokio::time::sleep(poll) => {}
            _ = stop.changed() => break,
        }
        match service.catch_up().await {
            Ok(_) => {
                if failing {
                    eprintln!(
                        "caveat-server: in sync again at change {}",
                        service.sync.seq()
                    );
                }
                failing = false;
            }
            Err(e) => {
                if !failing {
                    eprintln!("caveat-server: cannot follow the change log: {e}");
                }
                failing = true;
            }
        }
    }
}
