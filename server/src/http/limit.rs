//! A per-client token bucket for the routes that need no authentication (and for failed
//! password checks): each client address gets `burst` requests at once and `rate` more per
//! second. Clients whose address is unknown share one bucket.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Most client addresses tracked; past it idle buckets are dropped, and if all are busy the
/// table is emptied (a memory bound: a flood of addresses resets the limit, it never grows).
const MAX_CLIENTS: usize = 65_536;

/// The limiter.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<Option<IpAddr>, (f64, Instant)>>,
}

impl RateLimiter {
    /// `rate` requests per second per client, `burst` at once (both at least 1).
    #[must_use]
    pub fn new(rate: u32, burst: u32) -> Self {
        Self {
            rate: f64::from(rate.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the client's bucket; false when it is empty.
    pub fn admit(&self, client: Option<IpAddr>) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else {
            return false;
        };
        let now = Instant::now();
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&client) {
            let full = self.burst;
            let rate = self.rate;
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < full
            });
            if buckets.len() >= MAX_CLIENTS {
                buckets.clear();
            }
        }
        let (tokens, at) = buckets.entry(client).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusal_per_client() {
        // One token per second: within this test no second passes for a refill to matter
        // more than one request.
        let limiter = RateLimiter::new(1, 3);
        let a: IpAddr = "127.0.0.1".parse().expect("ip");
        let b: IpAddr = "127.0.0.2".parse().expect("ip");
        let admitted = (0..10).filter(|_| limiter.admit(Some(a))).count();
        assert!((3..=4).contains(&admitted), "{admitted}");
        assert!(limiter.admit(Some(b)), "another client has its own bucket");
        assert!(limiter.admit(None));
    }
}
