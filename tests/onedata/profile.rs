//! The Onedata profile's rules through the public API: token type expectations, named and temporary token
//! revocation, the issuance policy, and the exchange helper (with a property test that an
//! exchanged token never allows more than its original).

use std::net::IpAddr;
use std::sync::Arc;

use caveat_token::caveat::{Gri, Interface, Operation, Service, ServiceKind};
use caveat_token::GroupTable;
use caveat_token::DEFAULT_MAX_TTL;
use caveat_token::{
    Caveat, Context, Error, Exchange, Expect, Format, Identifier, InviteType, IssuancePolicy,
    Limits, Persistence, RootKey, Subject, Token, TokenType, VerifiedToken, Verifier,
};
use caveat_token::{
    FixedGeneration, GenerationSource, Generations, NamedStatus, NamedTokens, RevocationSource,
    RevokedList,
};
use caveat_token::{GeoInfo, GeoTable, Region};
use proptest::prelude::*;

const NOW: u64 = 1_700_000_000;

fn key() -> RootKey {
    RootKey::from_bytes(b"onedata profile").expect("key")
}

fn alice() -> Subject<'static> {
    Subject::User("alice".into())
}

fn id(
    token_id: &'static str,
    token_type: TokenType<'static>,
    persistence: Persistence,
) -> Identifier<'static> {
    Identifier {
        location: "zone.example.com".into(),
        key_id: None,
        token_id: token_id.into(),
        subject: alice(),
        token_type,
        persistence,
    }
}

fn access() -> TokenType<'static> {
    TokenType::Access { session: None }
}

fn invite(t: InviteType) -> TokenType<'static> {
    TokenType::Invite {
        invite_type: t,
        target: "target1".into(),
        params: "".into(),
    }
}

fn mint(format: Format, identifier: &Identifier<'_>, caveats: &[Caveat]) -> Token {
    Token::mint_as(format, &key(), identifier, caveats).expect("mint")
}

fn verify(verifier: &Verifier, token: &Token, ctx: &Context) -> Result<VerifiedToken, Error> {
    let decoded = Token::from_text(&token.to_text(), &Limits::default()).expect("decode");
    verifier.verify(decoded, &key(), ctx)
}

// ---------------------------------------------------------------------------------------------
// Token types and expectations

#[test]
fn expectations_accept_the_right_type_and_name_the_wrong_one() {
    let v = Verifier::new();
    let types = [
        access(),
        TokenType::Access {
            session: Some("s1".into()),
        },
        TokenType::Identity,
        invite(InviteType::UserJoinSpace),
        invite(InviteType::RegisterOneprovider),
    ];
    for format in Format::ALL {
        for ty in &types {
            let token = mint(*format, &id("t1", ty.clone(), Persistence::Named), &[]);
            for expect in [
                Expect::Access,
                Expect::Identity,
                Expect::Invite(None),
                Expect::Invite(Some(InviteType::UserJoinSpace)),
            ] {
                let result = verify(&v, &token, &Context::at(NOW).expecting(expect));
                let fits = match (expect, ty) {
                    (Expect::Access, TokenType::Access { .. })
                    | (Expect::Identity, TokenType::Identity)
                    | (Expect::Invite(None), TokenType::Invite { .. }) => true,
                    (Expect::Invite(Some(a)), TokenType::Invite { invite_type, .. }) => {
                        a == *invite_type
                    }
                    _ => false,
                };
                match result {
                    Ok(ok) => {
                        assert!(fits, "{expect:?} accepted {ty:?}");
                        assert_eq!(&ok.identifier().token_type, ty);
                    }
                    Err(e) => {
                        assert!(!fits, "{expect:?} refused {ty:?}: {e}");
                        let want = match expect {
                            Expect::Access => "notAnAccessToken",
                            Expect::Identity => "notAnIdentityToken",
                            Expect::Invite(_) => "notAnInviteToken",
                            other => panic!("an expectation this test does not know: {other:?}"),
                        };
                        assert_eq!(e.id(), want);
                        assert_eq!(e.details()["received"], ty.to_json());
                    }
                }
            }
            // No expectation: any type.
            verify(&v, &token, &Context::at(NOW)).expect("any type");
        }
    }
}

