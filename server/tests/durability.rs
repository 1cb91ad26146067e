//! State across restarts and crashes: the binary is stopped (SIGTERM) or killed (SIGKILL) and
//! started again on the same SQLite file.

mod common;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{basic, time_caveat, token_of, try_request, verify_id, Db, Server, BIN, NAMED, TEMP};
use serde_json::json;

#[test]
fn a_restart_keeps_users_keys_named_tokens_generations_and_revocations() {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    let auth = basic("alice", "alice-pw");
    let h = [("authorization", auth.as_str())];

    let server = Server::start(&db, &[], &[]);
    let kept = token_of(&server.post_json(NAMED, &h, &json!({"name": "kept"})));
    let created = server.post_json(NAMED, &h, &json!({"name": "revoked"}));
    let revoked = token_of(&created);
    let revoked_id = created.json()["tokenId"].as_str().expect("id").to_owned();
    let path = format!("/api/v3/onezone/tokens/named/{revoked_id}");
    let r = common::request(server.addr, "PATCH", &path, &h, br#"{"revoked":true}"#);
    assert_eq!(r.status, 204);
    let old_temp = token_of(&server.post_json(TEMP, &h, &json!({"caveats": [time_caveat(600)]})));
    assert_eq!(
        common::request(server.addr, "DELETE", TEMP, &h, b"").status,
        204
    );
    let new_temp = token_of(&server.post_json(TEMP, &h, &json!({"caveats": [time_caveat(600)]})));
    let pair = server.post_form(
        "/token",
        &[],
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-pw"),
        ],
    );
    let family_access = token_of(&pair);
    let refresh = pair.json()["refresh_token"].as_str().expect("r").to_owned();
    assert_eq!(
        server
            .post_form("/revoke", &[], &[("token", &refresh)])
            .status,
        200
    );
    let list_before = server.get(NAMED, &h).json();
    assert!(server.stop(), "SIGTERM is a clean exit");

    let server = Server::start(&db, &[], &[]);
    assert_eq!(server.get(NAMED, &h).json(), list_before);
    assert_eq!(server.get(TEMP, &h).json(), json!({"generation": 1}));
    assert_eq!(verify_id(&server, &kept), "ok");
    assert_eq!(verify_id(&server, &new_temp), "ok");
    assert_eq!(verify_id(&server, &revoked), "tokenRevoked");
    assert_eq!(verify_id(&server, &old_temp), "tokenRevoked");
    assert_eq!(verify_id(&server, &family_access), "tokenRevoked");
    let r = server.post_form(
        "/token",
        &[],
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    );
    assert_eq!(r.json()["error"], "invalid_grant");
}

#[test]
fn kill_9_during_a_burst_of_creations_loses_no_token_a_client_received() {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    let auth = basic("alice", "alice-pw");
    let server = Server::start(&db, &[], &[]);
    let addr = server.addr;
    // Warm the password check so the burst is all creations.
    assert_eq!(server.get(NAMED, &[("authorization", &auth)]).status, 200);

    let received = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (received, stop, auth) = (Arc::clone(&received), Arc::clone(&stop), auth.clone());
            std::thread::spawn(move || {
                // Bounded: at most 500 creations per worker.
                for i in 0..500 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let body = json!({ "name": format!("w{w}-{i}") }).to_string();
                    let Ok(r) = try_request(
                        addr,
                        "POST",
                        NAMED,
                        &[
                            ("authorization", &auth),
                            ("content-type", "application/json"),
                        ],
                        body.as_bytes(),
                    ) else {
                        break;
                    };
                    if r.status != 201 {
                        break;
                    }
                    let v = r.json();
                    let pair = (
                        v["tokenId"].as_str().expect("id").to_owned(),
                        v["token"].as_str().expect("token").to_owned(),
                    );
                    received.lock().expect("lock").push(pair);
                }
            })
        })
        .collect();
    // Kill once a good number of tokens were handed out, while the workers are still going.
    assert!(common::eventually(
        std::time::Duration::from_secs(60),
        || received.lock().expect("lock").len() >= 40
    ));
    server.kill();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("worker");
    }
    let received = received.lock().expect("lock").clone();
    assert!(received.len() >= 40);

    let server = Server::start(&db, &[], &[]);
    let listed = server.get(NAMED, &[("authorization", &auth)]).json();
    let listed: Vec<&str> = listed["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for (id, token) in &received {
        assert!(listed.contains(&id.as_str()), "token {id} was lost");
        assert_eq!(verify_id(&server, token), "ok", "token {id}");
    }
}

fn key_id_of(server: &Server, token: &str) -> String {
    let r = server.post_json(
        "/api/v3/onezone/tokens/examine",
        &[],
        &json!({ "token": token }),
    );
    r.json()["keyId"].as_str().expect("keyId").to_owned()
}

#[test]
fn rotated_keys_keep_old_tokens_until_retired() {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    let h = [("authorization", basic("alice", "alice-pw"))];
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let server = Server::start(&db, &[], &[]);
    let old = token_of(&server.post_json(NAMED, &h, &json!({"name": "old"})));
    let old_key = key_id_of(&server, &old);
    assert!(server.stop());

    let (ok, out, err) = db.cli(&["keys", "rotate"], "", &[]);
    assert!(ok, "{err}");
    let new_key = out.trim().to_owned();
    assert_ne!(new_key, old_key);
    let (_, listing, _) = db.cli(&["keys", "list"], "", &[]);
    assert!(
        listing.contains(&old_key) && listing.contains(&new_key),
        "{listing}"
    );
    assert!(
        !listing.contains("sealed"),
        "no master key: plain ({listing})"
    );

    let server = Server::start(&db, &[], &[]);
    let new = token_of(&server.post_json(NAMED, &h, &json!({"name": "new"})));
    assert_eq!(key_id_of(&server, &new), new_key);
    assert_eq!(verify_id(&server, &old), "ok");
    assert!(server.stop());

    let (ok, _, err) = db.cli(&["keys", "retire", &old_key], "", &[]);
    assert!(ok, "{err}");
    let server = Server::start(&db, &[], &[]);
    assert_eq!(verify_id(&server, &old), "tokenInvalid");
    assert_eq!(verify_id(&server, &new), "ok");
}

#[test]
fn keys_sealed_under_the_master_key_need_it_to_start() {
    let db = Db::new();
    db.add_user("alice", "alice-pw");
    let master = "11".repeat(32);
    let env = [("CAVEAT_MASTER_KEY", master.as_str())];
    let server = Server::start(&db, &[], &env);
    let token = token_of(&server.post_json(
        NAMED,
        &[("authorization", &basic("alice", "alice-pw"))],
        &json!({"name": "n"}),
    ));
    assert!(server.stop());
    let (_, listing, _) = db.cli(&["keys", "list"], "", &[]);
    assert!(listing.contains("sealed"), "{listing}");

    for bad in [None, Some("22".repeat(32))] {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--database"])
            .arg(db.url())
            .env_remove("CAVEAT_MASTER_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(k) = &bad {
            cmd.env("CAVEAT_MASTER_KEY", k);
        }
        let out = cmd.output().expect("run");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("CAVEAT_MASTER_KEY"), "{err}");
        assert!(!err.contains(&master), "the key is never printed");
    }

    let server = Server::start(&db, &[], &env);
    assert_eq!(verify_id(&server, &token), "ok");
}
