//! Same-run comparison of caveat-token's verifier with the HMAC floor and with its peers.
//!
//! ```sh
//! cargo bench --manifest-path benches/compare/Cargo.toml
//! ```
//!
//! For tokens of n = 1, 5 and 20 first-party caveats (time, ip and application caveats, each
//! small enough for one SHA-256 block), it measures ns per verification of:
//!
//! - `verify`: caveat-token's full verification from the text form (base64, decode, key lookup,
//!   chain, constant-time compare, every caveat checked against a request);
//! - `floor`: the naive HMAC floor, the chain alone over the same identifier and caveat bytes with
//!   the `hmac` and `sha2` crates, deriving the key from the root secret on every call;
//! - `physical`: the chain as SHA-256 compressions only (root state cached, four compressions
//!   per caveat), what the hardware allows;
//! - `macaroon`: the `macaroon` crate 0.3, V2 text decode + verify with exact satisfiers;
//! - `libmacaroons`: Debian's libmacaroons 0.3.0 (the C reference; V1, its only format), through
//!   the C shim in `shim/`, deserialize + verify with exact satisfiers;
//! - `jwt`: `jsonwebtoken` 11, HS256 decode + validate, with equivalent claims checked;
//! - `cached`: caveat-token's [`VerificationCache`] on a token it has seen.
//!
//! Method: thread CPU time (`CLOCK_THREAD_CPUTIME_ID`), the contenders interleaved in every round
//! (their order rotating from round to round), each round a batch of calls sized to take about
//! `BATCH_NS`, and the median over rounds with the 25th and 75th percentiles beside it. Heap
//! allocations per call are counted with a counting global allocator, outside the timed batches.
//! Set `COMPARE_ROUNDS` for more or fewer rounds.
//!
//! The first line describes the machine (`MACHINE cpu=… family=… model=… sha-ni=on|off cores=…
//! load=… compression-ns=…`: the CPU model with its family and model numbers, whether the SHA
//! extensions are there for `sha2` to use, the cores, the one-minute load average when the run
//! started, and the median ns of one SHA-256 compression), so a ratio can be read against the
//! hardware and against what else the machine was doing. Then a Markdown table, then one
//! machine-readable line per ratio and per allocation count: `RATIO verify/floor n=5 0.97`,
//! `RATIO verify/physical n=5 1.30`, `RATIO macaroon/verify n=5 7.4`,
//! `RATIO libmacaroons/verify n=5 9.0`, `RATIO jwt/verify n=5 2.5`,
//! `RATIO verify/cached n=5 14.0`, `ALLOCS verify n=5 2`; last the throughput from one and two
//! threads sharing one verifier, key ring and cache (see `throughput.rs`):
//! `THROUGHPUT uncached threads=2 …/s` and `RATIO throughput 2threads/1thread uncached 1.9`.
//!
//! The system libraries (libsodium, libmacaroons) are checked by `check-deps.sh` and build.rs.

mod throughput;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{BTreeSet, HashSet};
use std::ffi::{c_char, c_int, c_long, c_void, CString};
use std::hint::black_box;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use caveat_token::VerificationCache;
use caveat_token::{
    Caveat, Context, Identifier, KeyRing, Persistence, RootKey, Subject, Token, TokenType, Verifier,
};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::block_api::compress256;
use sha2::Sha256;
use subtle::ConstantTimeEq;

// ---------------------------------------------------------------------------------------------
// Counting allocator and thread CPU clock (the harness's only unsafe code; the library has none).

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

fn count() {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64
}

// The libmacaroons shim (shim/libmacaroons_shim.c, built by build.rs).
extern "C" {
    fn cvt_lm_mint(
        location: *const u8,
        location_sz: usize,
        key: *const u8,
        key_sz: usize,
        id: *const u8,
        id_sz: usize,
        preds: *const *const u8,
        pred_szs: *const usize,
        n: usize,
        out: *mut c_char,
        out_sz: usize,
    ) -> c_long;
    fn cvt_lm_verifier(preds: *const *const u8, pred_szs: *const usize, n: usize) -> *mut c_void;
    fn cvt_lm_verifier_free(verifier: *mut c_void);
    fn cvt_lm_verify(
        verifier: *const c_void,
        text: *const c_char,
        key: *const u8,
        key_sz: usize,
    ) -> c_int;
}

