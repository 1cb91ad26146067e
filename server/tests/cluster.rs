//! Two nodes on one PostgreSQL database, each the real binary on its own loopback port: what
//! one node commits, the other enforces (revocations through the change log and `LISTEN`,
//! tokens it never saw through a read-through), and races between the nodes have one winner.

mod common;

use std::time::{Duration, Instant};

use common::{
    basic, report, request, time_caveat, token_of, verify_id, Db, Server, NAMED, TEMP, UNLIMITED,
};
use serde_json::json;

/// How long a change may take to reach the other node before the test gives up (the target is
/// 1 s; this bound only keeps a broken build from hanging).
const GIVE_UP: Duration = Duration::from_secs(10);

/// Two nodes on a fresh database with a user `alice`.
fn two_nodes(test: &str) -> Option<(Db, Server, Server)> {
    let db = Db::postgres(test)?;
    db.add_user("alice", "alice-pw");
    let a = Server::start(&db, &UNLIMITED, &[]);
    let b = Server::start(&db, &UNLIMITED, &[]);
    Some((db, a, b))
}

/// Polls `node` until `token` verifies as `expected`; the time it took.
fn until(node: &Server, token: &str, expected: &str) -> Duration {
    let start = Instant::now();
    loop {
        let got = verify_id(node, token);
        if got == expected {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < GIVE_UP,
            "{token} is still {got} on the other node, not {expected}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_revocation_or_generation_bump_on_one_node_is_enforced_by_the_other() {
    let Some((_db, a, b)) = two_nodes("propagation") else {
        return;
    };
    let auth = basic("alice", "alice-pw");
    let h = [("authorization", auth.as_str())];
    let mut delays = Vec::new();
    for round in 0..200 {
        if round % 2 == 0 {
            // A named token from A verifies on B (the log, or a read-through), then A revokes it.
            let created = a.post_json(NAMED, &h, &json!({"name": format!("t{round}")}));
            let token = token_of(&created);
            let id = created.json()["tokenId"].as_str().expect("id").to_owned();
            assert_eq!(verify_id(&b, &token), "ok", "round {round}");
            let path = format!("/api/v3/onezone/tokens/named/{id}");
            let r = request(a.addr, "PATCH", &path, &h, br#"{"revoked":true}"#);
            assert_eq!(r.status, 204, "{}", r.body);
            delays.push(until(&b, &token, "tokenRevoked"));
        } else {
            // A temporary token from A verifies on B, then A revokes them all.
            let token = token_of(&a.post_json(TEMP, &h, &json!({"caveats": [time_caveat(600)]})));
            assert_eq!(verify_id(&b, &token), "ok");
            assert_eq!(request(a.addr, "DELETE", TEMP, &h, b"").status, 204);
            delays.push(until(&b, &token, "tokenRevoked"));
        }
    }
    delays.sort();
    let p = |q: usize| delays[(delays.len() * q / 100).min(delays.len() - 1)];
    report(format_args!(
        "propagation from node A to node B over {} changes: p50 {:.1} ms, p99 {:.1} ms, \
         max {:.1} ms (target: 1 s)",
        delays.len(),
        p(50).as_secs_f64() * 1e3,
        p(99).as_secs_f64() * 1e3,
        delays[delays.len() - 1].as_secs_f64() * 1e3
    ));
    // Both nodes agree on every change at the end, and report the same last change.
    let health = |n: &Server| n.get("/health", &[]).json()["lastChange"].clone();
    assert!(common::eventually(GIVE_UP, || health(&a) == health(&b)));
}

#[test]
fn a_token_minted_right_after_a_revoke_all_verifies_at_once_on_the_other_node() {
    let Some((_db, a, b)) = two_nodes("newer_generation") else {
        return;
    };
    let auth = basic("alice", "alice-pw");
    let h = [("authorization", auth.as_str())];
    for _ in 0..50 {
        assert_eq!(request(a.addr, "DELETE", TEMP, &h, b"").status, 204);
        // B may not have the new generation from the log yet: it reads it through.
        let token = token_of(&a.post_json(TEMP, &h, &json!({"caveats": [time_caveat(600)]})));
        assert_eq!(verify_id(&b, &token), "ok");
    }
}

#[test]
fn a_key_rotated_and_retired_on_one_node_takes_effect_on_the_other() {
    let Some((db, a, b)) = two_nodes("keys") else {
        return;
    };
    let auth = basic("alice", "alice-pw");
    let h = [("authorization", auth.as_str())];
    let old = token_of(&a.post_json(NAMED, &h, &json!({"name": "old"})));
    let (ok, out, err) = db.cli(&["keys", "rotate"], "", &[]);
    assert!(ok, "{err}");
    let new_key = out.trim().to_owned();
    // B mints with the new key once it has followed the log, and A verifies what B minted.
    let mut minted = String::new();
    assert!(common::eventually(GIVE_UP, || {
        minted = token_of(&b.post_json(NAMED, &h, &json!({"name": format!("n{}", minted.len())})));
        let examined = b.post_json(
            "/api/v3/onezone/tokens/examine",
            &[],
            &json!({"token": minted}),
        );
        examined.json()["keyId"] == json!(new_key)
    }));
    assert_eq!(verify_id(&a, &minted), "ok");
    let old_key = a
        .post_json(
            "/api/v3/onezone/tokens/examine",
            &[],
            &json!({"token": old}),
        )
        .json()["keyId"]
        .as_str()
        .expect("keyId")
        .to_owned();
    let (ok, _, err) = db.cli(&["keys", "retire", &old_key], "", &[]);
    assert!(ok, "{err}");
    until(&a, &old, "tokenInvalid");
    until(&b, &old, "tokenInvalid");
    assert_eq!(verify_id(&b, &minted), "ok");
}

#[test]
fn a_removed_user_is_refused_on_every_node() {
    let Some((db, a, b)) = two_nodes("user_removed") else {
        return;
    };
    let auth = basic("alice", "alice-pw");
    let h = [("authorization", auth.as_str())];
    let named = token_of(&a.post_json(NAMED, &h, &json!({"name": "n"})));
    let temp = token_of(&a.post_json(TEMP, &h, &json!({"caveats": [time_caveat(600)]})));
    assert_eq!(verify_id(&b, &named), "ok");
    assert_eq!(verify_id(&b, &temp), "ok");
    let (ok, _, err) = db.cli(&["user", "remove", "alice"], "", &[]);
    assert!(ok, "{err}");
    for node in [&a, &b] {
        until(node, &named, "tokenInvalid");
        until(node, &temp, "tokenInvalid");
        assert_eq!(node.get(NAMED, &h).status, 401);
    }
}

fn form(server: &Server, path: &str, fields: &[(&str, &str)]) -> common::Resp {
    server.post_form(path, &[], fields)
}

fn login(node: &Server) -> (String, String) {
    let pair = form(
        node,
        "/token",
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-pw"),
        ],
    );
    assert_eq!(pair.status, 200, "{}", pair.body);
    let v = pair.json();
    (
        v["access_token"].as_str().expect("access").to_owned(),
        v["refresh_token"].as_str().expect("refresh").to_owned(),
    )
}

fn refresh(node: &Server, token: &str) -> common::Resp {
    form(
        node,
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
}

#[test]
fn revoke_racing_use_of_one_refresh_token_has_exactly_one_winner() {
    let Some((_db, a, b)) = two_nodes("refresh_race") else {
        return;
    };
    let (mut used_won, mut revoke_won) = (0, 0);
    for _ in 0..50 {
        let (_, token) = login(&a);
        let (used, revoked) = std::thread::scope(|scope| {
            let used = scope.spawn(|| refresh(&a, &token));
            let revoked = scope.spawn(|| form(&b, "/revoke", &[("token", &token)]));
            (used.join().expect("use"), revoked.join().expect("revoke"))
        });
        assert_eq!(revoked.status, 200, "{}", revoked.body);
        match used.status {
            200 => {
                // The use won: it rotated first, and the revocation then ended the family,
                // the tokens it just handed out included.
                used_won += 1;
                let v = used.json();
                let next = v["refresh_token"].as_str().expect("refresh");
                let access = v["access_token"].as_str().expect("access");
                assert_eq!(refresh(&a, next).json()["error"], "invalid_grant");
                until(&a, access, "tokenRevoked");
                until(&b, access, "tokenRevoked");
            }
            400 => {
                revoke_won += 1;
                assert_eq!(used.json()["error"], "invalid_grant", "{}", used.body);
            }
            other => panic!("refresh answered {other}: {}", used.body),
        }
        // Whoever won, the presented token is dead on both nodes.
        assert_eq!(refresh(&b, &token).json()["error"], "invalid_grant");
    }
    report(format_args!(
        "revoke against use, 50 rounds: the use won {used_won}, the revocation {revoke_won}"
    ));
    assert_eq!(used_won + revoke_won, 50);
}

#[test]
fn two_nodes_using_one_refresh_token_at_once_rotate_it_once() {
    let Some((_db, a, b)) = two_nodes("refresh_reuse") else {
        return;
    };
    for _ in 0..25 {
        let (_, token) = login(&a);
        let outcomes = std::thread::scope(|scope| {
            let on_a = scope.spawn(|| refresh(&a, &token));
            let on_b = scope.spawn(|| refresh(&b, &token));
            [on_a.join().expect("a"), on_b.join().expect("b")]
        });
        let winners: Vec<_> = outcomes.iter().filter(|r| r.status == 200).collect();
        assert_eq!(winners.len(), 1, "{outcomes:?}");
        let loser = outcomes.iter().find(|r| r.status != 200).expect("loser");
        assert_eq!(loser.json()["error"], "invalid_grant", "{}", loser.body);
        // The second use was a reuse: the whole family is revoked, the winner's tokens too.
        let v = winners[0].json();
        let next = v["refresh_token"].as_str().expect("refresh");
        assert_eq!(refresh(&b, next).json()["error"], "invalid_grant");
        until(
            &a,
            v["access_token"].as_str().expect("access"),
            "tokenRevoked",
        );
    }
}
