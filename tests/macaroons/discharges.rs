//! Third-party caveats and discharges: in the native and libmacaroons formats, nested
//! discharges, and one test per failure (tampering, a missing, unused, reused, ambiguous,
//! unbound or invalid discharge, a cycle, excessive depth, a verification id that does not
//! open, too many discharges), each with its own error id naming the caveat or discharge.

use caveat_token::hazmat as third_party;
use caveat_token::{hazmat as chain, Tag};
use caveat_token::{
    Caveat, Context, Error, Format, Identifier, InviteType, Limits, Persistence, RootKey, Subject,
    Token, TokenType, Verifier,
};
use caveat_token::{MAX_DISCHARGES, MAX_DISCHARGE_DEPTH};
use serde_json::json;

const NOW: u64 = 1_700_000_000;
const ROOT_KEY: &[u8] = b"root key of the service";

fn root_key() -> RootKey {
    RootKey::from_bytes(ROOT_KEY).expect("key")
}

fn nonce(n: u8) -> [u8; 24] {
    [n; 24]
}

fn identifier() -> Identifier<'static> {
    Identifier {
        location: "service.example".into(),
        key_id: None,
        token_id: "t1".into(),
        subject: Subject::parse("usr-alice").expect("subject"),
        token_type: TokenType::Access { session: None },
        persistence: Persistence::Named,
    }
}

fn native_root() -> Token {
    Token::mint(&root_key(), &identifier(), &[Caveat::time(NOW + 100)]).expect("mint")
}

fn macaroon_root(format: Format) -> Token {
    Token::mint_macaroon(format, &root_key(), "service.example", b"root-id", &[])
        .expect("mint")
        .attenuate_raw(b"account = 7")
        .expect("caveat")
}

/// A discharge minted by the third party: identifier `cid`, key `caveat_key`, predicates.
fn discharge(format: Format, caveat_key: &[u8], cid: &[u8], predicates: &[&str]) -> Token {
    let mut d = Token::mint_macaroon(
        format,
        &RootKey::from_bytes(caveat_key).expect("key"),
        "tp.example",
        cid,
        &[],
    )
    .expect("discharge");
    for p in predicates {
        d = d.attenuate_raw(p.as_bytes()).expect("predicate");
    }
    d
}

fn verifier() -> Verifier {
    Verifier::new().satisfy_exact("account = 7")
}

fn ctx() -> Context {
    Context::at(NOW)
}

/// Verifies `root` (of any format) with `discharges`.
fn verify(root: &Token, discharges: &[Token]) -> Result<Option<u64>, Error> {
    verifier()
        .verify_any(root.clone(), discharges, &root_key(), &ctx())
        .map(|v| v.expires())
}

fn error(root: &Token, discharges: &[Token]) -> Error {
    verify(root, discharges).expect_err("must be refused")
}

#[test]
fn native_token_with_a_v2_discharge() {
    let root = native_root()
        .attenuate_third_party("https://tp.example", b"caveat key", b"cid-1", &nonce(1))
        .expect("third-party");
    // The native third-party caveat survives the text form.
    let root = Token::from_text(&root.to_text(), &Limits::default()).expect("decodes");
    assert!(root.is_third_party(1) && !root.is_third_party(0));
    let tp: Vec<_> = root.untrusted_third_party_caveats().collect();
    assert_eq!(tp.len(), 1);
    assert_eq!(
        (tp[0].index, tp[0].cid, tp[0].location),
        (1, &b"cid-1"[..], &b"https://tp.example"[..])
    );
    assert_eq!(tp[0].vid.len(), third_party::VID_LEN);

    let d = discharge(
        Format::MacaroonV2,
        b"caveat key",
        b"cid-1",
        &["time < 1700000050"],
    )
    .bind_to(&root);
    let ok = verifier()
        .verify_with_discharges(root.clone(), std::slice::from_ref(&d), &root_key(), &ctx())
        .expect("verifies");
    assert_eq!(ok.identifier().subject.to_string(), "usr-alice");
    // The discharge's time caveat counts for the expiry.
    assert_eq!(ok.expires(), Some(NOW + 50));
    // Without the discharge: the plain verifier asks for it.
    let e = verifier()
        .verify(root.clone(), &root_key(), &ctx())
        .expect_err("missing");
    assert_eq!(e.id(), "dischargeMissing");
    assert_eq!(
        e.details(),
        json!({"caveat": {"discharge": null, "index": 1}, "cid": "cid-1"})
    );
    // A caveat of the discharge that does not hold names the discharge.
    let late = Context::at(NOW + 60);
    let e = verifier()
        .verify_with_discharges(root.clone(), std::slice::from_ref(&d), &root_key(), &late)
        .expect_err("expired discharge");
    assert_eq!(e.id(), "tokenCaveatUnverified");
    assert_eq!(e.details()["discharge"], 0);
    assert_eq!(e.details()["index"], 0);
    // The signature check alone covers the third-party step.
    verifier()
        .check_signature(&root, &root_key())
        .expect("signature");
    assert_eq!(
        verifier()
            .check_signature(&root, &RootKey::from_bytes(b"other").expect("key"))
            .expect_err("wrong key")
            .id(),
        "tokenInvalid"
    );
}

