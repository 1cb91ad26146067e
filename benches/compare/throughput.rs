//! Throughput across cores: T threads (T = 1, 2) verifying through one shared [`Verifier`], one
//! [`KeyRing`] and one [`VerificationCache`], in wall-clock verifications per second.
//!
//! Three workloads, each the n=5 token of the main comparison:
//! - `uncached`: `Verifier::verify_text` on the same token (no lock or shared counter is on this
//!   path, so it should scale with the cores);
//! - `hits`: `VerificationCache::verify_text` on a token the cache holds (read locks on one
//!   shard and the entry's reference count are shared);
//! - `misses`: `VerificationCache::verify_text` over `MISS_TOKENS` distinct tokens cycling
//!   through a cache of `MISS_CAPACITY` entries, so almost every call decodes, verifies and
//!   inserts (taking a shard's write lock).
//!
//! Each (workload, T) pair runs `SLICE` of wall time, T = 1 and T = 2 alternating, `REPEATS`
//! times; the median is printed. On a machine with other busy processes the two-thread figure
//! is limited by the CPU time the others leave, which the ratio cannot tell apart from
//! contention: read it next to the load average.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use caveat_token::{Caveat, Context, KeyRing, RootKey, Token, VerificationCache, Verifier};

use super::{quantile, Fixture, ROOT_SECRET};

const SLICE: Duration = Duration::from_millis(250);
const REPEATS: usize = 7;
const MISS_TOKENS: usize = 16_384;
const MISS_CAPACITY: usize = 1_024;

/// What the threads share.
struct Shared<'a> {
    verifier: &'a Verifier,
    keys: &'a KeyRing,
    ctx: &'a Context,
    text: &'a str,
    cache: &'a VerificationCache,
    miss_cache: &'a VerificationCache,
    miss_texts: &'a [String],
}

fn run(shared: &Shared<'_>, workload: usize, threads: usize) -> f64 {
    let barrier = Barrier::new(threads + 1);
    let (total, elapsed) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let mut done = 0u64;
                    let mut i = t * (shared.miss_texts.len() / threads.max(1));
                    while start.elapsed() < SLICE {
                        for _ in 0..64 {
                            let ok = match workload {
                                0 => shared
                                    .verifier
                                    .verify_text(black_box(shared.text), shared.keys, shared.ctx)
                                    .is_ok(),
                                1 => shared
                                    .cache
                                    .verify_text(black_box(shared.text), shared.keys, shared.ctx)
                                    .is_ok(),
                                _ => {
                                    i = (i + 1) % shared.miss_texts.len();
                                    shared
                                        .miss_cache
                                        .verify_text(
                                            black_box(&shared.miss_texts[i]),
                                            shared.keys,
                                            shared.ctx,
                                        )
                                        .is_ok()
                                }
                            };
                            assert!(ok, "every token verifies");
                            done += 1;
                        }
                    }
                    done
                })
            })
            .collect();
        let start = Instant::now();
        barrier.wait();
        let total: u64 = handles.into_iter().map(|h| h.join().expect("thread")).sum();
        (total, start.elapsed())
    });
    total as f64 / elapsed.as_secs_f64()
}

/// Measures and prints the `THROUGHPUT` and `RATIO throughput` lines.
pub(super) fn report(f: &Fixture) {
    let key = RootKey::from_bytes(ROOT_SECRET).expect("key");
    let token = Token::from_text(&f.text, f.verifier.limits()).expect("token");
    let caveats: Vec<Caveat> = token
        .untrusted_caveats()
        .collect::<Result<_, _>>()
        .expect("caveats");
    let identifier = token.untrusted_identifier().expect("identifier");
    let miss_texts: Vec<String> = (0..MISS_TOKENS)
        .map(|i| {
            let mut id = identifier.clone().into_owned();
            id.token_id = format!("tok-{i:05}").into();
            Token::mint(&key, &id, &caveats).expect("mint").to_text()
        })
        .collect();
    let miss_cache = VerificationCache::new(f.verifier.clone(), MISS_CAPACITY);
    let shared = Shared {
        verifier: &f.verifier,
        keys: &f.keys,
        ctx: &f.ctx,
        text: &f.text,
        cache: &f.cache,
        miss_cache: &miss_cache,
        miss_texts: &miss_texts,
    };
    assert!(f.cached(), "the hit token is in the cache");
    println!();
    let names = ["uncached", "hits", "misses"];
    for (w, name) in names.iter().enumerate() {
        let mut one = Vec::with_capacity(REPEATS);
        let mut two = Vec::with_capacity(REPEATS);
        for _ in 0..REPEATS {
            one.push(run(&shared, w, 1));
            two.push(run(&shared, w, 2));
        }
        let (m1, m2) = (quantile(&mut one, 0.5), quantile(&mut two, 0.5));
        println!(
            "THROUGHPUT {name} threads=1 {m1:.0}/s (p25 {:.0}, p75 {:.0})",
            quantile(&mut one, 0.25),
            quantile(&mut one, 0.75)
        );
        println!(
            "THROUGHPUT {name} threads=2 {m2:.0}/s (p25 {:.0}, p75 {:.0})",
            quantile(&mut two, 0.25),
            quantile(&mut two, 0.75)
        );
        println!("RATIO throughput 2threads/1thread {name} {:.2}", m2 / m1);
    }
}
