//! The workloads whose instruction counts the CI gate compares (see `run.sh` in this directory).
//! (Not named `main.rs`: Cargo would take `benches/*/main.rs` for a bench of the root package.)
//!
//! `instructions CASE ITERS` builds the fixture for CASE, runs it once outside the measured
//! region (so one-time initialisation is not counted), then calls [`measured_region`] which runs
//! the case ITERS times. `run.sh` runs this binary under callgrind with
//! `--collect-atstart=no --toggle-collect='*::measured_region'`, so only the instructions
//! executed inside that function (and its callees) are counted.
//!
//! Every input is fixed (the same root key, identifier, caveats and verification time), so the
//! count is the same on every run on the same toolchain and CPU feature set.

use std::hint::black_box;
use std::net::IpAddr;

use caveat_token::{
    Caveat, Context, Identifier, KeyRing, Limits, Persistence, RootKey, Subject, Token, TokenType,
    VerificationCache, Verifier,
};

const ROOT_SECRET: &[u8; 32] = b"an example root key of 32 bytes!";
const KEY_ID: &str = "2026-11";
const ACTION: &str = "example.com/action";
const ORG: &str = "example.com/org";
/// The fixed "now" of every fixture (2026-12-01T00:00:00Z).
const NOW: u64 = 1_796_083_200;

/// The i-th caveat: the same mix of time, ip and application caveats as benches/compare.
fn caveat(i: usize) -> Caveat {
    match i % 4 {
        0 => Caveat::time(NOW + 3600 + i as u64),
        1 => Caveat::from_json_str(r#"{"type":"ip","whitelist":["10.0.0.0/8","192.168.0.0/16"]}"#)
            .expect("ip caveat"),
        2 => Caveat::from_text(&format!("{ACTION} = read")).expect("app caveat"),
        _ => Caveat::from_text(&format!("{ORG} = acme")).expect("app caveat"),
    }
}

struct Fixture {
    key: RootKey,
    identifier: Identifier<'static>,
    caveats: Vec<Caveat>,
    keys: KeyRing,
    verifier: Verifier,
    ctx: Context,
    text: String,
}

impl Fixture {
    fn new(n: usize) -> Self {
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
        let caveats: Vec<Caveat> = (0..n).map(caveat).collect();
        let text = Token::mint(&key, &identifier, &caveats)
            .expect("mint")
            .to_text();
        let has = |name: &'static str| {
            move |value: &str, ctx: &Context| ctx.attribute(name) == Some(value)
        };
        let verifier = Verifier::new()
            .with_predicate(ACTION, has(ACTION))
            .with_predicate(ORG, has(ORG));
        let client: IpAddr = "10.1.2.3".parse().expect("ip");
        let ctx = Context::at(NOW + 60)
            .with_ip(client)
            .with_attribute(ACTION, "read")
            .with_attribute(ORG, "acme");
        Self {
            key,
            identifier,
            caveats,
            keys,
            verifier,
            ctx,
            text,
        }
    }
}

/// Runs `f` `iters` times; the only function whose instructions callgrind counts.
#[inline(never)]
pub fn measured_region(iters: u64, f: &mut dyn FnMut() -> bool) -> u64 {
    let mut ok = 0;
    for _ in 0..iters {
        ok += u64::from(black_box(f()));
    }
    ok
}

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| usage());
    let iters: u64 = args
        .next()
        .and_then(|i| i.parse().ok())
        .unwrap_or_else(|| usage());
    let (what, n) = case.split_once(':').unwrap_or_else(|| usage());
    let n: usize = n.parse().unwrap_or_else(|_| usage());
    let fx = Fixture::new(n);
    let limits = Limits::default();
    let cache = VerificationCache::new(fx.verifier.clone(), 1024);
    let mut f: Box<dyn FnMut() -> bool + '_> = match what {
        "verify" => Box::new(|| {
            fx.verifier
                .verify_text(black_box(&fx.text), &fx.keys, &fx.ctx)
                .is_ok()
        }),
        "cached" => Box::new(|| {
            cache
                .verify_text(black_box(&fx.text), &fx.keys, &fx.ctx)
                .is_ok()
        }),
        "decode" => Box::new(|| Token::from_text(black_box(&fx.text), &limits).is_ok()),
        "mint" => Box::new(|| {
            Token::mint(&fx.key, black_box(&fx.identifier), black_box(&fx.caveats))
                .map(|t| t.to_text())
                .is_ok()
        }),
        _ => usage(),
    };
    // Once outside the region: lazy initialisation and the cache's first (missing) entry.
    assert!(f(), "{case} must succeed");
    let ok = measured_region(iters, &mut *f);
    assert_eq!(ok, iters, "{case} must succeed every time");
}

fn usage() -> ! {
    eprintln!("usage: instructions (verify|cached|decode|mint):N ITERS");
    std::process::exit(2)
}