/// A libmacaroons V1 token and a verifier satisfied by its predicates.
struct Libmacaroons {
    text: CString,
    verifier: *mut c_void,
}

impl Libmacaroons {
    fn new(location: &str, id: &[u8], predicates: &[String]) -> Self {
        let ptrs: Vec<*const u8> = predicates.iter().map(|p| p.as_ptr()).collect();
        let lens: Vec<usize> = predicates.iter().map(String::len).collect();
        let mut out = vec![0u8; 64 * 1024];
        // SAFETY: every pointer/length pair describes a live buffer; `out` is writable for its
        // whole length.
        let len = unsafe {
            cvt_lm_mint(
                location.as_ptr(),
                location.len(),
                ROOT_SECRET.as_ptr(),
                ROOT_SECRET.len(),
                id.as_ptr(),
                id.len(),
                ptrs.as_ptr(),
                lens.as_ptr(),
                ptrs.len(),
                out.as_mut_ptr().cast(),
                out.len(),
            )
        };
        let len = usize::try_from(len).expect("libmacaroons mints the token");
        out.truncate(len);
        // SAFETY: as above; the shim copies the predicates.
        let verifier = unsafe { cvt_lm_verifier(ptrs.as_ptr(), lens.as_ptr(), ptrs.len()) };
        assert!(!verifier.is_null(), "libmacaroons verifier");
        Self {
            text: CString::new(out).expect("base64 text has no NUL"),
            verifier,
        }
    }

    fn verify(&self) -> bool {
        // SAFETY: the verifier is live until drop; the text is NUL-terminated.
        unsafe {
            cvt_lm_verify(
                self.verifier,
                black_box(self.text.as_ptr()),
                ROOT_SECRET.as_ptr(),
                ROOT_SECRET.len(),
            ) == 1
        }
    }
}

impl Drop for Libmacaroons {
    fn drop(&mut self) {
        // SAFETY: created by `cvt_lm_verifier`, freed once.
        unsafe { cvt_lm_verifier_free(self.verifier) }
    }
}

/// Heap allocations per call of `f`, averaged over `calls` calls.
fn allocations_per_call(calls: u64, f: &mut dyn FnMut() -> bool) -> f64 {
    for _ in 0..10 {
        assert!(f());
    }
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    for _ in 0..calls {
        black_box(f());
    }
    COUNTING.store(false, Ordering::Relaxed);
    ALLOCATIONS.load(Ordering::Relaxed) as f64 / calls as f64
}

// ---------------------------------------------------------------------------------------------
// The fixtures: one token, the same caveats, in every contender's format.

const ROOT_SECRET: &[u8; 32] = b"an example root key of 32 bytes!";
const KEY_ID: &str = "2026-11";
const ACTION: &str = "example.com/action";
const ORG: &str = "example.com/org";
const IP_LIST: [&str; 2] = ["10.0.0.0/8", "192.168.0.0/16"];

