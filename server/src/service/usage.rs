//! lastUsed, off the request path: a successful authentication or verification of a named
//! token records the time in memory; a background task writes the batch every
//! [`FLUSH_INTERVAL`]. A verification never waits on a write.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// How often pending lastUsed times are written (the API promises visibility within 5 s).
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Most distinct tokens pending between two flushes; uses past it are dropped (lastUsed is
/// advisory, memory is not).
const MAX_PENDING: usize = 100_000;

/// Pending lastUsed times by token id.
#[derive(Debug, Default)]
pub struct LastUsed {
    pending: Mutex<HashMap<String, u64>>,
}

impl LastUsed {
    /// Records a use at `at` (keeps the latest).
    pub fn record(&self, token_id: &str, at: u64) {
        if let Ok(mut p) = self.pending.lock() {
            if let Some(t) = p.get_mut(token_id) {
                *t = (*t).max(at);
            } else if p.len() < MAX_PENDING {
                p.insert(token_id.to_owned(), at);
            }
        }
    }

    /// A pending time for a token, if any (so a read sees a use not yet written).
    pub fn pending(&self, token_id: &str) -> Option<u64> {
        self.pending
            .lock()
            .ok()
            .and_then(|p| p.get(token_id).copied())
    }

    /// Takes every pending time.
    pub fn take(&self) -> Vec<(String, u64)> {
        self.pending
            .lock()
            .map(|mut p| p.drain().collect())
            .unwrap_or_default()
    }
}

/// Writes pending lastUsed times every [`FLUSH_INTERVAL`] until `stop` turns true, then once
/// more.
pub async fn usage_flusher(
    service: std::sync::Arc<super::Service>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(FLUSH_INTERVAL);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        if let Err(e) = service.flush_last_used().await {
            eprintln!("caveat-server: lastUsed not written: {e}");
        }
    }
    if let Err(e) = service.flush_last_used().await {
        eprintln!("caveat-server: lastUsed not written: {e}");
    }
}