#[test]
fn not_an_invite_token_names_the_expected_invite_type() {
    let token = mint(
        Format::Onedata,
        &id("t1", invite(InviteType::GroupJoinSpace), Persistence::Named),
        &[],
    );
    let ctx = Context::at(NOW).expecting(Expect::Invite(Some(InviteType::UserJoinSpace)));
    let err = verify(&Verifier::new(), &token, &ctx).expect_err("other invite type");
    assert_eq!(err.id(), "notAnInviteToken");
    assert_eq!(err.details()["expectedInviteType"], "userJoinSpace");
    assert_eq!(
        err.details()["received"],
        serde_json::json!({"inviteToken": {"inviteType": "groupJoinSpace", "spaceId": "target1"}})
    );
    let access_token = mint(
        Format::Onedata,
        &id("t1", access(), Persistence::Named),
        &[],
    );
    let err = verify(
        &Verifier::new(),
        &access_token,
        &Context::at(NOW).expecting(Expect::Invite(None)),
    )
    .expect_err("not an invite");
    assert_eq!(err.details()["expectedInviteType"], serde_json::Value::Null);
    assert_eq!(
        err.details()["received"],
        serde_json::json!({"accessToken": {}})
    );
}

#[test]
fn expect_parses_the_cli_forms() {
    assert_eq!(Expect::parse("access").expect("a"), Expect::Access);
    assert_eq!(Expect::parse("identity").expect("i"), Expect::Identity);
    assert_eq!(Expect::parse("invite").expect("i"), Expect::Invite(None));
    assert_eq!(
        Expect::parse("invite:userJoinCluster").expect("i"),
        Expect::Invite(Some(InviteType::UserJoinCluster))
    );
    assert_eq!(
        Expect::parse("invite:nope").expect_err("bad").id(),
        "badValueInviteType"
    );
    assert_eq!(
        Expect::parse("refresh").expect_err("bad").id(),
        "badValueTokenType"
    );
}

// ---------------------------------------------------------------------------------------------
// Revocation

#[test]
fn named_tokens_are_revoked_one_by_one() {
    let registry = Arc::new(NamedTokens::new());
    let v = Verifier::new().with_revocation_source(registry.clone());
    for format in Format::ALL {
        let t1 = mint(*format, &id("t1", access(), Persistence::Named), &[]);
        let t2 = mint(*format, &id("t2", access(), Persistence::Named), &[]);
        registry.issue("t1");
        registry.issue("t2");
        verify(&v, &t1, &Context::at(NOW)).expect("active");
        assert!(registry.revoke("t1"));
        assert_eq!(
            verify(&v, &t1, &Context::at(NOW))
                .expect_err("revoked")
                .id(),
            "tokenRevoked"
        );
        verify(&v, &t2, &Context::at(NOW)).expect("the other one is untouched");
        assert!(registry.reinstate("t1"));
        verify(&v, &t1, &Context::at(NOW)).expect("reinstated");
        assert!(registry.delete("t1"));
        assert_eq!(
            verify(&v, &t1, &Context::at(NOW))
                .expect_err("deleted")
                .id(),
            "tokenInvalid"
        );
        let never = mint(*format, &id("t9", access(), Persistence::Named), &[]);
        assert_eq!(
            verify(&v, &never, &Context::at(NOW))
                .expect_err("unknown")
                .id(),
            "tokenInvalid"
        );
        assert!(!registry.revoke("t9"));
        assert!(registry.delete("t2"));
    }
    assert_eq!(registry.named_status("t1"), NamedStatus::Unknown);
}