#[test]
fn discharge_caveats_must_be_allowed_for_the_token_type() {
    let request = ctx().with_invite_type(InviteType::UserJoinGroup);
    let check = |ty: TokenType<'static>| {
        let id = Identifier {
            token_type: ty,
            ..identifier()
        };
        let root = Token::mint(&root_key(), &id, &[])
            .expect("mint")
            .attenuate_third_party("tp", b"k", b"c", &nonce(2))
            .expect("third-party");
        let d = discharge(
            Format::MacaroonV2,
            b"k",
            b"c",
            &["inviteType = userJoinGroup"],
        )
        .bind_to(&root);
        verifier().verify_with_discharges(root, &[d], &root_key(), &request)
    };
    // The caveat holds in this request, and invite tokens may carry it...
    check(TokenType::Invite {
        invite_type: InviteType::UserJoinGroup,
        target: "g1".into(),
        params: "".into(),
    })
    .expect("allowed");
    // ...but identity tokens may not, not even through a discharge.
    let e = check(TokenType::Identity).expect_err("not allowed");
    assert_eq!(e.id(), "tokenCaveatUnverified");
    assert_eq!(e.details()["discharge"], 0);
}

#[test]
fn nested_discharges_are_bound_to_the_top_level_token() {
    for format in [Format::Native].iter().chain(Format::MACAROON).copied() {
        let root = if format == Format::Native {
            native_root()
        } else {
            macaroon_root(format)
        };
        let root = root
            .attenuate_third_party("tp-a", b"key a", b"a", &nonce(3))
            .expect("a");
        let dformat = if format == Format::Native {
            Format::MacaroonV2
        } else {
            format
        };
        let a = discharge(dformat, b"key a", b"a", &["account = 7"])
            .attenuate_third_party("tp-b", b"key b", b"b", &nonce(4))
            .expect("b");
        let b = discharge(dformat, b"key b", b"b", &[]);
        verify(&root, &[a.bind_to(&root), b.bind_to(&root)]).expect("verifies");
        // Order of the supplied discharges does not matter.
        verify(&root, &[b.bind_to(&root), a.bind_to(&root)]).expect("any order");
        // B bound to A (its parent) instead of the top-level token.
        let e = error(&root, &[a.bind_to(&root), b.bind_to(&a.bind_to(&root))]);
        assert_eq!(
            (e.id(), e.details()["discharge"].as_u64()),
            ("dischargeInvalid", Some(1))
        );
        // B not bound at all.
        let e = error(&root, &[a.bind_to(&root), b.clone()]);
        assert_eq!(e.details(), json!({"discharge": 1}), "{format:?}");
        assert_eq!(e.id(), "dischargeUnbound");
        // Missing B: named as caveat 1 of discharge 0.
        let e = error(&root, &[a.bind_to(&root)]);
        assert_eq!(e.id(), "dischargeMissing");
        assert_eq!(
            e.details(),
            json!({"caveat": {"discharge": 0, "index": 1}, "cid": "b"})
        );
    }
}

