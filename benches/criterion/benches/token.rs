//! Criterion benchmarks of every step a token goes through, for tokens of n = 1, 5 and 20
//! first-party caveats (time, ip and application caveats, each within one SHA-256 block).
//! Throughput is reported in elements: verifications (or decodes, mints, …) per second.
//!
//! ```sh
//! cargo bench -p caveat-token-benches                 # all of them
//! cargo bench -p caveat-token-benches -- verify_text  # one group
//! ```
//!
//! For the comparison with the HMAC floor and with other token libraries, see
//! `benches/compare/` (a package of its own).

use std::hint::black_box;
use std::net::IpAddr;

use caveat_token::VerificationCache;
use caveat_token::{
    hazmat as chain, Caveat, Context, Identifier, InviteType, KeyRing, Limits, Persistence,
    RootKey, Subject, Token, TokenType, Verifier,
};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};

const NOW: u64 = 1_700_000_000;
const SIZES: [usize; 3] = [1, 5, 20];

/// The i-th caveat of a benchmark token: time, ip, then two application caveats, repeating.
fn caveat(i: usize) -> Caveat {
    match i % 4 {
        0 => Caveat::time(NOW + 3600 + i as u64),
        1 => Caveat::from_json_str(r#"{"type":"ip","whitelist":["10.0.0.0/8","192.168.0.0/16"]}"#)
            .expect("ip caveat"),
        2 => Caveat::from_text("example.com/action = read").expect("app caveat"),
        _ => Caveat::from_text("example.com/org = acme").expect("app caveat"),
    }
}

struct Fixture {
    key: RootKey,
    keys: KeyRing,
    verifier: Verifier,
    ctx: Context,
    identifier: Identifier<'static>,
    caveats: Vec<Caveat>,
    token: Token,
    text: String,
}

fn fixture(n: usize) -> Fixture {
    let key = RootKey::from_bytes(b"an example root key of 32 bytes!").expect("key");
    let mut keys = KeyRing::new();
    keys.insert("2026-11", key.clone());
    let identifier = Identifier {
        location: "auth.example.com".into(),
        key_id: Some("2026-11".into()),
        token_id: "tok-0001".into(),
        subject: Subject::User("alice".into()),
        token_type: TokenType::Access { session: None },
        persistence: Persistence::Temporary { generation: 1 },
    };
    let caveats: Vec<Caveat> = (0..n).map(caveat).collect();
    let token = Token::mint(&key, &identifier, &caveats).expect("mint");
    let text = token.to_text();
    let attribute =
        |name: &'static str| move |v: &str, ctx: &Context| ctx.attribute(name) == Some(v);
    let verifier = Verifier::new()
        .with_predicate("example.com/action", attribute("example.com/action"))
        .with_predicate("example.com/org", attribute("example.com/org"));
    let client: IpAddr = "10.1.2.3".parse().expect("ip");
    let ctx = Context::at(NOW + 60)
        .with_ip(client)
        .with_attribute("example.com/action", "read")
        .with_attribute("example.com/org", "acme");
    assert!(verifier.verify_text(&text, &keys, &ctx).is_ok());
    Fixture {
        key,
        keys,
        verifier,
        ctx,
        identifier,
        caveats,
        token,
        text,
    }
}

fn verify(c: &mut Criterion) {
    let mut text = c.benchmark_group("verify_text");
    text.throughput(Throughput::Elements(1));
    for n in SIZES {
        let f = fixture(n);
        text.bench_with_input(BenchmarkId::from_parameter(n), &f, |b, f| {
            b.iter(|| f.verifier.verify_text(black_box(&f.text), &f.keys, &f.ctx));
        });
    }
    text.finish();

    let mut decoded = c.benchmark_group("verify_decoded");
    decoded.throughput(Throughput::Elements(1));
    for n in SIZES {
        let f = fixture(n);
        decoded.bench_with_input(BenchmarkId::from_parameter(n), &f, |b, f| {
            b.iter_batched(
                || f.token.clone(),
                |token| f.verifier.verify(token, &f.keys, &f.ctx),
                BatchSize::SmallInput,
            );
        });
    }
    decoded.finish();

    let mut cached = c.benchmark_group("verify_cached");
    cached.throughput(Throughput::Elements(1));
    for n in SIZES {
        let f = fixture(n);
        let cache = VerificationCache::new(f.verifier.clone(), 1024);
        cached.bench_with_input(BenchmarkId::from_parameter(n), &f, |b, f| {
            b.iter(|| cache.verify_text(black_box(&f.text), &f.keys, &f.ctx));
        });
    }
    cached.finish();

    let mut chain_only = c.benchmark_group("chain");
    chain_only.throughput(Throughput::Elements(1));
    for n in SIZES {
        let f = fixture(n);
        let tag = f.token.tag();
        chain_only.bench_with_input(BenchmarkId::from_parameter(n), &f, |b, f| {
            b.iter(|| {
                chain::verify(
                    &f.key,
                    black_box(f.token.identifier_bytes()),
                    f.token.caveat_bytes(),
                    tag.as_bytes(),
                )
            });
        });
    }
    chain_only.finish();
}

fn codec(c: &mut Criterion) {
    let limits = Limits::default();
    let mut decode = c.benchmark_group("decode");
    decode.throughput(Throughput::Elements(1));
    for n in SIZES {
        let f = fixture(n);
        decode.bench_with_input(BenchmarkId::from_parameter(n), &f, |b, f| {
            b.iter(|| Token::from_text(black_box(&f.text), &limits));
        });
    }
    decode.finish();

    let mut encode = c.benchmark_group("encode");
    encode.throughput(Throughput::Elements(1));
    for n in SIZES {
        let f = fixture(n);
        encode.bench_with_input(BenchmarkId::from_parameter(n), &f, |b, f| {
            b.iter(|| black_box(&f.token).to_text());
        });
    }
    encode.finish();
}

fn build(c: &mut Criterion) {
    let mut mint = c.benchmark_group("mint");
    mint.throughput(Throughput::Elements(1));
    for n in SIZES {
        let f = fixture(n);
        mint.bench_with_input(BenchmarkId::from_parameter(n), &f, |b, f| {
            b.iter(|| Token::mint(&f.key, black_box(&f.identifier), &f.caveats));
        });
    }
    mint.finish();

    let mut attenuate = c.benchmark_group("attenuate");
    attenuate.throughput(Throughput::Elements(1));
    for n in SIZES {
        let f = fixture(n);
        let extra = Caveat::time(NOW + 60);
        attenuate.bench_with_input(BenchmarkId::from_parameter(n), &f, |b, f| {
            b.iter(|| black_box(&f.token).attenuate(&extra));
        });
    }
    attenuate.finish();
}

fn caveat_checks(c: &mut Criterion) {
    let f = fixture(1);
    let invite = Caveat::from_json_str(
        r#"{"type":"inviteType","whitelist":["userJoinGroup","userJoinCluster"]}"#,
    )
    .expect("invite type caveat");
    let ctx = f.ctx.clone().with_invite_type(InviteType::UserJoinCluster);
    let cases = [
        ("time", caveat(0)),
        ("ip", caveat(1)),
        ("app", caveat(2)),
        ("inviteType", invite),
    ];
    let mut group = c.benchmark_group("caveat_check");
    group.throughput(Throughput::Elements(1));
    for (name, cav) in &cases {
        assert!(
            f.verifier.check_caveat(0, cav, &ctx).is_ok(),
            "{name} holds"
        );
        group.bench_with_input(BenchmarkId::from_parameter(name), cav, |b, cav| {
            b.iter(|| f.verifier.check_caveat(0, black_box(cav), &ctx));
        });
    }
    group.finish();
}

criterion_group!(benches, verify, codec, build, caveat_checks);
criterion_main!(benches);