#[test]
fn a_deny_list_revokes_only_what_it_lists() {
    let list: RevokedList = ["t1"].into_iter().collect();
    let v = Verifier::new().with_revocation_source(Arc::new(list));
    let t1 = mint(
        Format::Onedata,
        &id("t1", access(), Persistence::Named),
        &[],
    );
    let t2 = mint(
        Format::Onedata,
        &id("t2", access(), Persistence::Named),
        &[],
    );
    assert_eq!(
        verify(&v, &t1, &Context::at(NOW)).expect_err("listed").id(),
        "tokenRevoked"
    );
    verify(&v, &t2, &Context::at(NOW)).expect("not listed");
    // Temporary tokens are not named: a deny-list does not touch them.
    let tmp = mint(
        Format::Onedata,
        &id("t1", access(), Persistence::Temporary { generation: 3 }),
        &[Caveat::time(NOW + 60)],
    );
    verify(&v, &tmp, &Context::at(NOW)).expect("temporary");
}

#[test]
fn temporary_tokens_are_revoked_by_generation() {
    let generations = Arc::new(Generations::new());
    let v = Verifier::new().with_generation_source(generations.clone());
    let at = |g| {
        mint(
            Format::Onedata,
            &id("t1", access(), Persistence::Temporary { generation: g }),
            &[Caveat::time(NOW + 60)],
        )
    };
    // Unknown subject: invalid.
    assert_eq!(
        verify(&v, &at(0), &Context::at(NOW))
            .expect_err("unknown")
            .id(),
        "tokenInvalid"
    );
    generations.set(&alice(), 5);
    verify(&v, &at(5), &Context::at(NOW)).expect("current generation");
    assert_eq!(
        verify(&v, &at(4), &Context::at(NOW))
            .expect_err("older")
            .id(),
        "tokenRevoked"
    );
    assert_eq!(
        verify(&v, &at(6), &Context::at(NOW))
            .expect_err("newer")
            .id(),
        "tokenInvalid"
    );
    // "Revoke all temporary tokens of alice".
    assert_eq!(generations.bump(&alice()), Some(6));
    assert_eq!(
        verify(&v, &at(5), &Context::at(NOW))
            .expect_err("bumped")
            .id(),
        "tokenRevoked"
    );
    verify(&v, &at(6), &Context::at(NOW)).expect("the new generation");
    // Another subject's generation is its own.
    let bob = Subject::User("bob".into());
    assert_eq!(generations.bump(&bob), Some(1));
    assert_eq!(generations.current_generation(&alice()), Some(6));
    generations.set(&alice(), u64::MAX);
    assert_eq!(generations.bump(&alice()), None);
    // Named tokens are not concerned.
    let named = mint(
        Format::Onedata,
        &id("t1", access(), Persistence::Named),
        &[],
    );
    verify(&v, &named, &Context::at(NOW)).expect("named");
    // A fixed generation for everybody.
    let fixed = Verifier::new().with_generation_source(Arc::new(FixedGeneration(6)));
    verify(&fixed, &at(6), &Context::at(NOW)).expect("fixed");
    assert_eq!(
        verify(&fixed, &at(2), &Context::at(NOW))
            .expect_err("old")
            .id(),
        "tokenRevoked"
    );
}

#[test]
fn checks_run_in_order_signature_type_revocation_caveats() {
    let list: RevokedList = ["t1"].into_iter().collect();
    let v = Verifier::new().with_revocation_source(Arc::new(list));
    let token = mint(
        Format::Onedata,
        &id("t1", TokenType::Identity, Persistence::Named),
        &[Caveat::time(NOW - 1)],
    );
    // Expired, revoked, of the wrong type, and signed with another key.
    let other = RootKey::from_bytes(b"other").expect("key");
    let ctx = Context::at(NOW).expecting(Expect::Access);
    assert_eq!(
        v.verify(token.clone(), &other, &ctx).expect_err("key").id(),
        "tokenInvalid"
    );
    assert_eq!(
        verify(&v, &token, &ctx).expect_err("type").id(),
        "notAnAccessToken"
    );
    let ctx = Context::at(NOW).expecting(Expect::Identity);
    assert_eq!(
        verify(&v, &token, &ctx).expect_err("revoked").id(),
        "tokenRevoked"
    );
    let fresh = Verifier::new();
    assert_eq!(
        verify(&fresh, &token, &ctx).expect_err("expired").id(),
        "tokenCaveatUnverified"
    );
}

// ---------------------------------------------------------------------------------------------
// Issuance policy