#[test]
fn each_failure_has_its_own_error() {
    let root = macaroon_root(Format::MacaroonV2)
        .attenuate_third_party("tp", b"key a", b"a", &nonce(5))
        .expect("a");
    let a = discharge(Format::MacaroonV2, b"key a", b"a", &[]);
    verify(&root, &[a.bind_to(&root)]).expect("the good case verifies");

    // Tampering with the token: its signature fails first.
    let mut raw = root.as_bytes().to_vec();
    let at = raw.len() - 40;
    raw[at] ^= 1;
    let tampered =
        Token::from_bytes_as(Format::MacaroonV2, &raw, &Limits::default()).expect("still decodes");
    assert_eq!(error(&tampered, &[a.bind_to(&root)]).id(), "tokenInvalid");

    // Missing.
    let e = error(&root, &[]);
    assert_eq!(e.id(), "dischargeMissing");
    assert_eq!(
        e.details()["caveat"],
        json!({"discharge": null, "index": 1})
    );

    // Unused.
    let extra = discharge(Format::MacaroonV2, b"z", b"z", &[]).bind_to(&root);
    let e = error(&root, &[a.bind_to(&root), extra]);
    assert_eq!(e.id(), "dischargeUnused");
    assert_eq!(e.details(), json!({"discharge": 1, "identifier": "z"}));

    // Ambiguous: two discharges for the same caveat id.
    let e = error(&root, &[a.bind_to(&root), a.bind_to(&root)]);
    assert_eq!(e.id(), "dischargeAmbiguous");
    assert_eq!(
        e.details(),
        json!({"identifier": "a", "discharges": [0, 1]})
    );

    // Reused: two caveats with the same id, one discharge.
    let twice = root
        .attenuate_third_party("tp", b"key a", b"a", &nonce(6))
        .expect("again");
    let e = error(&twice, &[a.bind_to(&twice)]);
    assert_eq!(e.id(), "dischargeReused");
    assert_eq!(
        e.details(),
        json!({"discharge": 0, "caveat": {"discharge": null, "index": 2}})
    );

    // Unbound, and invalid (changed after binding; minted with another key).
    assert_eq!(
        error(&root, std::slice::from_ref(&a)).id(),
        "dischargeUnbound"
    );
    let changed = a
        .bind_to(&root)
        .attenuate_raw(b"account = 7")
        .expect("caveat");
    assert_eq!(error(&root, &[changed]).id(), "dischargeInvalid");
    let wrong_key = discharge(Format::MacaroonV2, b"not key a", b"a", &[]).bind_to(&root);
    assert_eq!(
        error(&root, &[wrong_key]).details(),
        json!({"discharge": 0})
    );
    // Bound to another token.
    let other = macaroon_root(Format::MacaroonV2)
        .attenuate_raw(b"account = 7")
        .expect("other");
    assert_eq!(error(&root, &[a.bind_to(&other)]).id(), "dischargeInvalid");

    // Too many discharges: refused before any work.
    let many: Vec<Token> = (0..=MAX_DISCHARGES)
        .map(|i| discharge(Format::MacaroonV2, b"k", format!("d{i}").as_bytes(), &[]))
        .collect();
    let e = error(&root, &many);
    assert_eq!(e.id(), "tokenTooLarge");
    assert_eq!(
        e.details(),
        json!({"limit": "discharges", "max": MAX_DISCHARGES})
    );
}

