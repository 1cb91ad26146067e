//! The error JSON shape, `{"error":{"id","details","description"}}`, for every id the
//! engine produces.

use caveat_token::{DenialError, Detail, DischargeError, RevocationError, ValueError};
use std::borrow::Cow;

use caveat_token::{
    Caveat, Context, Error, Identifier, InviteType, Limits, RootKey, Subject, Token, TokenType,
    Verifier,
};
use caveat_token::{CaveatRef, ERROR_IDS};
use serde_json::{json, Value};

use crate::common::*;

// ---------------------------------------------------------------------------------------------
// Error JSON shape
// ---------------------------------------------------------------------------------------------

fn assert_error_json(err: &Error, id: &str) {
    assert_eq!(err.id(), id);
    let j = err.to_json();
    let obj = j.as_object().expect("object");
    assert_eq!(obj.len(), 1, "{j}");
    let inner = j["error"].as_object().expect("error object");
    let mut keys: Vec<&str> = inner.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, vec!["description", "details", "id"], "{j}");
    assert_eq!(inner["id"], json!(id));
    assert!(inner["details"].is_object(), "{j}");
    assert_eq!(inner["details"], err.details());
    let description = inner["description"].as_str().expect("description");
    assert!(!description.is_empty());
    assert_eq!(description, err.to_string());
    assert!(ERROR_IDS.contains(&id), "{id} is listed");
    // The JSON survives a text round trip unchanged.
    let reparsed: Value = serde_json::from_str(&j.to_string()).expect("json");
    assert_eq!(reparsed, j);
}

#[test]
fn error_json_shape_for_every_id_the_core_produces() {
    let key = key();
    let token = mint(&[Caveat::time(NOW + 10)]);
    let v = Verifier::new();
    let produced: Vec<(Error, &str)> = vec![
        (
            Token::from_text("", &Limits::default()).expect_err("e"),
            "badToken",
        ),
        (
            Token::from_bytes(
                token.as_bytes(),
                &Limits {
                    max_token_bytes: 10,
                    ..Limits::default()
                },
            )
            .expect_err("e"),
            "tokenTooLarge",
        ),
        (
            v.verify(token.clone(), &other_key(), &Context::at(NOW))
                .expect_err("e"),
            "tokenInvalid",
        ),
        (
            v.verify(
                token.attenuate_raw(&[0xf6]).expect("attenuate_raw"),
                &key,
                &Context::at(NOW),
            )
            .expect_err("e"),
            "tokenCaveatUnknown",
        ),
        (
            v.verify(token.clone(), &key, &Context::at(NOW + 10))
                .expect_err("e"),
            "tokenCaveatUnverified",
        ),
        (
            Caveat::from_json_str("{}").expect_err("e"),
            "badValueCaveat",
        ),
        (
            Token::mint(
                &key,
                &Identifier {
                    token_id: Cow::Borrowed("has space"),
                    ..identifier()
                },
                &[],
            )
            .expect_err("e"),
            "badValueIdentifier",
        ),
        (
            TokenType::parse("bearer").expect_err("e"),
            "badValueTokenType",
        ),
        (
            InviteType::parse("joinEverything").expect_err("e"),
            "badValueInviteType",
        ),
        (RootKey::from_hex("xyz").expect_err("e"), "badValueKey"),
        (Subject::parse("root").expect_err("e"), "badValueIdentifier"),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (err, id) in &produced {
        assert_error_json(err, id);
        seen.insert(*id);
    }
    assert_eq!(seen.len(), 10, "ten distinct ids produced by the core");

    // The remaining ids (for callers' policies and the Onedata layer) have the same shape.
    let constructed = [
        Error::Revocation(RevocationError::Revoked),
        Error::Value(ValueError::TimeCaveatRequired {
            max_ttl: Some(3600),
        }),
        Error::Denied(DenialError::NotAnAccessToken {
            received: Detail::new(TokenType::Identity),
        }),
        Error::Denied(DenialError::NotAnIdentityToken {
            received: Detail::new(TokenType::Access { session: None }),
        }),
        Error::Denied(DenialError::NotAnInviteToken {
            expected_invite_type: Some(InviteType::UserJoinGroup.name()),
            received: Detail::new(TokenType::Access { session: None }),
        }),
        // Third-party caveats and discharges (tests/macaroons/discharges.rs produces each of them).
        Error::Discharge(DischargeError::Missing {
            caveat: CaveatRef {
                discharge: None,
                index: 0,
            },
            cid: "cid".into(),
        }),
        Error::Discharge(DischargeError::Ambiguous {
            identifier: "cid".into(),
            discharges: [0, 1],
        }),
        Error::Discharge(DischargeError::Reused {
            discharge: 0,
            caveat: CaveatRef {
                discharge: None,
                index: 1,
            },
        }),
        Error::Discharge(DischargeError::Cycle {
            discharge: 0,
            caveat: CaveatRef {
                discharge: Some(0),
                index: 0,
            },
        }),
        Error::Discharge(DischargeError::TooDeep {
            max: 8,
            caveat: CaveatRef {
                discharge: Some(7),
                index: 0,
            },
        }),
        Error::Discharge(DischargeError::Unbound { discharge: 0 }),
        Error::Discharge(DischargeError::Invalid { discharge: 0 }),
        Error::Discharge(DischargeError::Unused {
            discharge: 0,
            identifier: "cid".into(),
        }),
        Error::Discharge(DischargeError::ThirdPartyCaveatInvalid {
            caveat: CaveatRef {
                discharge: None,
                index: 0,
            },
        }),
    ];
    for err in &constructed {
        assert_error_json(err, err.id());
        seen.insert(err.id());
    }
    assert_eq!(
        seen.len(),
        ERROR_IDS.len(),
        "every listed id was checked: {seen:?}"
    );

    // Details carry what the README promises.
    let unverified = &produced[4].0;
    assert_eq!(
        unverified.to_json(),
        json!({"error": {
            "id": "tokenCaveatUnverified",
            "details": {"index": 0, "caveat": {"type": "time", "validUntil": NOW + 10},
                        "reason": "expired", "validUntil": NOW + 10, "now": NOW + 10},
            "description": unverified.to_string(),
        }})
    );
    assert_eq!(produced[2].0.details(), json!({}));

    // The typed values inside an error are recovered as they were, not as JSON.
    match unverified {
        Error::Denied(DenialError::CaveatUnverified { caveat, .. }) => {
            assert_eq!(
                caveat.downcast_ref::<Caveat>(),
                Some(&Caveat::time(NOW + 10))
            );
            assert_eq!(caveat.downcast_ref::<TokenType<'static>>(), None);
        }
        other => panic!("expected a caveat denial, got {other:?}"),
    }
    // Every id's phase: the variant it comes in, from the one table.
    for id in caveat_token::ErrorId::ALL {
        assert!(ERROR_IDS.contains(&id.as_str()), "{id} listed");
        assert_eq!(id.as_str().parse::<caveat_token::ErrorId>(), Ok(*id));
    }
    assert_eq!(caveat_token::ErrorId::ALL.len(), ERROR_IDS.len());
}