#[test]
fn temporary_tokens_need_a_bounded_time_caveat() {
    let policy = IssuancePolicy::new();
    assert_eq!(policy.max_ttl(), DEFAULT_MAX_TTL);
    assert_eq!(DEFAULT_MAX_TTL, 604_800);
    let tmp = id("t1", access(), Persistence::Temporary { generation: 1 });
    let required = |r: Result<Token, Error>, max: u64| {
        let e = r.expect_err("time caveat required");
        assert_eq!(e.id(), "tokenTimeCaveatRequired");
        assert_eq!(e.details()["maxTtl"], max);
    };
    for format in Format::ALL {
        let mint_with =
            |p: &IssuancePolicy, caveats: &[Caveat]| p.mint(*format, &key(), &tmp, caveats, NOW);
        required(mint_with(&policy, &[]), 604_800);
        required(
            mint_with(
                &policy,
                &[Caveat::from_text("ip = 10.0.0.0/8").expect("ip")],
            ),
            604_800,
        );
        required(mint_with(&policy, &[Caveat::time(NOW)]), 604_800);
        required(mint_with(&policy, &[Caveat::time(NOW - 5)]), 604_800);
        required(mint_with(&policy, &[Caveat::time(NOW + 604_801)]), 604_800);
        mint_with(&policy, &[Caveat::time(NOW + 1)]).expect("one second");
        let t = mint_with(&policy, &[Caveat::time(NOW + 604_800)]).expect("exactly the maximum");
        assert_eq!(t.format(), *format);
        // The earliest time caveat is the one that counts.
        mint_with(
            &policy,
            &[Caveat::time(NOW + 10_000_000), Caveat::time(NOW + 60)],
        )
        .expect("earliest within the maximum");
        required(
            mint_with(&policy, &[Caveat::time(NOW + 60), Caveat::time(NOW - 1)]),
            604_800,
        );
        // Spotinst's two hours.
        let spotinst = IssuancePolicy::new().with_max_ttl(7200);
        required(mint_with(&spotinst, &[Caveat::time(NOW + 7201)]), 7200);
        mint_with(&spotinst, &[Caveat::time(NOW + 7200)]).expect("two hours");
    }
    // Named tokens live until revoked: no time caveat needed.
    let named = id("t1", access(), Persistence::Named);
    policy
        .mint(Format::Native, &key(), &named, &[], NOW)
        .expect("named");
}

// ---------------------------------------------------------------------------------------------
// Exchange

fn exchange_request(ttl: u64) -> Exchange<'static> {
    Exchange {
        token_id: "derived1",
        current_generation: 4,
        now: NOW,
        ttl,
    }
}