#[test]
fn cycles_are_refused() {
    let root = macaroon_root(Format::MacaroonV2)
        .attenuate_third_party("tp", b"key a", b"a", &nonce(7))
        .expect("a");
    // A discharge that needs itself (sealed with the key it was minted with).
    let a = discharge(Format::MacaroonV2, b"key a", b"a", &[])
        .attenuate_third_party("tp", b"key a", b"a", &nonce(8))
        .expect("self");
    let e = error(&root, &[a.bind_to(&root)]);
    assert_eq!(e.id(), "dischargeCycle");
    assert_eq!(
        e.details(),
        json!({"discharge": 0, "caveat": {"discharge": 0, "index": 0}})
    );
    // A needs B, B needs A.
    let a = discharge(Format::MacaroonV2, b"key a", b"a", &[])
        .attenuate_third_party("tp", b"key b", b"b", &nonce(9))
        .expect("a needs b");
    let b = discharge(Format::MacaroonV2, b"key b", b"b", &[])
        .attenuate_third_party("tp", b"key a", b"a", &nonce(10))
        .expect("b needs a");
    let e = error(&root, &[b.bind_to(&root), a.bind_to(&root)]);
    assert_eq!(e.id(), "dischargeCycle");
    assert_eq!(
        e.details(),
        json!({"discharge": 1, "caveat": {"discharge": 0, "index": 0}})
    );
}

/// A chain of `n` discharges, each needing the next.
fn chain_of(root: &Token, n: usize) -> Vec<Token> {
    (0..n)
        .map(|i| {
            let d = discharge(
                Format::MacaroonV2,
                format!("key {i}").as_bytes(),
                format!("d{i}").as_bytes(),
                &[],
            );
            let d = if i + 1 < n {
                d.attenuate_third_party(
                    "tp",
                    format!("key {}", i + 1).as_bytes(),
                    format!("d{}", i + 1).as_bytes(),
                    &nonce(11),
                )
                .expect("next")
            } else {
                d
            };
            d.bind_to(root)
        })
        .collect()
}

#[test]
fn depth_is_bounded() {
    let root = macaroon_root(Format::MacaroonV2)
        .attenuate_third_party("tp", b"key 0", b"d0", &nonce(12))
        .expect("d0");
    verify(&root, &chain_of(&root, MAX_DISCHARGE_DEPTH)).expect("the deepest allowed");
    let e = error(&root, &chain_of(&root, MAX_DISCHARGE_DEPTH + 1));
    assert_eq!(e.id(), "dischargeTooDeep");
    assert_eq!(
        e.details(),
        json!({"max": MAX_DISCHARGE_DEPTH, "caveat": {"discharge": MAX_DISCHARGE_DEPTH - 1, "index": 0}})
    );
}

/// A V2 field.
fn field(ty: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![ty, u8::try_from(value.len()).expect("short")];
    out.extend_from_slice(value);
    out
}

#[test]
fn a_verification_id_that_does_not_open() {
    // Correctly MACed, but the vid was not sealed under the chain's tag.
    let key = root_key();
    let tag0 = chain::start(&key, b"root-id");
    let vid = [1u8; third_party::VID_LEN];
    let tag1 = third_party::third_party_step(&tag0, &vid, b"a");
    let raw = [
        vec![2],
        field(2, b"root-id"),
        vec![0],
        field(2, b"a"),
        field(4, &vid),
        vec![0, 0],
        field(6, tag1.as_bytes()),
    ]
    .concat();
    let root = Token::from_bytes_as(Format::MacaroonV2, &raw, &Limits::default()).expect("root");
    let a = discharge(Format::MacaroonV2, b"key a", b"a", &[]).bind_to(&root);
    let e = error(&root, &[a]);
    assert_eq!(e.id(), "thirdPartyCaveatInvalid");
    assert_eq!(
        e.details(),
        json!({"caveat": {"discharge": null, "index": 0}})
    );
}

