//! Restrictions reach the caller: the `api` and `data.readonly` caveats that clearing lets pass
//! (the service enforces them operation by operation) are on the verified token in every format
//! (native, Onedata, macaroon V1/V2/V2J) and from every discharge, never dropped.

use caveat_token::caveat::{Gri, Operation, ServiceKind};
use caveat_token::{
    Caveat, Context, Format, Identifier, Persistence, Restrictions, RootKey, Subject, Token,
    TokenType, Verifier,
};

const NOW: u64 = 1_700_000_000;
const API: &str = r#"{"type":"api","whitelist":["ozw/get/usr.*.*:*"]}"#;
const READONLY: &str = r#"{"type":"data.readonly"}"#;

fn key() -> RootKey {
    RootKey::from_bytes(b"restrictions test key").expect("key")
}

fn restrictive() -> Vec<Caveat> {
    vec![
        Caveat::from_json_str(API).expect("api"),
        Caveat::from_json_str(READONLY).expect("data.readonly"),
    ]
}

fn identifier() -> Identifier<'static> {
    Identifier {
        location: "onezone.example.com".into(),
        key_id: None,
        token_id: "r-1".into(),
        subject: Subject::User("alice".into()),
        token_type: TokenType::Access { session: None },
        persistence: Persistence::Named,
    }
}

fn verifier() -> Verifier {
    Verifier::new().with_data_access_caveats(true)
}

/// The restrictions carry exactly the two caveats, from `discharge`, and they act: an operation
/// outside the api whitelist is refused, writes are refused.
fn assert_restricted(r: &Restrictions, discharge: Option<usize>, format: &str) {
    let caveats: Vec<String> = r.iter().map(|x| x.caveat().to_json().to_string()).collect();
    assert_eq!(
        caveats,
        [
            serde_json::json!({"type":"api","whitelist":["ozw/get/usr.*.*:*"]}).to_string(),
            serde_json::json!({"type":"data.readonly"}).to_string()
        ],
        "{format}"
    );
    assert!(r.iter().all(|x| x.at().discharge == discharge), "{format}");
    let allowed = Gri::parse("usr.u1.instance:private").expect("gri");
    r.check_api(ServiceKind::OzWorker, Operation::Get, &allowed)
        .expect("get is whitelisted");
    let err = r
        .check_api(ServiceKind::OzWorker, Operation::Delete, &allowed)
        .expect_err("delete is not");
    assert_eq!(err.id(), "tokenCaveatUnverified", "{format}");
    assert_eq!(err.details()["reason"], "operationNotAllowed", "{format}");
    let access = r.data_access();
    assert!(access.is_readonly() && !access.allows_write(), "{format}");
}

#[test]
fn native_and_onedata_tokens_expose_their_restrictions() {
    for format in [Format::Native, Format::Onedata] {
        let token = Token::mint_as(format, &key(), &identifier(), &restrictive()).expect("mint");
        let v = verifier()
            .verify_text(&token.to_text(), &key(), &Context::at(NOW))
            .expect("verifies");
        assert_restricted(v.restrictions(), None, format.name());
        // Without the verifier's permission, data access is a denial, not a silent pass.
        let err = Verifier::new()
            .verify_text(&token.to_text(), &key(), &Context::at(NOW))
            .expect_err("refused");
        assert_eq!(err.details()["reason"], "dataAccessNotAllowed");
    }
}

#[test]
fn macaroon_format_tokens_expose_their_restrictions() {
    for format in [Format::MacaroonV1, Format::MacaroonV2, Format::MacaroonV2J] {
        let token = Token::mint_macaroon(format, &key(), "svc", b"opaque-id", &restrictive())
            .expect("mint");
        let text = token.to_text();
        let v = verifier()
            .verify_macaroon_text(&text, &[], &key(), &Context::at(NOW))
            .expect("verifies");
        assert_restricted(v.restrictions(), None, format.name());
        // The same through the any-format entry point.
        let any = verifier()
            .verify_any_text(&text, &[], &key(), &Context::at(NOW))
            .expect("verifies");
        assert_restricted(any.restrictions(), None, format.name());
    }
}

#[test]
fn restrictions_in_a_discharge_reach_the_caller() {
    let caveat_key = b"third party caveat key";
    for (root_format, discharge_format) in [
        (Format::Native, Format::MacaroonV2),
        (Format::MacaroonV1, Format::MacaroonV1),
        (Format::MacaroonV2J, Format::MacaroonV2),
    ] {
        let root = if root_format == Format::Native {
            Token::mint(&key(), &identifier(), &[]).expect("mint")
        } else {
            Token::mint_macaroon(root_format, &key(), "svc", b"root", &[]).expect("mint")
        }
        .attenuate_third_party("tp.example", caveat_key, b"cid-1", &[9; 24])
        .expect("third-party caveat");
        let discharge = Token::mint_macaroon(
            discharge_format,
            &RootKey::from_bytes(caveat_key).expect("key"),
            "tp.example",
            b"cid-1",
            &restrictive(),
        )
        .expect("discharge")
        .bind_to(&root);
        let v = verifier()
            .verify_any(root.clone(), &[discharge], &key(), &Context::at(NOW))
            .expect("verifies");
        assert_restricted(v.restrictions(), Some(0), root_format.name());
    }
}

/// Two-step verification (signature, then clearing) yields the same restrictions.
#[test]
fn signed_then_cleared_keeps_the_restrictions() {
    let token = Token::mint(&key(), &identifier(), &restrictive()).expect("mint");
    let signed = verifier().check_signature(&token, &key()).expect("signed");
    assert_eq!(signed.identifier().expect("identifier"), identifier());
    let v = verifier()
        .clear(signed, &Context::at(NOW))
        .expect("cleared");
    assert_restricted(v.restrictions(), None, "native, two steps");
}
