//! Property tests: round trips of random tokens, the verifier's decision against an
//! independent model, attenuation never widens, tampering is always rejected, decoding is total,
//! and expiry is the least `validUntil`.

mod common;

use caveat_token::SignatureError;
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use caveat_token::caveat::{AppCaveat, InviteTypeCaveat, IpCaveat};
use caveat_token::{
    Caveat, Context, Error, Identifier, InviteType, Limits, Persistence, Subject, Token, TokenType,
    Verifier,
};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::prelude::*;
use proptest::sample::{select, subsequence, Index};

use common::*;

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

fn id_string() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~@+=-]{1,24}"
}

fn identifier_strategy() -> impl Strategy<Value = Identifier<'static>> {
    let subject = (any::<bool>(), id_string()).prop_map(|(user, id)| {
        if user {
            Subject::User(Cow::Owned(id))
        } else {
            Subject::Provider(Cow::Owned(id))
        }
    });
    let token_type = prop_oneof![
        Just(TokenType::Access { session: None }),
        id_string().prop_map(|s| TokenType::Access {
            session: Some(Cow::Owned(s))
        }),
        Just(TokenType::Identity),
        (
            select(InviteType::ALL),
            id_string(),
            prop_oneof![Just(String::new()), id_string()]
        )
            .prop_map(|(t, target, params)| TokenType::Invite {
                invite_type: t,
                target: Cow::Owned(target),
                params: Cow::Owned(params),
            }),
    ];
    let persistence = prop_oneof![
        Just(Persistence::Named),
        any::<u64>().prop_map(|generation| Persistence::Temporary { generation }),
    ];
    (
        "[!-~]{1,40}",
        proptest::option::of(id_string()),
        id_string(),
        subject,
        token_type,
        persistence,
    )
        .prop_map(
            |(location, key_id, token_id, subject, token_type, persistence)| Identifier {
                location: Cow::Owned(location),
                key_id: key_id.map(Cow::Owned),
                token_id: Cow::Owned(token_id),
                subject,
                token_type,
                persistence,
            },
        )
}

const NET_POOL: &[&str] = &[
    "10.0.0.0/8",
    "192.168.0.0/16",
    "189.34.15.0/8",
    "2001:db8::/32",
    "0.0.0.0/0",
    "::/0",
    "127.0.0.1/32",
    "::1/128",
];

const CLIENT_POOL: &[&str] = &[
    "10.1.2.3",
    "192.168.1.1",
    "189.1.1.1",
    "::ffff:10.1.2.3",
    "::ffff:192.168.7.7",
    "2001:db8::1",
    "8.8.8.8",
    "::1",
    "127.0.0.1",
];

fn net_strategy() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        3 => select(NET_POOL).prop_map(|s| s.parse::<IpNet>().expect("pool")),
        1 => (any::<u32>(), 0u8..=32).prop_map(|(a, p)| {
            IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), p).expect("prefix in range"))
        }),
        1 => (any::<u128>(), 0u8..=128).prop_map(|(a, p)| {
            IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), p).expect("prefix in range"))
        }),
    ]
}

/// Application caveat names: two with registered predicates, one without.
const APP_NAMES: &[&str] = &["ex.com/action", "ex.com/level", "other.org/x"];

/// Times near the contexts' `now` (so that both outcomes occur), or anywhere.
fn time_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0u64..2000, 1 => any::<u64>()]
}

fn caveat_strategy() -> impl Strategy<Value = Caveat> {
    prop_oneof![
        3 => time_strategy().prop_map(Caveat::time),
        2 => proptest::collection::vec(net_strategy(), 1..4)
            .prop_map(|nets| Caveat::Ip(IpCaveat::new(nets).expect("non-empty"))),
        2 => subsequence(InviteType::ALL.to_vec(), 1..=4).prop_map(|types| {
            Caveat::InviteType(InviteTypeCaveat::new(types).expect("non-empty, distinct"))
        }),
        2 => (select(APP_NAMES), "[a-c]{0,2}").prop_map(|(name, value)| {
            Caveat::App(AppCaveat::new(name, &value).expect("valid app caveat"))
        }),
    ]
}