/// The i-th caveat, as a typed caveat and as the text predicate the peers check.
fn caveat(i: usize, now: u64) -> (Caveat, String) {
    match i % 4 {
        0 => {
            let until = now + 3600 + i as u64;
            (Caveat::time(until), format!("time < {until}"))
        }
        1 => {
            let json = format!(
                r#"{{"type":"ip","whitelist":["{}","{}"]}}"#,
                IP_LIST[0], IP_LIST[1]
            );
            let c = Caveat::from_json_str(&json).expect("ip caveat");
            let text = c.to_text();
            (c, text)
        }
        2 => {
            let c = Caveat::from_text(&format!("{ACTION} = read")).expect("app caveat");
            let text = c.to_text();
            (c, text)
        }
        _ => {
            let c = Caveat::from_text(&format!("{ORG} = acme")).expect("app caveat");
            let text = c.to_text();
            (c, text)
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    kid: String,
    jti: String,
    sub: String,
    typ: String,
    gen: u64,
    exp: u64,
    /// The caveats other than the first time caveat (which is `exp`), as text predicates.
    cav: Vec<String>,
}

struct Fixture {
    n: usize,
    // caveat-token
    verifier: Verifier,
    keys: KeyRing,
    ctx: Context,
    text: String,
    cache: VerificationCache,
    // the same bytes, for the floors
    identifier: Vec<u8>,
    caveats: Vec<Vec<u8>>,
    tag: [u8; 32],
    root_midstates: ([u32; 8], [u32; 8]),
    // macaroon
    macaroon_text: String,
    macaroon_key: macaroon::MacaroonKey,
    macaroon_verifier: macaroon::Verifier,
    // libmacaroons
    libmacaroons: Libmacaroons,
    // jsonwebtoken
    jwt_text: String,
    jwt_key: DecodingKey,
    jwt_validation: Validation,
    satisfied: HashSet<String>,
}

impl Fixture {
    fn new(n: usize) -> Self {
        // The JWT's `exp` is checked against the system clock, so every token uses real time.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        let (typed, texts): (Vec<Caveat>, Vec<String>) = (0..n).map(|i| caveat(i, now)).unzip();

        let key = RootKey::from_bytes(ROOT_SECRET).expect("key");
        let mut keys = KeyRing::new();
        keys.insert(KEY_ID, key.clone());
        keys.insert(
            "2026-05",
            RootKey::from_bytes(b"an older key").expect("key"),
        );
        let identifier = Identifier {
            location: "auth.example.com".into(),
            key_id: Some(KEY_ID.into()),
            token_id: "tok-0001".into(),
            subject: Subject::User("alice".into()),
            token_type: TokenType::Access { session: None },
            persistence: Persistence::Temporary { generation: 1 },
        };
        let token = Token::mint(&key, &identifier, &typed).expect("mint");
        let text = token.to_text();
        let has = |name: &'static str| {
            move |value: &str, ctx: &Context| ctx.attribute(name) == Some(value)
        };
        let verifier = Verifier::new()
            .with_predicate(ACTION, has(ACTION))
            .with_predicate(ORG, has(ORG));
        let client: IpAddr = "10.1.2.3".parse().expect("ip");
        let ctx = Context::at(now + 60)
            .with_ip(client)
            .with_attribute(ACTION, "read")
            .with_attribute(ORG, "acme");
        let cache = VerificationCache::new(verifier.clone(), 1024);

        let id_bytes = token.identifier_bytes().to_vec();
        let caveat_bytes: Vec<Vec<u8>> = token.caveat_bytes().map(<[u8]>::to_vec).collect();
        for c in &caveat_bytes {
            assert!(c.len() <= 55, "each caveat fits one SHA-256 block");
        }
        let tag = *token.tag().as_bytes();
        let derived = hmac_crate(b"macaroons-key-generator", ROOT_SECRET);
        let root_midstates = midstates(&derived);

        // macaroon: the same identifier bytes, the caveats as text predicates.
        macaroon::initialize().expect("libsodium");
        let macaroon_key = macaroon::MacaroonKey::generate(ROOT_SECRET);
        let mut m = macaroon::Macaroon::create(
            Some("auth.example.com".into()),
            &macaroon_key,
            id_bytes.clone().into(),
        )
        .expect("macaroon");
        for t in &texts {
            m.add_first_party_caveat(t.as_str().into());
        }
        let macaroon_text = m.serialize(macaroon::Format::V2).expect("serialize");
        let mut macaroon_verifier = macaroon::Verifier::default();
        let satisfied: HashSet<String> = texts.iter().cloned().collect();
        let exact: BTreeSet<&String> = satisfied.iter().collect();
        for t in exact {
            macaroon_verifier.satisfy_exact(t.as_str().into());
        }

        let libmacaroons = Libmacaroons::new("auth.example.com", &id_bytes, &texts);

        // jsonwebtoken: the identifier's fields as claims, the first time caveat as `exp`.
        let exp = match &typed[0] {
            Caveat::Time(t) => t.valid_until(),
            _ => unreachable!("caveat 0 is a time caveat"),
        };
        let claims = Claims {
            iss: "auth.example.com".into(),
            kid: KEY_ID.into(),
            jti: "tok-0001".into(),
            sub: "usr-alice".into(),
            typ: "access".into(),
            gen: 1,
            exp,
            cav: texts[1..].to_vec(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KEY_ID.into());
        let jwt_text =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(ROOT_SECRET))
                .expect("jwt");
        let mut jwt_validation = Validation::new(Algorithm::HS256);
        jwt_validation.leeway = 0;
        jwt_validation.set_issuer(&["auth.example.com"]);

        Self {
            n,
            verifier,
            keys,
            ctx,
            text,
            cache,
            identifier: id_bytes,
            caveats: caveat_bytes,
            tag,
            root_midstates,
            macaroon_text,
            macaroon_key,
            macaroon_verifier,
            libmacaroons,
            jwt_text,
            jwt_key: DecodingKey::from_secret(ROOT_SECRET),
            jwt_validation,
            satisfied,
        }
    }

    fn verify(&self) -> bool {
        self.verifier
            .verify_text(black_box(&self.text), &self.keys, &self.ctx)
            .is_ok()
    }

    fn cached(&self) -> bool {
        self.cache
            .verify_text(black_box(&self.text), &self.keys, &self.ctx)
            .is_ok()
    }

    fn floor(&self) -> bool {
        let k = hmac_crate(b"macaroons-key-generator", black_box(ROOT_SECRET));
        let mut t = hmac_crate(&k, black_box(&self.identifier));
        for c in &self.caveats {
            t = hmac_crate(&t, c);
        }
        bool::from(t.ct_eq(&self.tag))
    }

    fn physical(&self) -> bool {
        let (inner, outer) = black_box(self.root_midstates);
        let mut t = mac_from_midstates(&inner, &outer, black_box(&self.identifier));
        for c in &self.caveats {
            let (i, o) = midstates(&t);
            t = mac_from_midstates(&i, &o, c);
        }
        bool::from(t.ct_eq(&self.tag))
    }

    fn macaroon(&self) -> bool {
        let Ok(m) = macaroon::Macaroon::deserialize(black_box(&self.macaroon_text)) else {
            return false;
        };
        self.macaroon_verifier
            .verify(&m, &self.macaroon_key, Vec::new())
            .is_ok()
    }

    fn libmacaroons(&self) -> bool {
        self.libmacaroons.verify()
    }

    fn jwt(&self) -> bool {
        let Ok(data) = jsonwebtoken::decode::<Claims>(
            black_box(&self.jwt_text),
            &self.jwt_key,
            &self.jwt_validation,
        ) else {
            return false;
        };
        data.claims.kid == KEY_ID && data.claims.cav.iter().all(|c| self.satisfied.contains(c))
    }
}

fn hmac_crate(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

// The physical floor: HMAC as bare SHA-256 compressions, for keys and messages that fit a block.
const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

fn midstates(key: &[u8; 32]) -> ([u32; 8], [u32; 8]) {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for i in 0..32 {
        ipad[i] ^= key[i];
        opad[i] ^= key[i];
    }
    let (mut inner, mut outer) = (IV, IV);
    compress256(&mut inner, &[ipad]);
    compress256(&mut outer, &[opad]);
    (inner, outer)
}

fn mac_from_midstates(inner: &[u32; 8], outer: &[u32; 8], msg: &[u8]) -> [u8; 32] {
    assert!(msg.len() <= 55);
    let mut st = *inner;
    let mut block = [0u8; 64];
    block[..msg.len()].copy_from_slice(msg);
    block[msg.len()] = 0x80;
    block[56..].copy_from_slice(&((64 + msg.len() as u64) * 8).to_be_bytes());
    compress256(&mut st, &[block]);
    let mut block = [0u8; 64];
    for (c, w) in block.chunks_exact_mut(4).zip(st) {
        c.copy_from_slice(&w.to_be_bytes());
    }
    block[32] = 0x80;
    block[56..].copy_from_slice(&768u64.to_be_bytes());
    let mut st = *outer;
    compress256(&mut st, &[block]);
    let mut out = [0u8; 32];
    for (c, w) in out.chunks_exact_mut(4).zip(st) {
        c.copy_from_slice(&w.to_be_bytes());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Measurement.

const CONTENDERS: usize = 7;
const NAMES: [&str; CONTENDERS] = [
    "verify",
    "floor",
    "physical",
    "macaroon",
    "jwt",
    "cached",
    "libmacaroons",
];
const LABELS: [&str; CONTENDERS] = [
    "caveat-token `verify_text` (text → decode → chain → caveats)",
    "naive floor: HMAC chain only, `hmac` + `sha2`, fresh key, same bytes",
    "physical floor: 4 SHA-256 compressions per step, root state cached",
    "`macaroon` 0.3 (V2 decode + verify, exact satisfiers)",
    "`jsonwebtoken` 11 HS256 (decode + validate + claims)",
    "caveat-token `VerificationCache` hit (caveats re-checked)",
    "libmacaroons 0.3.0 C (V1 deserialize + verify, exact satisfiers)",
];
/// Target CPU time of one batch.
const BATCH_NS: u64 = 400_000;

fn call(f: &Fixture, which: usize) -> bool {
    match which {
        0 => f.verify(),
        1 => f.floor(),
        2 => f.physical(),
        3 => f.macaroon(),
        4 => f.jwt(),
        5 => f.cached(),
        _ => f.libmacaroons(),
    }
}

fn batch(f: &Fixture, which: usize, iters: u64) -> u64 {
    let start = thread_cpu_ns();
    for _ in 0..iters {
        black_box(call(f, which));
    }
    thread_cpu_ns() - start
}

/// The p-quantile (0 ≤ p ≤ 1) of `v`, linearly interpolated; sorts `v`.
fn quantile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let pos = p * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// 25th percentile, median and 75th percentile of a contender's rounds.
#[derive(Clone, Copy, Default)]
struct Spread {
    p25: f64,
    median: f64,
    p75: f64,
}

impl Spread {
    fn of(v: &mut [f64]) -> Self {
        Self {
            p25: quantile(v, 0.25),
            median: quantile(v, 0.5),
            p75: quantile(v, 0.75),
        }
    }
}

/// Median ns per call of each contender (with its quartiles), measured interleaved.
fn measure(f: &Fixture, rounds: usize) -> [Spread; CONTENDERS] {
    // Warm up and calibrate each contender's batch size.
    let mut iters = [0u64; CONTENDERS];
    for (w, it) in iters.iter_mut().enumerate() {
        assert!(call(f, w), "{} must accept its token (n={})", NAMES[w], f.n);
        let mut k = 16;
        loop {
            let t = batch(f, w, k);
            if t > BATCH_NS / 4 || k > 1 << 24 {
                *it = (k * BATCH_NS / t.max(1)).max(1);
                break;
            }
            k *= 2;
        }
    }
    let mut samples: Vec<Vec<f64>> = (0..CONTENDERS)
        .map(|_| Vec::with_capacity(rounds))
        .collect();
    for round in 0..rounds {
        for j in 0..CONTENDERS {
            let w = (round + j) % CONTENDERS;
            samples[w].push(batch(f, w, iters[w]) as f64 / iters[w] as f64);
        }
    }
    let mut out = [Spread::default(); CONTENDERS];
    for (o, s) in out.iter_mut().zip(samples.iter_mut()) {
        *o = Spread::of(s);
    }
    out
}

/// The machine line: CPU model (name, family and model numbers), SHA extensions, cores, the load
/// average, and the median ns of one SHA-256 compression (`compress256` on one block, as `sha2`
/// runs it here).
fn machine_line() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find_map(|l| {
                let (key, value) = l.split_once(':')?;
                (key.trim() == name).then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned())
    };
    let (model, family, number) = (field("model name"), field("cpu family"), field("model"));
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    #[cfg(target_arch = "x86_64")]
    let sha = if std::arch::is_x86_feature_detected!("sha") {
        "on"
    } else {
        "off"
    };
    #[cfg(not(target_arch = "x86_64"))]
    let sha = "n/a";
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut state = IV;
    let block = [[0x5au8; 64]];
    let iters = 20_000u64;
    let mut samples: Vec<f64> = (0..41)
        .map(|_| {
            let start = thread_cpu_ns();
            for _ in 0..iters {
                compress256(black_box(&mut state), black_box(&block));
            }
            (thread_cpu_ns() - start) as f64 / iters as f64
        })
        .collect();
    black_box(state);
    let ns = quantile(&mut samples, 0.5);
    format!(
        "MACHINE cpu=\"{model}\" family={family} model={number} sha-ni={sha} cores={cores} \
         load={load} compression-ns={ns:.1}"
    )
}

fn thousands(ns: f64) -> String {
    let n = ns.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn allocs_text(a: f64) -> String {
    if (a - a.round()).abs() < 0.005 {
        format!("{}", a.round() as u64)
    } else {
        format!("{a:.2}")
    }
}

fn main() {
    println!("{}", machine_line());
    let rounds: usize = std::env::var("COMPARE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(301);
    // `COMPARE_PROFILE=verify` (or another contender's name) runs that one alone (at n=20, or
    // `COMPARE_N`) for
    // a few seconds, for a profiler to watch; nothing is printed.
    if let Ok(name) = std::env::var("COMPARE_PROFILE") {
        let w = NAMES
            .iter()
            .position(|&x| x == name)
            .expect("a contender's name");
        let n = std::env::var("COMPARE_N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(20);
        let f = Fixture::new(n);
        let start = thread_cpu_ns();
        while thread_cpu_ns() - start < 3_000_000_000 {
            batch(&f, w, 10_000);
        }
        return;
    }
    let ns_values = [1usize, 5, 20];
    let mut times = Vec::new();
    let mut allocs = Vec::new();
    for &n in &ns_values {
        let f = Fixture::new(n);
        eprintln!(
            "n={n}: token {} chars, macaroon {} chars, jwt {} chars; {rounds} rounds",
            f.text.len(),
            f.macaroon_text.len(),
            f.jwt_text.len()
        );
        let mut a = [0.0; CONTENDERS];
        for (w, slot) in a.iter_mut().enumerate() {
            *slot = allocations_per_call(1000, &mut || call(&f, w));
        }
        allocs.push(a);
        times.push(measure(&f, rounds));
    }

    println!(
        "ns per verification: median (p25–p75) of {rounds} interleaved rounds, thread CPU time"
    );
    println!();
    println!("| | n=1 | n=5 | n=20 | allocations (n=5) |");
    println!("|---|---|---|---|---|");
    let cell = |s: &Spread| {
        format!(
            "{} ({}–{})",
            thousands(s.median),
            thousands(s.p25),
            thousands(s.p75)
        )
    };
    for w in 0..CONTENDERS {
        println!(
            "| {} | {} | {} | {} | {} |",
            LABELS[w],
            cell(&times[0][w]),
            cell(&times[1][w]),
            cell(&times[2][w]),
            // The C library allocates with libc's malloc, which the counting allocator of
            // this (Rust) program does not see.
            if NAMES[w] == "libmacaroons" {
                "not counted (C malloc)".to_owned()
            } else {
                allocs_text(allocs[1][w])
            },
        );
    }
    println!();
    // Each ratio for n = 1, 5, 20: (name, numerator row, denominator row).
    for (what, num, den) in [
        ("verify/floor", 0, 1),
        ("verify/physical", 0, 2),
        ("macaroon/verify", 3, 0),
        ("libmacaroons/verify", 6, 0),
        ("jwt/verify", 4, 0),
        ("verify/cached", 0, 5),
    ] {
        for (n, t) in ns_values.iter().zip(&times) {
            println!("RATIO {what} n={n} {:.2}", t[num].median / t[den].median);
        }
    }
    for (n, a) in ns_values.iter().zip(&allocs) {
        println!("ALLOCS verify n={n} {}", allocs_text(a[0]));
    }
    throughput::report(&Fixture::new(5));
}
