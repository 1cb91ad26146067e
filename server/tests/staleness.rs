//! The change log on one node (SQLite): what the CLI changes while the server runs reaches it
//! without a restart, and a node that cannot follow the log fails closed with 503 until it can.

mod common;

use std::time::Duration;

use common::{basic, time_caveat, verify_id, Db, Server, NAMED, TEMP};
use serde_json::json;

/// The bound that keeps a broken build from hanging (the log is polled every 2 s).
const GIVE_UP: Duration = Duration::from_secs(15);

fn token_of(r: &common::Resp) -> String {
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["token"].as_str().expect("token").to_owned()
}

#[test]
fn what_the_cli_changes_reaches_the_running_server() {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    db.add_user("bob", "bob-pw");
    let server = Server::start(&db, &[], &[]);
    let alice = basic("alice", "alice-pw");
    let bob = basic("bob", "bob-pw");
    let named =
        token_of(&server.post_json(NAMED, &[("authorization", &alice)], &json!({"name": "n"})));
    let temp = token_of(&server.post_json(
        TEMP,
        &[("authorization", &alice)],
        &json!({"caveats": [time_caveat(600)]}),
    ));
    let bobs =
        token_of(&server.post_json(NAMED, &[("authorization", &bob)], &json!({"name": "b"})));
    assert_eq!(verify_id(&server, &named), "ok");
    assert_eq!(verify_id(&server, &temp), "ok");

    let (ok, _, err) = db.cli(&["user", "remove", "alice"], "", &[]);
    assert!(ok, "{err}");
    assert!(common::eventually(GIVE_UP, || verify_id(&server, &named) == "tokenInvalid"));
    assert!(common::eventually(GIVE_UP, || verify_id(&server, &temp) == "tokenInvalid"));
    assert_eq!(server.get(NAMED, &[("authorization", &alice)]).status, 401);

    // A key retired from the CLI stops verifying without a restart; a new one mints.
    let (ok, listing, err) = db.cli(&["keys", "list"], "", &[]);
    assert!(ok, "{err}");
    let old_key = listing.split('\t').next().expect("key id").to_owned();
    let (ok, _, err) = db.cli(&["keys", "rotate"], "", &[]);
    assert!(ok, "{err}");
    let (ok, _, err) = db.cli(&["keys", "retire", &old_key], "", &[]);
    assert!(ok, "{err}");
    assert!(common::eventually(GIVE_UP, || verify_id(&server, &bobs) == "tokenInvalid"));
    let fresh =
        token_of(&server.post_json(NAMED, &[("authorization", &bob)], &json!({"name": "c"})));
    assert_eq!(verify_id(&server, &fresh), "ok");
}

#[test]
fn a_node_that_cannot_follow_the_log_answers_503_until_it_can() {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    let server = Server::start(&db, &["--max-staleness", "1"], &[]);
    let auth = basic("alice", "alice-pw");
    let token =
        token_of(&server.post_json(NAMED, &[("authorization", &auth)], &json!({"name": "n"})));
    assert_eq!(verify_id(&server, &token), "ok");
    assert_eq!(server.get("/health", &[]).json()["status"], "ok");

    // A change of a kind this build does not know (as a newer node might write): the node
    // cannot apply it, so it stops following the log and goes stale.
    let conn = rusqlite::Connection::open(db.path()).expect("open");
    conn.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    let seq: i64 = conn
        .query_row(
            "UPDATE change_head SET seq = seq + 1 RETURNING seq",
            [],
            |r| r.get(0),
        )
        .expect("counter");
    conn.execute(
        "INSERT INTO change_log (seq, kind, subject) VALUES ($1, 'token.frobnicated', 'x')",
        rusqlite::params![seq],
    )
    .expect("insert");
    assert!(common::eventually(GIVE_UP, || server
        .get("/health", &[])
        .status
        == 503));
    let health = server.get("/health", &[]).json();
    assert_eq!(health["status"], "stale");
    assert!(health["lagSeconds"].as_f64().expect("lag") > 1.0);
    assert_eq!(verify_id(&server, &token), "serviceUnavailable");
    let r = server.get(NAMED, &[("authorization", &auth)]);
    assert_eq!(
        (r.status, r.error_id().as_str()),
        (503, "serviceUnavailable")
    );
    let r = server.get(NAMED, &[("x-auth-token", &token)]);
    assert_eq!(r.status, 503);
    let r = server.post_form(
        "/introspect",
        &[("authorization", &auth)],
        &[("token", &token)],
    );
    assert_eq!(r.status, 503);

    // Once the log is readable again, the node recovers by itself.
    conn.execute(
        "DELETE FROM change_log WHERE seq = $1",
        rusqlite::params![seq],
    )
    .expect("delete");
    conn.execute("UPDATE change_head SET seq = seq - 1", [])
        .expect("counter");
    assert!(common::eventually(GIVE_UP, || server
        .get("/health", &[])
        .status
        == 200));
    assert_eq!(verify_id(&server, &token), "ok");
}

#[test]
fn a_node_behind_a_pruned_log_reloads_a_snapshot() {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    db.add_user("bob", "bob-pw");
    let server = Server::start(&db, &["--max-staleness", "1"], &[]);
    let bob = basic("bob", "bob-pw");
    let bobs =
        token_of(&server.post_json(NAMED, &[("authorization", &bob)], &json!({"name": "b"})));
    assert_eq!(verify_id(&server, &bobs), "ok");

    // Hold the node at a change it cannot apply, remove bob meanwhile, then prune the log past
    // the node's place in one transaction: only a snapshot can tell it that bob's named token
    // is gone (the change that said so is deleted).
    let conn = rusqlite::Connection::open(db.path()).expect("open");
    conn.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    let blocker: i64 = conn
        .query_row(
            "UPDATE change_head SET seq = seq + 1 RETURNING seq",
            [],
            |r| r.get(0),
        )
        .expect("counter");
    conn.execute(
        "INSERT INTO change_log (seq, kind, subject) VALUES ($1, 'token.frobnicated', 'x')",
        rusqlite::params![blocker],
    )
    .expect("insert");
    assert!(common::eventually(GIVE_UP, || server
        .get("/health", &[])
        .status
        == 503));
    let (ok, _, err) = db.cli(&["user", "remove", "bob"], "", &[]);
    assert!(ok, "{err}");
    conn.execute(
        "DELETE FROM change_log WHERE seq < (SELECT seq FROM change_head WHERE id = 1)",
        [],
    )
    .expect("prune");
    assert!(common::eventually(GIVE_UP, || server
        .get("/health", &[])
        .status
        == 200));
    assert_eq!(verify_id(&server, &bobs), "tokenInvalid");
    let (ok, out, err) = db.cli(&["log", "prune", "--keep", "1"], "", &[]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "0", "only the last change was left");
}