/// Caveats with application names and values drawn from everything the rules allow (for round
/// trips; the decision tests use a small alphabet so that predicates sometimes hold).
fn wide_caveat_strategy() -> impl Strategy<Value = Caveat> {
    prop_oneof![
        1 => caveat_strategy(),
        1 => ("[a-z0-9._-]{1,31}", "[a-z0-9._-]{1,31}", "\\PC{0,60}").prop_map(|(ns, n, value)| {
            Caveat::App(AppCaveat::new(&format!("{ns}/{n}"), &value).expect("valid app caveat"))
        }),
    ]
}

fn caveats_strategy(max: usize) -> impl Strategy<Value = Vec<Caveat>> {
    proptest::collection::vec(caveat_strategy(), 0..max)
}

fn ip_strategy() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        4 => select(CLIENT_POOL).prop_map(ip),
        1 => any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        1 => any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
    ]
}

fn context_strategy() -> impl Strategy<Value = Context> {
    (
        time_strategy(),
        proptest::option::of(ip_strategy()),
        proptest::option::of(select(InviteType::ALL)),
        proptest::option::of("[a-c]{0,2}"),
        proptest::option::of("[a-c]{0,2}"),
    )
        .prop_map(|(now, ip, invite_type, action, level)| {
            let mut ctx = Context::at(now);
            ctx = ctx.with_ip_opt(ip);
            ctx = ctx.with_invite_type_opt(invite_type);
            if let Some(a) = action {
                ctx = ctx.with_attribute("ex.com/action", a);
            }
            if let Some(l) = level {
                ctx = ctx.with_attribute("ex.com/level", l);
            }
            ctx
        })
}

fn leeway_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(0u64), 2 => 0u64..100, 1 => Just(u64::MAX), 1 => any::<u64>()]
}

/// The verifier under test: `ex.com/action` must equal the request's attribute, `ex.com/level`
/// must not exceed it; `other.org/x` has no predicate.
fn verifier(leeway: u64) -> Verifier {
    Verifier::new()
        .with_leeway(leeway)
        .with_predicate("ex.com/action", |v, ctx| {
            ctx.attribute("ex.com/action") == Some(v)
        })
        .with_predicate("ex.com/level", |v, ctx| {
            ctx.attribute("ex.com/level").is_some_and(|a| a >= v)
        })
}

// ---------------------------------------------------------------------------------------------
// An independent model of the decision
// ---------------------------------------------------------------------------------------------

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is read as IPv4; written from the RFC 4291 layout.
fn model_canonical(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V6(v6) => {
            let o = v6.octets();
            if o[..10] == [0; 10] && o[10] == 0xff && o[11] == 0xff {
                IpAddr::V4(Ipv4Addr::new(o[12], o[13], o[14], o[15]))
            } else {
                IpAddr::V6(v6)
            }
        }
        v4 => v4,
    }
}

fn model_contains(net: &IpNet, client: IpAddr) -> bool {
    match (net, model_canonical(client)) {
        (IpNet::V4(n), IpAddr::V4(c)) => {
            let p = u32::from(n.prefix_len());
            let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
            u32::from(n.addr()) & mask == u32::from(c) & mask
        }
        (IpNet::V6(n), IpAddr::V6(c)) => {
            let p = u32::from(n.prefix_len());
            let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
            u128::from(n.addr()) & mask == u128::from(c) & mask
        }
        _ => false,
    }
}

/// What the verifier must answer for a genuine token with these caveats: the expiry, or the
/// first failing caveat's index and error id.
fn model(
    caveats: &[Caveat],
    ctx: &Context,
    leeway: u64,
) -> Result<Option<u64>, (usize, &'static str)> {
    model_typed(&TokenType::Access { session: None }, caveats, ctx, leeway)
}

/// As [`model`], for a token of `token_type`: an identity token refuses an `inviteType` caveat
/// whatever the context (Onedata's per-type caveat sets).
fn model_typed(
    token_type: &TokenType<'_>,
    caveats: &[Caveat],
    ctx: &Context,
    leeway: u64,
) -> Result<Option<u64>, (usize, &'static str)> {
    let mut expires: Option<u64> = None;
    for (i, c) in caveats.iter().enumerate() {
        if matches!(token_type, TokenType::Identity) && matches!(c, Caveat::InviteType(_)) {
            return Err((i, "tokenCaveatUnverified"));
        }
        let holds = match c {
            Caveat::Time(t) => {
                expires = Some(expires.map_or(t.valid_until(), |e| e.min(t.valid_until())));
                match t.valid_until().checked_add(leeway) {
                    Some(end) => ctx.now() < end,
                    None => false,
                }
            }
            Caveat::Ip(c) => match ctx.ip() {
                Some(client) => c.whitelist().iter().any(|n| model_contains(n, client)),
                None => false,
            },
            Caveat::InviteType(c) => ctx
                .invite_type()
                .is_some_and(|t| c.whitelist().contains(&t)),
            Caveat::App(a) => match a.name() {
                "ex.com/action" => ctx.attribute("ex.com/action") == Some(a.value()),
                "ex.com/level" => ctx
                    .attribute("ex.com/level")
                    .is_some_and(|v| v >= a.value()),
                _ => return Err((i, "tokenCaveatUnknown")),
            },
            other => panic!("a caveat kind the model does not know: {other:?}"),
        };
        if !holds {
            return Err((i, "tokenCaveatUnverified"));
        }
    }
    Ok(expires)
}

