//! Fixtures shared by the token suites: a token with every kind of caveat, a context where they
//! all hold, a verifier with the application predicate they use, and the assertion on a
//! `tokenCaveatUnverified` denial.

use caveat_token::{Caveat, Context, Error, InviteType, Verifier};
use serde_json::json;

use crate::common::*;

pub(crate) fn all_kinds() -> Vec<Caveat> {
    vec![
        Caveat::time(NOW + 3600),
        caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8","2001:db8::/32"]}"#),
        caveat(r#"{"type":"inviteType","whitelist":["userJoinCluster","userJoinSpace"]}"#),
        caveat(r#"{"type":"app","name":"example.com/action","value":"read"}"#),
    ]
}

pub(crate) fn allowing_ctx() -> Context {
    Context::at(NOW)
        .with_ip(ip("10.1.2.3"))
        .with_invite_type(InviteType::UserJoinCluster)
        .with_attribute("example.com/action", "read")
}

pub(crate) fn action_verifier() -> Verifier {
    Verifier::new().with_predicate("example.com/action", |value, ctx| {
        ctx.attribute("example.com/action") == Some(value)
    })
}

/// Asserts `err` is `tokenCaveatUnverified` naming caveat `index` with JSON `caveat`.
pub(crate) fn assert_unverified(err: &Error, index: usize, caveat: &Caveat) {
    assert_eq!(err.id(), "tokenCaveatUnverified", "{err}");
    let details = err.details();
    assert_eq!(details["index"], json!(index), "{err}");
    assert_eq!(details["caveat"], caveat.to_json(), "{err}");
    assert_eq!(err.to_json()["error"]["details"], details);
    assert!(err.to_string().contains(&format!("#{index}")), "{err}");
}