#[test]
fn an_api_key_is_exchanged_for_a_short_lived_access_token() {
    let policy = IssuancePolicy::new().with_max_ttl(3600);
    let registry = Arc::new(NamedTokens::new());
    registry.issue("apikey1");
    let v = Verifier::new()
        .with_revocation_source(registry.clone())
        .with_generation_source(Arc::new(FixedGeneration(4)));
    for format in Format::ALL {
        let session = TokenType::Access {
            session: Some("sess1".into()),
        };
        let api_key = mint(
            *format,
            &id("apikey1", session.clone(), Persistence::Named),
            &[
                Caveat::from_text("ip = 10.0.0.0/8").expect("ip"),
                Caveat::from_text("interface = rest").expect("interface"),
            ],
        );
        let ctx = Context::at(NOW)
            .with_ip("10.1.1.1".parse().expect("ip"))
            .with_interface(Interface::Rest)
            .expecting(Expect::Access);
        let verified = verify(&v, &api_key, &ctx).expect("api key verifies");
        let derived = policy
            .exchange(&verified, &key(), &exchange_request(3600))
            .expect("exchange");
        assert_eq!(derived.format(), *format);
        let did = derived.untrusted_identifier().expect("id");
        assert_eq!(did.token_id, "derived1");
        assert_eq!(did.persistence, Persistence::Temporary { generation: 4 });
        assert_eq!(did.token_type, session);
        assert_eq!(did.subject, alice());
        // Every caveat of the original, byte for byte, then the new time caveat.
        let original: Vec<&[u8]> = api_key.caveat_bytes().collect();
        let copied: Vec<&[u8]> = derived.caveat_bytes().take(original.len()).collect();
        assert_eq!(copied, original);
        assert_eq!(
            derived
                .untrusted_caveats()
                .last()
                .expect("one more")
                .expect("caveat"),
            Caveat::time(NOW + 3600)
        );
        let ok = verify(&v, &derived, &ctx).expect("derived verifies");
        assert_eq!(ok.expires(), Some(NOW + 3600));
        // And expires, and keeps the original's restrictions.
        let later = Context::at(NOW + 3600)
            .with_ip("10.1.1.1".parse().expect("ip"))
            .with_interface(Interface::Rest);
        assert_eq!(
            verify(&v, &derived, &later).expect_err("expired").id(),
            "tokenCaveatUnverified"
        );
        let outside = Context::at(NOW).with_interface(Interface::Rest);
        assert_eq!(
            verify(&v, &derived, &outside).expect_err("no ip").id(),
            "tokenCaveatUnverified"
        );
        // Revoking the API key does not reach tokens already derived (they are temporary),
        // but bumping the generation does.
        let bumped = Verifier::new().with_generation_source(Arc::new(FixedGeneration(5)));
        assert_eq!(
            verify(&bumped, &derived, &ctx).expect_err("bumped").id(),
            "tokenRevoked"
        );
    }
}

#[test]
fn exchange_refuses_what_it_must() {
    let policy = IssuancePolicy::new().with_max_ttl(3600);
    let v = Verifier::new();
    let verified = |ty: TokenType<'static>, p: Persistence, caveats: &[Caveat]| {
        verify(
            &v,
            &mint(Format::Onedata, &id("orig", ty, p), caveats),
            &Context::at(NOW),
        )
        .expect("verifies")
    };
    let named = verified(access(), Persistence::Named, &[]);
    let err = |r: Result<Token, Error>| r.expect_err("refused").id();
    assert_eq!(
        err(policy.exchange(&named, &key(), &exchange_request(0))),
        "tokenTimeCaveatRequired"
    );
    assert_eq!(
        err(policy.exchange(&named, &key(), &exchange_request(3601))),
        "tokenTimeCaveatRequired"
    );
    let overflow = Exchange {
        now: u64::MAX,
        ..exchange_request(10)
    };
    assert_eq!(
        err(policy.exchange(&named, &key(), &overflow)),
        "tokenTimeCaveatRequired"
    );
    let bad_id = Exchange {
        token_id: "bad id",
        ..exchange_request(10)
    };
    assert_eq!(
        err(policy.exchange(&named, &key(), &bad_id)),
        "badValueIdentifier"
    );
    // Only access tokens are credentials.
    let identity = verified(TokenType::Identity, Persistence::Named, &[]);
    let e = policy
        .exchange(&identity, &key(), &exchange_request(60))
        .expect_err("identity");
    assert_eq!(e.id(), "notAnAccessToken");
    assert_eq!(
        e.details()["received"],
        serde_json::json!({"identityToken": {}})
    );
    let inv = verified(invite(InviteType::UserJoinGroup), Persistence::Named, &[]);
    assert_eq!(
        err(policy.exchange(&inv, &key(), &exchange_request(60))),
        "notAnAccessToken"
    );
    // A refresh token of a past generation is revoked; of a future one, invalid.
    let refresh = |g| {
        verified(
            access(),
            Persistence::Temporary { generation: g },
            &[Caveat::time(NOW + 100)],
        )
    };
    policy
        .exchange(&refresh(4), &key(), &exchange_request(60))
        .expect("current generation");
    assert_eq!(
        err(policy.exchange(&refresh(3), &key(), &exchange_request(60))),
        "tokenRevoked"
    );
    assert_eq!(
        err(policy.exchange(&refresh(5), &key(), &exchange_request(60))),
        "tokenInvalid"
    );
    // An original that expires before the new caveat still bounds the derived token.
    let short = verified(access(), Persistence::Named, &[Caveat::time(NOW + 10)]);
    let derived = policy
        .exchange(&short, &key(), &exchange_request(3600))
        .expect("exchange");
    let ok = verify(&v, &derived, &Context::at(NOW)).expect("verifies");
    assert_eq!(ok.expires(), Some(NOW + 10));
}