fn decision(
    result: &Result<caveat_token::VerifiedToken, Error>,
) -> Result<Option<u64>, (usize, &'static str)> {
    match result {
        Ok(v) => Ok(v.expires()),
        Err(e) => {
            let index = e.details()["index"]
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .unwrap_or(usize::MAX);
            Err((index, e.id()))
        }
    }
}

/// Mints without the issuance rule, so that temporary tokens without a time caveat (which other
/// code may mint) are among the inputs: the verifier must deny them.
fn mint_with(id: &Identifier<'_>, caveats: &[Caveat]) -> Token {
    caveat_token::hazmat::mint_unchecked(caveat_token::Format::Native, &key(), id, caveats)
        .expect("mint")
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// 256 cases by default (fast on two cores); `PROPTEST_CASES=N` runs more.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 256;
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn encode_decode_round_trip(
        id in identifier_strategy(),
        caveats in proptest::collection::vec(wide_caveat_strategy(), 0..8),
    ) {
        let token = mint_with(&id, &caveats);
        let limits = Limits::default();

        let text = token.to_text();
        let from_text = Token::from_text(&text, &limits).expect("text decodes");
        prop_assert_eq!(from_text.as_bytes(), token.as_bytes());
        prop_assert_eq!(from_text.to_text(), text);
        let from_bytes = Token::from_bytes(token.as_bytes(), &limits).expect("bytes decode");
        prop_assert_eq!(from_bytes.as_bytes(), token.as_bytes());

        prop_assert_eq!(from_text.untrusted_identifier().expect("identifier"), id.clone());
        let back: Vec<Caveat> = from_bytes
            .untrusted_caveats()
            .collect::<Result<_, _>>()
            .expect("caveats decode");
        prop_assert_eq!(&back, &caveats);
        prop_assert_eq!(from_bytes.caveat_count(), caveats.len());
        prop_assert!(from_text.tag().ct_eq(token.tag().as_bytes()));

        // ciborium, an independent CBOR implementation, reads the envelope as documented and
        // writes the very same bytes back (ours is the preferred serialization).
        let env: ciborium::Value = ciborium::de::from_reader(token.as_bytes()).expect("ciborium");
        let expected = ciborium::Value::Array(vec![
            ciborium::Value::Integer(1u64.into()),
            ciborium::Value::Bytes(token.identifier_bytes().to_vec()),
            ciborium::Value::Array(
                token.caveat_bytes().map(|c| ciborium::Value::Bytes(c.to_vec())).collect(),
            ),
            ciborium::Value::Bytes(token.tag().as_bytes().to_vec()),
        ]);
        prop_assert_eq!(&env, &expected);
        let mut rewritten = Vec::new();
        ciborium::ser::into_writer(&env, &mut rewritten).expect("ciborium writes");
        prop_assert_eq!(rewritten.as_slice(), token.as_bytes());
        for part in std::iter::once(token.identifier_bytes()).chain(token.caveat_bytes()) {
            let v: ciborium::Value = ciborium::de::from_reader(part).expect("ciborium part");
            let mut again = Vec::new();
            ciborium::ser::into_writer(&v, &mut again).expect("ciborium writes");
            prop_assert_eq!(again.as_slice(), part);
        }

        // Each caveat also round trips through its JSON and text forms.
        for c in &caveats {
            prop_assert_eq!(&Caveat::from_json(&c.to_json()).expect("json"), c);
            prop_assert_eq!(&Caveat::from_text(&c.to_text()).expect("text"), c);
        }
        // The signature verifies under the key that minted it, and only under it.
        let v = Verifier::new();
        prop_assert!(v.check_signature(&from_text, &key()).is_ok());
        prop_assert_eq!(v.check_signature(&from_text, &other_key()).map(|_| ()), Err(Error::Signature(SignatureError::Invalid)));
    }

    #[test]
    fn decision_matches_the_model(
        id in identifier_strategy(),
        caveats in caveats_strategy(6),
        ctx in context_strategy(),
        leeway in leeway_strategy(),
    ) {
        let token = mint_with(&id, &caveats);
        let result = verifier(leeway).verify_text(&token.to_text(), &key(), &ctx);
        // Every caveat holding, a temporary token still needs a time caveat of its own.
        let expected = model_typed(&id.token_type, &caveats, &ctx, leeway).and_then(|expires| {
            match (id.persistence, expires) {
                (caveat_token::Persistence::Temporary { .. }, None) => {
                    Err((usize::MAX, "tokenTimeCaveatRequired"))
                }
                _ => Ok(expires),
            }
        });
        prop_assert_eq!(decision(&result), expected);
        if let Ok(ok) = result {
            prop_assert_eq!(ok.identifier(), id);
            prop_assert_eq!(ok.caveats(), caveats);
        }
    }

    #[test]
    fn attenuation_never_widens(
        caveats in caveats_strategy(5),
        extra in caveats_strategy(4),
        raw_extra in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..2),
        ctx in context_strategy(),
        leeway in leeway_strategy(),
    ) {
        let v = verifier(leeway);
        let token = mint(&caveats);
        let before = v.verify(token.clone(), &key(), &ctx);
        let mut narrowed = token;
        for c in &extra {
            narrowed = narrowed.attenuate(c).expect("attenuate");
        }
        for r in &raw_extra {
            narrowed = narrowed.attenuate_raw(r).expect("attenuate_raw");
        }
        let after = v.verify(narrowed, &key(), &ctx);
        match (&before, &after) {
            (Err(b), Err(a)) => {
                // Clearing goes in chain order, so the same caveat is the first to fail.
                prop_assert_eq!(b, a);
            }
            (Err(b), Ok(_)) => prop_assert!(false, "attenuation widened a denial: {}", b),
            (Ok(b), Ok(a)) => {
                // Expiry can only come earlier.
                match (b.expires(), a.expires()) {
                    (Some(x), Some(y)) => prop_assert!(y <= x),
                    (Some(_), None) => prop_assert!(false, "expiry disappeared"),
                    _ => {}
                }
            }
            (Ok(_), Err(_)) => {}
        }
    }

    #[test]
    fn any_single_bit_flip_is_rejected(
        id in identifier_strategy(),
        caveats in caveats_strategy(5),
        ctx in context_strategy(),
        at in any::<Index>(),
        bit in 0u8..8,
    ) {
        let token = mint_with(&id, &caveats);
        let mut bytes = token.as_bytes().to_vec();
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        let result = Token::from_bytes(&bytes, &Limits::default())
            .and_then(|t| verifier(0).verify(t, &key(), &ctx));
        let id = err_id(result);
        prop_assert!(id == "badToken" || id == "tokenInvalid", "byte {} bit {}: {}", i, bit, id);
    }

    #[test]
    fn any_truncation_is_rejected(
        caveats in caveats_strategy(5),
        at in any::<Index>(),
    ) {
        let token = mint(&caveats);
        let bytes = token.as_bytes();
        let n = at.index(bytes.len());
        prop_assert_eq!(err_id(Token::from_bytes(&bytes[..n], &Limits::default())), "badToken");
        let text = token.to_text();
        let m = at.index(text.len());
        prop_assert_eq!(err_id(Token::from_text(&text[..m], &Limits::default())), "badToken");
    }

    #[test]
    fn caveat_removal_reordering_and_duplication_are_rejected(
        caveats in proptest::collection::vec(caveat_strategy(), 1..6),
        a in any::<Index>(),
        b in any::<Index>(),
        ctx in context_strategy(),
    ) {
        let token = mint(&caveats);
        let (id, cavs, tag) = parts(&token);
        let n = cavs.len();
        let (i, j) = (a.index(n), b.index(n));
        let check = |what: &str, list: Vec<Vec<u8>>| -> Result<(), TestCaseError> {
            let result = verify_bytes(&envelope(&id, &list, &tag), &Limits::default(), &key(), &ctx);
            prop_assert_eq!(err_id(result), "tokenInvalid", "{}", what);
            Ok(())
        };

        let mut removed = cavs.clone();
        removed.remove(i);
        check("removal", removed)?;

        let mut duplicated = cavs.clone();
        duplicated.insert(j, cavs[i].clone());
        check("duplication", duplicated)?;

        let mut truncated = cavs.clone();
        truncated.truncate(i);
        check("truncation of the caveat list", truncated)?;

        if cavs[i] != cavs[j] {
            let mut swapped = cavs.clone();
            swapped.swap(i, j);
            check("reordering", swapped)?;
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let limits = Limits::default();
        for input in [bytes.clone(), { let mut b = vec![0x84, 0x01]; b.extend_from_slice(&bytes); b }] {
            match Token::from_bytes(&input, &limits) {
                Ok(t) => {
                    // Whatever decodes re-encodes to the identical bytes, and never verifies.
                    prop_assert_eq!(t.as_bytes(), input.as_slice());
                    let again = Token::from_text(&t.to_text(), &limits).expect("re-decodes");
                    prop_assert_eq!(again.as_bytes(), input.as_slice());
                    let _ = t.untrusted_identifier();
                    prop_assert_eq!(t.untrusted_caveats().count(), t.caveat_count());
                    prop_assert!(Verifier::new().verify(t, &key(), &Context::at(0)).is_err());
                }
                Err(e) => prop_assert!(e.id() == "badToken" || e.id() == "tokenTooLarge", "{}", e.id()),
            }
            let text = format!("cvt1_{}", URL_SAFE_NO_PAD.encode(&input));
            if let Ok(t) = Token::from_text(&text, &limits) {
                prop_assert_eq!(t.to_text(), text);
            }
        }
    }

    #[test]
    fn decoding_arbitrary_strings_is_total(s in "\\PC{0,300}", tail in "[A-Za-z0-9_=+/ -]{0,300}") {
        let limits = Limits::default();
        for input in [s.clone(), format!("cvt1_{s}"), format!("cvt1_{tail}"), format!("cvt2_{tail}")] {
            match Token::from_text(&input, &limits) {
                Ok(t) => {
                    prop_assert_eq!(t.to_text(), input);
                    prop_assert!(Verifier::new().verify(t, &key(), &Context::at(0)).is_err());
                }
                Err(e) => prop_assert!(e.id() == "badToken" || e.id() == "tokenTooLarge", "{}", e.id()),
            }
        }
    }

    #[test]
    fn well_formed_envelopes_with_random_contents_never_verify(
        identifier in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..80),
            identifier_strategy().prop_map(|id| {
                // A genuine identifier encoding, taken from a token minted with another key.
                caveat_token::hazmat::mint_unchecked(caveat_token::Format::Native, &other_key(), &id, &[])
                    .expect("mint")
                    .identifier_bytes()
                    .to_vec()
            }),
        ],
        caveats in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..24), 0..5),
        tag in proptest::collection::vec(any::<u8>(), 32),
        ctx in context_strategy(),
    ) {
        let bytes = envelope(&identifier, &caveats, &tag);
        match Token::from_bytes(&bytes, &Limits::default()) {
            Ok(t) => {
                prop_assert_eq!(t.caveat_count(), caveats.len());
                let err = verifier(0).verify(t, &key(), &ctx).expect_err("forged");
                prop_assert_eq!(err, Error::Signature(SignatureError::Invalid));
            }
            Err(e) => prop_assert_eq!(e.id(), "badToken"),
        }
    }

    #[test]
    fn random_mutations_of_a_valid_token_never_verify(
        caveats in caveats_strategy(4),
        edits in proptest::collection::vec((any::<Index>(), any::<u8>()), 1..6),
        ctx in context_strategy(),
    ) {
        let token = mint(&caveats);
        let mut bytes = token.as_bytes().to_vec();
        for (at, value) in &edits {
            let i = at.index(bytes.len());
            bytes[i] = *value;
        }
        prop_assume!(bytes != token.as_bytes());
        let result = Token::from_bytes(&bytes, &Limits::default())
            .and_then(|t| verifier(u64::MAX).verify(t, &key(), &ctx));
        let id = err_id(result);
        prop_assert!(id == "badToken" || id == "tokenInvalid" || id == "tokenTooLarge", "{}", id);
    }

    #[test]
    fn expiry_is_the_minimum_over_time_caveats(
        times in proptest::collection::vec(1u64..=u64::MAX, 0..6),
        others in proptest::collection::vec(
            select(&[
                r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#,
                r#"{"type":"ip","whitelist":["::/0","0.0.0.0/0"]}"#,
                r#"{"type":"inviteType","whitelist":["userJoinGroup","supportSpace"]}"#,
                r#"{"type":"app","name":"ex.com/action","value":"a"}"#,
            ][..]),
            0..4,
        ),
        seed in any::<u64>(),
    ) {
        // Interleave the time caveats with caveats that hold, in an order given by `seed`.
        let mut cavs: Vec<Caveat> = times.iter().map(|&t| Caveat::time(t)).collect();
        for (k, json) in others.iter().enumerate() {
            let slot = usize::try_from((seed >> (k * 8)) & 0xff).unwrap_or(0) % (cavs.len() + 1);
            cavs.insert(slot, caveat(json));
        }
        let ctx = Context::at(0)
            .with_ip(ip("10.1.2.3"))
            .with_invite_type(InviteType::SupportSpace)
            .with_attribute("ex.com/action", "a");
        let ok = verifier(0).verify(mint(&cavs), &key(), &ctx).expect("every caveat holds");
        prop_assert_eq!(ok.expires(), times.iter().copied().min());
        // And one second before the minimum it is still valid, at the minimum it is not.
        if let Some(min) = times.iter().copied().min() {
            let at = |now| ctx.clone().with_now(now);
            prop_assert!(verifier(0).verify(mint(&cavs), &key(), &at(min - 1)).is_ok());
            let err = verifier(0).verify(mint(&cavs), &key(), &at(min)).expect_err("expired");
            prop_assert_eq!(err.id(), "tokenCaveatUnverified");
        }
    }
}

