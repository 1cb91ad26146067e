//! Caveat failures name the caveat: an expired token, a client address or invite type that a
//! caveat does not allow (or a context that lacks it), and the first failing caveat.

use caveat_token::{Context, InviteType};

use crate::common::*;
use crate::fixtures::*;

// ---------------------------------------------------------------------------------------------
// Caveat failures name the caveat
// ---------------------------------------------------------------------------------------------

#[test]
fn expired_token_is_caveat_unverified_naming_the_caveat() {
    let cavs = all_kinds();
    let token = mint(&cavs);
    let verifier = action_verifier();
    let key = key();
    for now in [NOW + 3600, NOW + 3601, u64::MAX] {
        let ctx = allowing_ctx().with_now(now);
        let err = verifier
            .verify(token.clone(), &key, &ctx)
            .expect_err("expired");
        assert_unverified(&err, 0, &cavs[0]);
    }
    verifier
        .verify(token, &key, &allowing_ctx().with_now(NOW + 3599))
        .expect("one second before");
}

#[test]
fn wrong_or_missing_ip_is_caveat_unverified() {
    let cavs = all_kinds();
    let token = mint(&cavs);
    let verifier = action_verifier();
    let key = key();
    let denied = [
        Some("11.0.0.1"),         // v4 outside
        Some("9.255.255.255"),    // v4 just below
        Some("2001:db9::1"),      // v6 outside
        Some("::ffff:11.0.0.1"),  // IPv4-mapped v6 outside
        Some("::ffff:192.0.2.1"), // IPv4-mapped v6 outside
        Some("::10.1.2.3"),       // IPv4-compatible (deprecated) is not mapped
        Some("64:ff9b::a01:203"), // NAT64 of 10.1.2.3 is not mapped either
        None,                     // unknown client: fails closed
    ];
    for client in denied {
        let mut ctx = allowing_ctx();
        ctx = ctx.with_ip_opt(client.map(ip));
        let err = verifier
            .verify(token.clone(), &key, &ctx)
            .expect_err(&format!("{client:?}"));
        assert_unverified(&err, 1, &cavs[1]);
    }
    for client in [
        "10.1.2.3",
        "10.255.255.255",
        "::ffff:10.1.2.3",
        "2001:db8::1",
    ] {
        let ctx = allowing_ctx().with_ip(ip(client));
        verifier
            .verify(token.clone(), &key, &ctx)
            .unwrap_or_else(|e| panic!("{client}: {e}"));
    }
}

#[test]
fn wrong_or_missing_invite_type_is_caveat_unverified() {
    let cavs = all_kinds();
    let token = mint(&cavs);
    let verifier = action_verifier();
    let key = key();
    let mut missing = allowing_ctx();
    missing = missing.with_invite_type_opt(None);
    let err = verifier
        .verify(token.clone(), &key, &missing)
        .expect_err("missing");
    assert_unverified(&err, 2, &cavs[2]);
    for t in InviteType::ALL {
        let ctx = allowing_ctx().with_invite_type(*t);
        let res = verifier.verify(token.clone(), &key, &ctx);
        if matches!(t, InviteType::UserJoinCluster | InviteType::UserJoinSpace) {
            res.unwrap_or_else(|e| panic!("{t}: {e}"));
        } else {
            assert_unverified(&res.expect_err(t.name()), 2, &cavs[2]);
        }
    }
}

#[test]
fn first_failing_caveat_is_the_one_named() {
    // Both the ip (index 1) and the invite type (index 2) fail: the first in chain order wins.
    let cavs = all_kinds();
    let token = mint(&cavs);
    let ctx = Context::at(NOW)
        .with_ip(ip("192.0.2.1"))
        .with_attribute("example.com/action", "read");
    let err = action_verifier()
        .verify(token, &key(), &ctx)
        .expect_err("denied");
    assert_unverified(&err, 1, &cavs[1]);
}