// ---------------------------------------------------------------------------------------------
// Non-widening, as a property

fn geo() -> GeoTable {
    let info = |asn, country: &str, regions: Vec<Region>| GeoInfo {
        asn: Some(asn),
        country: Some(country.into()),
        regions,
    };
    GeoTable::new()
        .with(
            "10.0.0.0/8".parse().expect("net"),
            info(322, "PL", vec![Region::Europe, Region::Eu]),
        )
        .with(
            "20.0.0.0/8".parse().expect("net"),
            info(7, "US", vec![Region::NorthAmerica]),
        )
        .with(
            "10.200.0.0/16".parse().expect("net"),
            info(9, "NO", vec![Region::Europe]),
        )
}

const IPS: &[Option<&str>] = &[
    None,
    Some("10.1.2.3"),
    Some("20.1.1.1"),
    Some("10.200.0.1"),
    Some("30.0.0.1"),
];
const SERVICES: &[Option<&str>] = &[None, Some("ozw-onezone"), Some("opw-p1"), Some("opw-p2")];
const CONSUMERS: &[Option<&str>] = &[None, Some("usr-bob"), Some("usr-alice"), Some("prv-p1")];
const INTERFACES: &[Option<Interface>] = &[None, Some(Interface::Rest), Some(Interface::Graphsync)];
const INVITES: &[Option<InviteType>] = &[None, Some(InviteType::UserJoinSpace)];
const ATTRS: &[&str] = &["1", "2"];

/// Caveats from small pools, so that contexts often satisfy them.
fn caveat_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..3000).prop_map(|d| format!("time < {}", NOW + d)),
        prop::sample::select(vec![
            "10.0.0.0/8",
            "20.0.0.0/8",
            "10.200.0.0/16",
            "10.0.0.0/8|20.0.0.0/8"
        ])
        .prop_map(|n| format!("ip = {n}")),
        prop::sample::select(vec!["322", "7", "9|7"]).prop_map(|a| format!("asn = {a}")),
        (
            prop::bool::ANY,
            prop::sample::select(vec!["PL", "US", "NO|PL"])
        )
            .prop_map(|(w, c)| { format!("geo.country {} {c}", if w { "=" } else { "!=" }) }),
        (
            prop::bool::ANY,
            prop::sample::select(vec!["EU", "Europe", "NorthAmerica|Asia"])
        )
            .prop_map(|(w, r)| format!("geo.region {} {r}", if w { "=" } else { "!=" })),
        prop::sample::select(vec!["ozw-onezone", "opw-*", "opw-p1", "ozw-onezone|opw-p2"])
            .prop_map(|s| format!("service = {s}")),
        prop::sample::select(vec![
            "usr-bob",
            "usr-*",
            "grp-admins",
            "prv-*",
            "usr-bob|prv-p1"
        ])
        .prop_map(|c| format!("consumer = {c}")),
        prop::sample::select(vec!["rest", "graphsync"]).prop_map(|i| format!("interface = {i}")),
        prop::sample::select(vec![
            "all/all/*.*.*:*",
            "ozw/get/*.*.*:*",
            "all/all/space.s1.*:*|opw/all/file.*.*:*",
        ])
        .prop_map(|a| format!("api = {a}")),
        Just("data.readonly".to_owned()),
        prop::sample::select(vec!["L3Mx", "L3MxL2Rpcg==", "L3My"])
            .prop_map(|p| format!("data.path = {p}")),
        Just("inviteType = userJoinSpace".to_owned()),
        prop::sample::select(vec!["1", "2"]).prop_map(|x| format!("example.com/x = {x}")),
    ]
}

#[derive(Debug, Clone)]
struct Ctx {
    now: u64,
    ip: usize,
    service: usize,
    consumer: usize,
    interface: usize,
    invite: usize,
    attr: usize,
}

