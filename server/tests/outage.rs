//! Failures of a many-node deployment on PostgreSQL, with the real binary on loopback ports:
//! PostgreSQL stopped under load (the nodes fail closed, then catch up), and a node killed with
//! kill -9 in the middle of a burst of changes (nothing a client was told succeeded is lost).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::pg::Cluster;
use common::{
    basic, report, request, time_caveat, try_request, verify_id, Db, Server, NAMED, TEMP,
    UNLIMITED, VERIFY,
};
use serde_json::json;

/// The bound that keeps a broken build from hanging (the nodes need 2 s to go stale here and a
/// few to reconnect).
const GIVE_UP: Duration = Duration::from_secs(30);

fn token_of(r: &common::Resp) -> String {
    assert!(
        r.status == 201 || r.status == 200,
        "{} {}",
        r.status,
        r.body
    );
    r.json()["token"].as_str().expect("token").to_owned()
}

fn until(node: &Server, token: &str, expected: &str) {
    assert!(
        common::eventually(GIVE_UP, || verify_id(node, token) == expected),
        "{token} never became {expected}: {}",
        verify_id(node, token)
    );
}

fn health(node: &Server) -> u16 {
    node.get("/health", &[]).status
}

#[test]
fn postgresql_stopped_under_load_fails_closed_and_the_nodes_catch_up() {
    if common::pg::base_url("postgresql_stopped").is_none() {
        return;
    }
    let cluster = Cluster::start();
    let db = Db::on_postgres(&cluster.url);
    db.add_user("alice", "alice-pw");
    let args = [&UNLIMITED[..], &["--max-staleness", "2"]].concat();
    let a = Server::start(&db, &args, &[]);
    let b = Server::start(&db, &args, &[]);
    let auth = basic("alice", "alice-pw");
    let h = [("authorization", auth.as_str())];

    let named = |name: &str| {
        let r = a.post_json(NAMED, &h, &json!({ "name": name }));
        (
            token_of(&r),
            r.json()["tokenId"].as_str().expect("id").to_owned(),
        )
    };
    let revoke = |id: &str| {
        let path = format!("/api/v3/onezone/tokens/named/{id}");
        let r = request(a.addr, "PATCH", &path, &h, br#"{"revoked":true}"#);
        assert_eq!(r.status, 204, "{}", r.body);
    };
    let (active, _) = named("active");
    let (revoked, revoked_id) = named("revoked");
    revoke(&revoked_id);
    let old_temp = token_of(&a.post_json(TEMP, &h, &json!({"caveats": [time_caveat(600)]})));
    assert_eq!(request(a.addr, "DELETE", TEMP, &h, b"").status, 204);
    let new_temp = token_of(&a.post_json(TEMP, &h, &json!({"caveats": [time_caveat(600)]})));
    for node in [&a, &b] {
        until(node, &revoked, "tokenRevoked");
        until(node, &old_temp, "tokenRevoked");
        assert_eq!(verify_id(node, &active), "ok");
    }

    // Load on both nodes for the whole outage: revoked tokens are never accepted, the active
    // one is accepted or refused with 503, nothing else.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let load: Vec<_> = [a.addr, b.addr]
        .into_iter()
        .map(|addr| {
            let (stop, seen) = (Arc::clone(&stop), Arc::clone(&seen));
            let tokens = [active.clone(), revoked.clone(), old_temp.clone()];
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    for (n, token) in tokens.iter().enumerate() {
                        let body = json!({ "token": token }).to_string();
                        let h = [("content-type", "application/json")];
                        let r = request(addr, "POST", VERIFY, &h, body.as_bytes());
                        let got = if r.status == 200 {
                            "ok".into()
                        } else {
                            r.error_id()
                        };
                        let allowed: &[&str] = if n == 0 {
                            &["ok", "serviceUnavailable"]
                        } else {
                            &["tokenRevoked", "serviceUnavailable"]
                        };
                        assert!(allowed.contains(&got.as_str()), "{token}: {got}");
                        seen.lock().expect("seen").push(got);
                    }
                }
            })
        })
        .collect();

    // A revocation committed just before the outage.
    let (last, last_id) = named("last");
    revoke(&last_id);
    cluster.pause();
    let down = Instant::now();
    for node in [&a, &b] {
        assert!(common::eventually(GIVE_UP, || health(node) == 503));
        assert_eq!(verify_id(node, &active), "serviceUnavailable");
        let r = node.post_json(NAMED, &h, &json!({"name": "during"}));
        assert_eq!(
            (r.status, r.error_id().as_str()),
            (503, "serviceUnavailable")
        );
        let r = node.get(NAMED, &[("x-auth-token", active.as_str())]);
        assert_eq!(r.status, 503, "{}", r.body);
        assert!(r.header("retry-after").is_some());
    }
    report(format_args!(
        "PostgreSQL stopped: both nodes answer 503 after {:.1} s (--max-staleness 2)",
        down.elapsed().as_secs_f64()
    ));

    cluster.resume();
    let up = Instant::now();
    for node in [&a, &b] {
        assert!(common::eventually(GIVE_UP, || health(node) == 200));
    }
    report(format_args!(
        "PostgreSQL restarted: both nodes in sync again after {:.1} s",
        up.elapsed().as_secs_f64()
    ));
    stop.store(true, Ordering::Relaxed);
    for l in load {
        l.join().expect("no wrong answer under load");
    }
    let seen = seen.lock().expect("seen");
    assert!(
        seen.iter().any(|s| s == "serviceUnavailable"),
        "the load ran through the outage"
    );
    for node in [&a, &b] {
        assert_eq!(verify_id(node, &active), "ok");
        assert_eq!(verify_id(node, &revoked), "tokenRevoked");
        assert_eq!(verify_id(node, &old_temp), "tokenRevoked");
        assert_eq!(verify_id(node, &new_temp), "ok");
        assert_eq!(verify_id(node, &last), "tokenRevoked");
        assert_eq!(node.get(NAMED, &h).status, 200);
    }
}

