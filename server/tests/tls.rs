//! TLS to PostgreSQL: a cluster that accepts TLS connections only, a server that trusts the
//! CA that signed its certificate (`sslrootcert=` in the URL), and the connections that must
//! fail: another CA, no TLS, and `sslmode=require` without a CA to verify with.

mod common;

use common::pg::Cluster;
use common::{basic, Db, Server};
use serde_json::json;

#[test]
fn the_server_talks_to_postgresql_over_verified_tls_only() {
    if common::pg::base_url("tls").is_none() {
        return;
    }
    let cluster = Cluster::start_tls();
    let (ca, other_ca) = cluster.ca.clone().expect("a TLS cluster");
    let url = cluster.createdb("tls");
    let db = Db::at_url(format!("{url}?sslrootcert={ca}"));
    db.add_user("alice", "alice-pw");
    let server = Server::start(&db, &[], &[]);
    let auth = basic("alice", "alice-pw");
    let r = server.post_json(
        "/api/v3/onezone/user/tokens/named",
        &[("authorization", &auth)],
        &json!({"name": "n"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let r = server.post_json(
        "/api/v3/onezone/tokens/verify_access_token",
        &[],
        &json!({ "token": token }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(server.stop());

    let refused = |url: String| {
        let (ok, _, err) = Db::at_url(url).cli(&["user", "list"], "", &[]);
        assert!(!ok, "connected");
        err
    };
    // A server certificate that the CA given did not sign.
    let err = refused(format!("{url}?sslrootcert={other_ca}"));
    assert!(err.contains("certificate") || err.contains("TLS"), "{err}");
    // No TLS: the cluster refuses plain connections.
    let err = refused(url.clone());
    assert!(
        err.contains("no encryption") || err.contains("pg_hba"),
        "{err}"
    );
    // TLS without a CA to verify the server with is never attempted.
    let err = refused(format!("{url}?sslmode=require"));
    assert!(err.contains("sslrootcert"), "{err}");
}
