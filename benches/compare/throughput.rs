//! Throughput across cores: T threads (T = 1, 2) verifying through one shared [`Verifier`], one
//! [`KeyRing`] and one [`VerificationCache`], in wall-clock verifications per second.
//!
//! Three workloads, each the n=5 token of the main comparison:
//! - `uncached`: `Verifier::verify_text` on the same token (no lock or shared counter is on this
//!   path, so it should scale with the cores);
//! - `hits`: `VerificationCache::verify_text` on a token the cache holds, the same token from
//!   every thread (the hardest case for sharing: one slot, one entry; a hit takes no lock and
//!   each thread clones a handle of its own stripe);
//! - `misses`: `VerificationCache::verify_text` over `MISS_TOKENS` distinct tokens cycling
//!   through a cache of `MISS_CAPACITY` entries, so almost every call decodes, verifies and
//!   inserts (taking one set's writer lock and allocating the entry).
//!
//! Each (workload, T) pair runs `SLICE` of wall time, T = 1 and T = 2 alternating, `REPEATS`
//! times; the median is printed. On a machine with other busy processes the two-thread figure
//! is limited by the CPU time the others leave, which the wall-clock ratio cannot tell apart
//! from contention: read it next to the load average. So each thread also measures its own CPU
//! time, and `RATIO throughput-cpu 2threads/1thread` is 2 × (CPU ns per verification alone) /
//! (CPU ns per verification with two threads): the scaling two idle cores would give, which
//! only contention between the threads (shared cache lines, locks) lowers.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use caveat_token::{Caveat, Context, KeyRing, RootKey, Token, VerificationCache, Verifier};

use super::{quantile, thread_cpu_ns, Fixture, ROOT_SECRET};

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

/// One run: (verifications per second of wall time, CPU ns per verification over all threads).
fn run(shared: &Shared<'_>, workload: usize, threads: usize) -> (f64, f64) {
    let barrier = Barrier::new(threads + 1);
    let (total, elapsed) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let cpu = thread_cpu_ns();
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
                    (done, thread_cpu_ns() - cpu)
                })
            })
            .collect();
        let start = Instant::now();
        barrier.wait();
        let counts = handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .fold((0, 0), |(n, c), (dn, dc)| (n + dn, c + dc));
        (counts, start.elapsed())
    });
    let (total, cpu) = total;
    (
        total as f64 / elapsed.as_secs_f64(),
        cpu as f64 / total as f64,
    )
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
        let (mut one, mut two) = (Vec::new(), Vec::new());
        let (mut cpu_one, mut cpu_two) = (Vec::new(), Vec::new());
        for _ in 0..REPEATS {
            let (rate, cpu) = run(&shared, w, 1);
            one.push(rate);
            cpu_one.push(cpu);
            let (rate, cpu) = run(&shared, w, 2);
            two.push(rate);
            cpu_two.push(cpu);
        }
        let (m1, m2) = (quantile(&mut one, 0.5), quantile(&mut two, 0.5));
        let (c1, c2) = (quantile(&mut cpu_one, 0.5), quantile(&mut cpu_two, 0.5));
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
        // What the ratio would be with two idle cores: contention (shared cache lines, locks)
        // raises the CPU time per verification; other processes' load does not.
        println!(
            "RATIO throughput-cpu 2threads/1thread {name} {:.2} (CPU ns per verification: \
             {c1:.0} alone, {c2:.0} with two threads)",
            2.0 * c1 / c2
        );
    }
}