/// What the clients of the burst were told.
#[derive(Default)]
struct Acknowledged {
    /// Named tokens created (token, id).
    created: Vec<(String, String)>,
    /// Ids whose revocation was answered 204.
    revoked: Vec<String>,
    /// Temporary tokens minted before a revoke-all that was answered 204.
    bumped: Vec<String>,
}

#[test]
fn a_node_killed_during_a_burst_loses_nothing_a_client_was_told() {
    let Some(db) = Db::postgres("killed_node") else {
        return;
    };
    db.add_user("alice", "alice-pw");
    let a = Server::start(&db, &UNLIMITED, &[]);
    let b = Server::start(&db, &UNLIMITED, &[]);
    let auth = basic("alice", "alice-pw");
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let addr = a.addr;
    let named_clients: Vec<_> = (0..3)
        .map(|client| {
            let (acked, auth) = (Arc::clone(&acked), auth.clone());
            std::thread::spawn(move || {
                let h = [("authorization", auth.as_str())];
                for n in 0.. {
                    let body = json!({ "name": format!("c{client}-{n}") }).to_string();
                    let Ok(r) = try_request(addr, "POST", NAMED, &h, body.as_bytes()) else {
                        return;
                    };
                    assert_eq!(r.status, 201, "{}", r.body);
                    let v = r.json();
                    let id = v["tokenId"].as_str().expect("id").to_owned();
                    let token = v["token"].as_str().expect("token").to_owned();
                    acked
                        .lock()
                        .expect("acked")
                        .created
                        .push((token, id.clone()));
                    if n % 2 == 1 {
                        let path = format!("/api/v3/onezone/tokens/named/{id}");
                        match try_request(addr, "PATCH", &path, &h, br#"{"revoked":true}"#) {
                            Ok(r) if r.status == 204 => {
                                acked.lock().expect("acked").revoked.push(id)
                            }
                            Ok(r) => panic!("revoke: {} {}", r.status, r.body),
                            Err(_) => return,
                        }
                    }
                }
            })
        })
        .collect();
    let temp_client = {
        let (acked, auth) = (Arc::clone(&acked), auth.clone());
        std::thread::spawn(move || {
            let h = [("authorization", auth.as_str())];
            loop {
                let body = json!({"caveats": [time_caveat(600)]}).to_string();
                let Ok(r) = try_request(addr, "POST", TEMP, &h, body.as_bytes()) else {
                    return;
                };
                let token = token_of(&r);
                match try_request(addr, "DELETE", TEMP, &h, b"") {
                    Ok(r) if r.status == 204 => acked.lock().expect("acked").bumped.push(token),
                    Ok(r) => panic!("revoke-all: {} {}", r.status, r.body),
                    Err(_) => return,
                }
            }
        })
    };
    // Let the burst run, then kill -9 the node in the middle of it.
    assert!(common::eventually(GIVE_UP, || {
        let a = acked.lock().expect("acked");
        a.created.len() >= 60 && a.bumped.len() >= 10
    }));
    a.kill();
    for c in named_clients {
        c.join().expect("client");
    }
    temp_client.join().expect("client");

    // A node started now loads everything committed; the survivor catches up to the same
    // last change before the check.
    let restarted = Server::start(&db, &UNLIMITED, &[]);
    let last_change = |n: &Server| n.get("/health", &[]).json()["lastChange"].clone();
    let head = last_change(&restarted);
    assert!(common::eventually(GIVE_UP, || last_change(&b) == head));
    let acked = acked.lock().expect("acked");
    let check = |node: &Server| {
        for (token, id) in &acked.created {
            let expected = if acked.revoked.contains(id) {
                "tokenRevoked"
            } else {
                "ok"
            };
            let got = verify_id(node, token);
            // A revocation that committed but was never answered may show too.
            assert!(
                got == expected || got == "tokenRevoked",
                "{id}: {got}, not {expected}"
            );
        }
        for token in &acked.bumped {
            assert_eq!(verify_id(node, token), "tokenRevoked");
        }
        let listing = node.get(NAMED, &[("authorization", auth.as_str())]).json();
        let listed = listing["tokens"].as_array().expect("tokens");
        for (_, id) in &acked.created {
            assert!(listed.contains(&json!(id)), "{id} is not listed");
        }
    };
    check(&b);
    check(&restarted);
    report(format_args!(
        "kill -9 during the burst: {} creations, {} revocations and {} revoke-alls acknowledged, \
         none lost",
        acked.created.len(),
        acked.revoked.len(),
        acked.bumped.len()
    ));
}