fn ctx_strategy() -> impl Strategy<Value = Ctx> {
    (
        0u64..3200,
        0..IPS.len(),
        0..SERVICES.len(),
        0..CONSUMERS.len(),
        0..INTERFACES.len(),
        0..INVITES.len(),
        0..ATTRS.len(),
    )
        .prop_map(|(d, ip, service, consumer, interface, invite, attr)| Ctx {
            now: NOW - 100 + d,
            ip,
            service,
            consumer,
            interface,
            invite,
            attr,
        })
}

fn build(c: &Ctx) -> Context {
    let mut ctx = Context::at(c.now).with_attribute("example.com/x", ATTRS[c.attr]);
    ctx = ctx.with_ip_opt(IPS[c.ip].map(|s| s.parse::<IpAddr>().expect("ip")));
    ctx = ctx.with_service_opt(SERVICES[c.service].map(|s| Service::parse(s).expect("service")));
    if let Some(consumer) = CONSUMERS[c.consumer] {
        ctx = ctx.with_consumer(Subject::parse(consumer).expect("subject"));
    }
    ctx = ctx.with_interface_opt(INTERFACES[c.interface]);
    ctx = ctx.with_invite_type_opt(INVITES[c.invite]);
    ctx
}

/// Sets one field of a [`Ctx`] to the candidate with the given index.
type SetField = fn(&mut Ctx, usize);

/// A context (at `now`) in which every caveat holds, found field by field (each kind depends
/// on one field of the context only), if there is one.
fn satisfying(verifier: &Verifier, caveats: &[Caveat], now: u64) -> Option<Context> {
    let holds = |ctx: &Context| {
        caveats
            .iter()
            .enumerate()
            .all(|(i, c)| verifier.check_caveat(i, c, ctx).is_ok())
    };
    let mut best = Ctx {
        now,
        ip: 0,
        service: 0,
        consumer: 0,
        interface: 0,
        invite: 0,
        attr: 0,
    };
    let fields: [(usize, SetField); 6] = [
        (IPS.len(), |c, i| c.ip = i),
        (SERVICES.len(), |c, i| c.service = i),
        (CONSUMERS.len(), |c, i| c.consumer = i),
        (INTERFACES.len(), |c, i| c.interface = i),
        (INVITES.len(), |c, i| c.invite = i),
        (ATTRS.len(), |c, i| c.attr = i),
    ];
    // Fill every field with a value under which no more caveats fail than necessary: as each
    // caveat reads one field, choosing per field independently finds a full solution if any.
    let failing = |ctx: &Context| {
        caveats
            .iter()
            .enumerate()
            .filter(|(i, c)| verifier.check_caveat(*i, c, ctx).is_err())
            .count()
    };
    for (n, set) in fields {
        let mut choice = 0;
        let mut least = usize::MAX;
        for i in 0..n {
            let mut candidate = best.clone();
            set(&mut candidate, i);
            let f = failing(&build(&candidate));
            if f < least {
                least = f;
                choice = i;
            }
        }
        set(&mut best, choice);
    }
    let ctx = build(&best);
    holds(&ctx).then_some(ctx)
}

fn property_verifier(allow_data: bool) -> (Verifier, Arc<NamedTokens>) {
    let mut groups = GroupTable::new();
    groups.add("admins", &Subject::User("alice".into()));
    let registry = Arc::new(NamedTokens::new());
    registry.issue("apikey");
    let v = Verifier::new()
        .with_geo_source(Arc::new(geo()))
        .with_group_membership(Arc::new(groups))
        .with_data_access_caveats(allow_data)
        .with_predicate("example.com/x", |value, ctx| {
            ctx.attribute("example.com/x") == Some(value)
        })
        .with_revocation_source(registry.clone())
        .with_generation_source(Arc::new(FixedGeneration(4)));
    (v, registry)
}

