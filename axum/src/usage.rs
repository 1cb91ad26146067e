//! The usage hook: an async callback after each successful verification (for "lastUsed"
//! tracking), run off the request path.
//!
//! Events go through a bounded queue to one worker task that awaits the callback for each in
//! turn. A queue rather than a task per event: under load, spawned tasks pile up without bound
//! (each holding its event and whatever the callback awaits on), while a bounded queue keeps the
//! memory fixed and gives the callback a steady, serial stream it can batch. The request only
//! ever tries to enqueue: when the queue is full (the callback is slower than the traffic) the
//! event is dropped and counted, and the response is never delayed.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc::{self, error::TrySendError};

/// One successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageEvent {
    /// The token's id.
    pub token_id: String,
    /// Who the token speaks for (`usr-<id>` / `prv-<id>`).
    pub subject: String,
    /// When it was verified (unix seconds, from the authenticator's clock).
    pub at: u64,
    /// The client address the request was verified with, if known.
    pub client_ip: Option<IpAddr>,
}

type Callback = Arc<dyn Fn(UsageEvent) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The queue and its not-yet-started worker.
pub(crate) struct Usage {
    sender: mpsc::Sender<UsageEvent>,
    /// Taken when the worker starts (on the first event, inside the server's runtime).
    pending: Mutex<Option<(mpsc::Receiver<UsageEvent>, Callback)>>,
    dropped: AtomicU64,
    delivered: Arc<AtomicU64>,
}

impl Usage {
    /// A queue of `capacity` events (at least 1) in front of `callback`.
    pub(crate) fn new<F, Fut>(capacity: usize, callback: F) -> Self
    where
        F: Fn(UsageEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let callback: Callback = Arc::new(move |event| Box::pin(callback(event)));
        Self {
            sender,
            pending: Mutex::new(Some((receiver, callback))),
            dropped: AtomicU64::new(0),
            delivered: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Queues an event without waiting; a full (or closed) queue drops it and counts.
    pub(crate) fn emit(&self, event: UsageEvent) {
        self.start();
        match self.sender.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Closed(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Starts the worker in the current runtime, once.
    fn start(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.is_none() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if let Some((mut receiver, callback)) = pending.take() {
            let delivered = Arc::clone(&self.delivered);
            runtime.spawn(async move {
                while let Some(event) = receiver.recv().await {
                    callback(event).await;
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    }

    pub(crate) fn stats(&self) -> UsageStats {
        UsageStats {
            delivered: self.delivered.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}

/// Counters of the usage hook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageStats {
    /// Events whose callback has completed.
    pub delivered: u64,
    /// Events dropped because the queue was full (or its worker had stopped).
    pub dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::Notify;

    fn event(n: u64) -> UsageEvent {
        UsageEvent {
            token_id: format!("t{n}"),
            subject: "usr-alice".into(),
            at: n,
            client_ip: None,
        }
    }

    #[tokio::test]
    async fn full_queue_drops_and_counts_without_blocking() {
        let gate = Arc::new(Notify::new());
        let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
        let worker_gate = Arc::clone(&gate);
        let usage = Usage::new(2, move |e: UsageEvent| {
            let gate = Arc::clone(&worker_gate);
            let seen = seen_tx.clone();
            async move {
                gate.notified().await;
                let _ = seen.send(e.at);
            }
        });
        // The worker takes event 0 and waits on the gate; 1 and 2 fill the queue; 3..=9 drop.
        usage.emit(event(0));
        tokio::task::yield_now().await;
        for n in 1..10 {
            usage.emit(event(n));
        }
        let stats = usage.stats();
        assert_eq!(stats.delivered, 0);
        // Two queued, plus the one the worker holds if it had started: the rest were dropped.
        assert!((7..=8).contains(&stats.dropped), "{stats:?}");
        let kept = 10 - stats.dropped;
        for n in 0..kept {
            gate.notify_one();
            assert_eq!(seen_rx.recv().await, Some(n), "delivered in order");
        }
        assert_eq!(usage.stats().dropped, stats.dropped);
    }
}