/// The model itself is checked against hand-worked cases, so that agreement with it means
/// something.
#[test]
fn the_model_agrees_with_hand_worked_cases() {
    let net = |s: &str| s.parse::<IpNet>().expect("net");
    assert!(model_contains(&net("10.0.0.0/8"), ip("::ffff:10.1.2.3")));
    assert!(model_contains(&net("189.34.15.0/8"), ip("189.1.1.1")));
    assert!(!model_contains(&net("0.0.0.0/0"), ip("2001:db8::1")));
    assert!(!model_contains(&net("::/0"), ip("10.1.2.3")));
    assert!(model_contains(&net("::/0"), ip("::1")));
    assert!(!model_contains(&net("10.0.0.0/8"), ip("11.0.0.0")));
    let ctx = Context::at(100).with_attribute("ex.com/level", "b");
    let c = |j: &str| caveat(j);
    assert_eq!(model(&[Caveat::time(101)], &ctx, 0), Ok(Some(101)));
    assert_eq!(
        model(&[Caveat::time(100)], &ctx, 0),
        Err((0, "tokenCaveatUnverified"))
    );
    assert_eq!(model(&[Caveat::time(100)], &ctx, 1), Ok(Some(100)));
    assert_eq!(
        model(&[Caveat::time(u64::MAX)], &ctx, 1),
        Err((0, "tokenCaveatUnverified"))
    );
    assert_eq!(
        model(
            &[c(r#"{"type":"app","name":"ex.com/level","value":"a"}"#)],
            &ctx,
            0
        ),
        Ok(None)
    );
    assert_eq!(
        model(
            &[
                Caveat::time(200),
                c(r#"{"type":"app","name":"other.org/x","value":""}"#),
                Caveat::time(0)
            ],
            &ctx,
            0
        ),
        Err((1, "tokenCaveatUnknown"))
    );
}

/// The random decisions are not vacuous: over a fixed sample, the generated tokens and contexts
/// produce acceptances and each kind of denial.
#[test]
fn the_generated_cases_cover_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = (caveats_strategy(6), context_strategy(), leeway_strategy());
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..512 {
        let (caveats, ctx, leeway) = strategy.new_tree(&mut runner).expect("tree").current();
        let outcome = match model(&caveats, &ctx, leeway) {
            Ok(_) => "ok".to_owned(),
            Err((i, id)) => format!("{id}:{}", caveats[i].type_name()),
        };
        seen.insert(outcome);
    }
    for expected in [
        "ok",
        "tokenCaveatUnverified:time",
        "tokenCaveatUnverified:ip",
        "tokenCaveatUnverified:inviteType",
        "tokenCaveatUnverified:app",
        "tokenCaveatUnknown:app",
    ] {
        assert!(
            seen.contains(expected),
            "{expected} never generated: {seen:?}"
        );
    }
}