#[test]
fn the_crypto_matches_its_definition() {
    // vid = nonce || secretbox(tag, nonce, HMAC("macaroons-key-generator", caveat key)), and
    // the caveat key opens the discharge's chain.
    let root = macaroon_root(Format::MacaroonV2);
    let before = root.tag();
    let with = root
        .attenuate_third_party("tp", b"key a", b"a", &nonce(13))
        .expect("a");
    let tp = with.untrusted_third_party_caveats().next().expect("caveat");
    assert_eq!(&tp.vid[..24], &nonce(13));
    let expected = third_party::third_party_step(&before, tp.vid, b"a");
    assert!(expected.ct_eq(with.tag().as_bytes()));
    // Binding: HMAC(Z, HMAC(Z, root) || HMAC(Z, discharge)).
    let d = discharge(Format::MacaroonV2, b"key a", b"a", &[]);
    let z = Tag::from_bytes([0; 32]);
    let both = [
        chain::step(&z, with.tag().as_bytes()).as_bytes().to_vec(),
        chain::step(&z, d.tag().as_bytes()).as_bytes().to_vec(),
    ]
    .concat();
    assert_eq!(
        d.bind_to(&with).tag().to_hex(),
        chain::step(&z, &both).to_hex()
    );
    assert_eq!(
        third_party::bind_discharge(&with.tag(), &d.tag()).to_hex(),
        d.bind_to(&with).tag().to_hex()
    );
}

#[test]
fn refused_third_party_attenuations() {
    let id = |r: Result<Token, Error>| r.expect_err("refused").id().to_owned();
    #[cfg(feature = "onedata")]
    {
        let onedata = Token::mint_as(Format::Onedata, &root_key(), &identifier(), &[]).expect("od");
        assert_eq!(
            id(onedata.attenuate_third_party("tp", b"k", b"c", &nonce(1))),
            "badValueCaveat"
        );
    }
    let native = native_root();
    assert_eq!(
        id(native.attenuate_third_party("tp", b"k", b"", &nonce(1))),
        "badValueCaveat"
    );
    assert_eq!(
        id(native.attenuate_third_party("tp", b"", b"c", &nonce(1))),
        "badValueKey"
    );
    // A native third-party caveat cannot be smuggled in as raw first-party bytes (it would be
    // MACed with the wrong step).
    let with = native
        .attenuate_third_party("tp", b"k", b"c", &nonce(1))
        .expect("third-party");
    let bytes = with.caveat_bytes().last().expect("caveat").to_vec();
    assert_eq!(id(native.attenuate_raw(&bytes)), "badValueCaveat");
    // A malformed kind-15 caveat is a first-party caveat nobody understands.
    let mut malformed = bytes.clone();
    malformed.push(0);
    let t = native.attenuate_raw(&malformed).expect("raw");
    assert!(!t.is_third_party(1));
    assert_eq!(
        verifier()
            .verify(t, &root_key(), &ctx())
            .expect_err("unknown")
            .id(),
        "tokenCaveatUnknown"
    );
}

#[test]
fn errors_in_discharges_keep_their_id_and_name_the_discharge() {
    let root = macaroon_root(Format::MacaroonV2J)
        .attenuate_third_party("tp", b"k", b"c", &nonce(14))
        .expect("c");
    let d = discharge(Format::MacaroonV1, b"k", b"c", &["nobody satisfies this"]).bind_to(&root);
    let e = error(&root, &[d]);
    assert_eq!(e.id(), "tokenCaveatUnknown");
    assert_eq!(
        e.details(),
        json!({"index": 0, "caveat": "nobody satisfies this", "discharge": 0})
    );
    assert!(e.to_string().starts_with("In discharge #0:"), "{e}");
}

/// Exactly `MAX_DISCHARGES` discharges, each used once, verify: the limit refuses only more.
#[test]
fn exactly_the_maximum_number_of_discharges_verifies() {
    let mut root = macaroon_root(Format::MacaroonV2);
    for i in 0..MAX_DISCHARGES {
        let cid = format!("d{i}");
        root = root
            .attenuate_third_party("tp", b"k", cid.as_bytes(), &nonce(7))
            .expect("third party");
    }
    let discharges: Vec<Token> = (0..MAX_DISCHARGES)
        .map(|i| {
            discharge(Format::MacaroonV2, b"k", format!("d{i}").as_bytes(), &[]).bind_to(&root)
        })
        .collect();
    let ok = verifier()
        .verify_macaroon(root, &discharges, &root_key(), &ctx())
        .expect("the maximum is allowed");
    assert_eq!(ok.expires(), None);
}