const GRIS: &[&str] = &[
    "space.s1.instance:private",
    "file.f1.content:private",
    "user.u1.instance:protected",
];
const PATHS: &[&str] = &["/s1", "/s1/dir/f", "/s2/x", "/s1/other"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Whenever the exchanged token verifies in a context, the original verifies in it too;
    /// the same holds for every API operation and data path.
    #[test]
    fn an_exchanged_token_never_allows_more_than_its_original(
        texts in prop::collection::vec(caveat_text(), 0..6),
        format in prop::sample::select(Format::ALL.to_vec()),
        allow_data in prop::bool::ANY,
        ttl in 1u64..4000,
        contexts in prop::collection::vec(ctx_strategy(), 1..24),
    ) {
        let caveats: Vec<Caveat> = texts.iter().map(|t| Caveat::from_text(t).expect("caveat")).collect();
        let (v, _) = property_verifier(allow_data);
        let original = mint(format, &id("apikey", access(), Persistence::Named), &caveats);
        // The exchange happens where the original verifies (if it can verify anywhere).
        let at_exchange = satisfying(&v, &caveats, NOW);
        prop_assume!(at_exchange.is_some());
        let at_exchange = at_exchange.expect("some");
        let verified = verify(&v, &original, &at_exchange).expect("original verifies");
        let policy = IssuancePolicy::new().with_max_ttl(4000);
        let derived = policy
            .exchange(&verified, &key(), &Exchange { token_id: "derived", current_generation: 4, now: NOW, ttl })
            .expect("exchange");
        let derived_at_exchange = verify(&v, &derived, &at_exchange);
        prop_assert!(derived_at_exchange.is_ok(), "{:?}", derived_at_exchange);
        for c in &contexts {
            let ctx = build(c);
            if let Ok(d) = verify(&v, &derived, &ctx) {
                let o = verify(&v, &original, &ctx);
                prop_assert!(o.is_ok(), "derived verifies but original does not: {:?} in {:?}", o, ctx);
                let o = o.expect("ok");
                for svc in ServiceKind::ALL {
                    for op in Operation::ALL {
                        for g in GRIS {
                            let gri = Gri::parse(g).expect("gri");
                            if d.check_api(*svc, *op, &gri).is_ok() {
                                prop_assert!(o.check_api(*svc, *op, &gri).is_ok());
                            }
                        }
                    }
                }
                for p in PATHS {
                    if d.data_access().allows_path(p) {
                        prop_assert!(o.data_access().allows_path(p));
                    }
                }
                prop_assert!(d.data_access().allows_write() <= o.data_access().allows_write());
                prop_assert!(d.expires().is_some_and(|e| o.expires().is_none_or(|oe| e <= oe)));
            }
        }
    }
}

#[test]
fn the_property_is_not_vacuous() {
    // A case the property covers: the derived token verifies, and fails where the original does.
    let (v, _) = property_verifier(true);
    let caveats: Vec<Caveat> = [
        "ip = 10.0.0.0/8",
        "consumer = grp-admins",
        "data.path = L3Mx",
    ]
    .iter()
    .map(|t| Caveat::from_text(t).expect("caveat"))
    .collect();
    let original = mint(
        Format::Onedata,
        &id("apikey", access(), Persistence::Named),
        &caveats,
    );
    let ctx = satisfying(&v, &caveats, NOW).expect("satisfiable");
    assert_eq!(ctx.consumer(), Some(&Subject::User("alice".into())));
    let verified = verify(&v, &original, &ctx).expect("original");
    let derived = IssuancePolicy::new()
        .exchange(&verified, &key(), &exchange_request(60))
        .expect("exchange");
    let with_generation_4 = property_verifier(true).0;
    verify(&with_generation_4, &derived, &ctx).expect("derived verifies");
    let mut elsewhere = ctx.clone();
    elsewhere = elsewhere.with_ip_opt(Some("20.1.1.1".parse().expect("ip")));
    assert!(verify(&v, &original, &elsewhere).is_err());
    assert!(verify(&v, &derived, &elsewhere).is_err());
    assert!(satisfying(
        &v,
        &[
            Caveat::from_text("ip = 10.0.0.0/8").expect("c"),
            Caveat::from_text("asn = 7").expect("c")
        ],
        NOW
    )
    .is_none());
}
