//! The `caveat` command line with the Onedata profile: the Onedata format, the Onedata caveat
//! set, token-type expectations and revocation, driven as a script would drive the binary.

use caveat_token::{
    Caveat, Format, Identifier, InviteType, Limits, Persistence, RootKey, Subject, Token, TokenType,
};
use serde_json::{json, Value};

use crate::cli_common::{caveat, token_of, Run};

/// The secret the tokens of these tests are minted with (text, as Onedata's secrets are).
const SECRET: &str = "cli-onedata-secret";
const NOW: u64 = 1_700_000_000;
const LATER: u64 = NOW + 3600;

/// The 18 tokens Onedata froze at release 20.02.20, with their secrets and fields.
fn compat_vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/spec/vectors/onedata/compat-20.02.json"
    );
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read compat vectors"))
            .expect("compat vectors are JSON");
    let vectors = file["vectors"].as_array().expect("vectors").clone();
    assert_eq!(vectors.len(), 18);
    vectors
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// The compat vector whose token id ends in `suffix` (vectors 1–4 have distinct ids).
fn compat(suffix: &str) -> Value {
    compat_vectors()
        .into_iter()
        .find(|v| s(&v["parsed_identifier"]["id"]).ends_with(suffix))
        .expect("vector")
}

/// The JSON form of a type written the Onedata way (`act`, `act:S`, `idn`, `ujs:T:P`).
fn onedata_type_json(text: &str) -> Value {
    let parts: Vec<&str> = text.split(':').collect();
    match parts.as_slice() {
        ["act"] => json!({"accessToken": {}}),
        ["act", session] => json!({"accessToken": {"sessionId": session}}),
        ["idn"] => json!({"identityToken": {}}),
        [code, target, params] => TokenType::Invite {
            invite_type: InviteType::from_onedata_code(code).expect("invite code"),
            target: (*target).into(),
            params: (*params).into(),
        }
        .to_json(),
        _ => panic!("unexpected type {text}"),
    }
}

/// `mint --format onedata --key SECRET …`.
fn mint(extra: &[&str]) -> String {
    let mut args = vec!["mint", "--format", "onedata", "--key", SECRET];
    args.extend_from_slice(extra);
    let token = token_of(&caveat(&args));
    assert!(token.starts_with("MDA"), "{token}");
    token
}

/// `mint` of a named token `id` of `token_type` for usr-alice, with caveats (JSON).
fn mint_with(id: &str, token_type: &str, caveats: &[&str]) -> String {
    let mut args = vec!["--subject", "usr-alice", "--type", token_type, "--id", id];
    for c in caveats {
        args.extend_from_slice(&["--caveat", c]);
    }
    mint(&args)
}

/// `verify TOKEN --key SECRET --now NOW …`.
fn verify(token: &str, extra: &[&str]) -> Run {
    let now = NOW.to_string();
    let mut args = vec!["verify", token, "--key", SECRET, "--now", &now];
    args.extend_from_slice(extra);
    caveat(&args)
}

/// Asserts a rejection with `id` and returns the error details.
fn rejected(run: &Run, id: &str) -> Value {
    assert_eq!(run.error_id(1), id, "{}", run.stdout);
    run.json()["error"]["details"].clone()
}

/// Asserts a usage error with the error JSON `id` on stdout and returns the details.
fn bad_value(run: &Run, id: &str) -> Value {
    assert_eq!(run.error_id(2), id, "{}", run.stdout);
    run.json()["error"]["details"].clone()
}

/// Asserts a usage error reported on stderr (nothing on stdout), exit 2.
fn usage_on_stderr(run: &Run) {
    assert_eq!(run.code, 2, "stdout: {} stderr: {}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    assert!(!run.stderr.is_empty());
}

#[test]
fn compat_tokens_inspect_as_onedata_with_their_fields() {
    for v in compat_vectors() {
        let token = s(&v["token"]);
        let got = caveat(&["inspect", token]).ok();
        let p = &v["parsed_identifier"];
        let subject = match s(&p["subject"]["type"]) {
            "user" => format!("usr-{}", s(&p["subject"]["id"])),
            "oneprovider" => format!("prv-{}", s(&p["subject"]["id"])),
            other => panic!("subject type {other}"),
        };
        let persistence = match s(&p["persistence"]) {
            "named" => json!("named"),
            "temporary" => json!({"temporary": {"generation": p["generation"]}}),
            other => panic!("persistence {other}"),
        };
        assert_eq!(got["unverified"], true);
        assert_eq!(got["format"], "onedata", "{token}");
        assert_eq!(
            got["identifier"],
            json!({
                "location": v["location"],
                "keyId": null,
                "id": p["id"],
                "subject": subject,
                "type": onedata_type_json(s(&p["type"])),
                "persistence": persistence,
            })
        );
        assert_eq!(got["tag"], v["signature_hex"]);
        // Each caveat shown as JSON is the caveat the token carries as text.
        let texts: Vec<&str> = v["caveats"]
            .as_array()
            .expect("caveats")
            .iter()
            .map(s)
            .collect();
        let shown = got["caveats"].as_array().expect("caveats");
        assert_eq!(shown.len(), texts.len());
        for (json, text) in shown.iter().zip(&texts) {
            let c = Caveat::from_json(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(c.to_text(), *text);
        }
    }
}

#[test]
fn compat_invite_tokens_verify_with_their_secret() {
    let invites: Vec<Value> = compat_vectors()
        .into_iter()
        .filter(|v| v["caveats"].as_array().is_some_and(Vec::is_empty))
        .collect();
    assert_eq!(invites.len(), 14);
    for v in &invites {
        let token = s(&v["token"]);
        let secret = s(&v["secret"]);
        let p = &v["parsed_identifier"];
        let code = s(&p["type"]).split(':').next().expect("code");
        let invite_type = InviteType::from_onedata_code(code).expect("code").name();
        let run = caveat(&["verify", token, "--key", secret, "--now", "0"]);
        let got = run.ok();
        assert_eq!(
            got,
            json!({
                "ok": true,
                "subject": "usr-invitation-sender",
                "type": onedata_type_json(s(&p["type"])),
                "expires": null,
                "format": "onedata",
                "tokenId": p["id"],
                "persistence": "named",
                "deferredCaveats": [],
            })
        );
        // The base contract's keys come first.
        assert!(run.stdout.starts_with(r#"{"ok":true,"subject":"#));
        // The secret as hex is the same key.
        let hex_secret = hex::encode(secret.as_bytes());
        caveat(&["verify", token, "--key-hex", &hex_secret, "--now", "0"]).ok();
        // Expectations: its own invite type, any invite; not access or identity.
        let exact = format!("invite:{invite_type}");
        for ok in ["invite", exact.as_str()] {
            caveat(&["verify", token, "--key", secret, "--expect", ok]).ok();
        }
        let run = caveat(&["verify", token, "--key", secret, "--expect", "access"]);
        assert_eq!(
            rejected(&run, "notAnAccessToken"),
            json!({"received": onedata_type_json(s(&p["type"]))})
        );
        // Another secret: tokenInvalid, with nothing said.
        let run = caveat(&["verify", token, "--key", "verySecretSecret9"]);
        assert_eq!(rejected(&run, "tokenInvalid"), json!({}));
    }
    // One secret does not open another's tokens.
    let first = &invites[0];
    let run = caveat(&["verify", s(&first["token"]), "--key", "verySecretSecret1"]);
    assert_eq!(run.error_id(1), "tokenInvalid");
}

#[test]
fn compat_tokens_with_caveats_verify_then_fail_closed() {
    // The signature verifies (a wrong secret would be tokenInvalid); the first caveat the
    // command cannot satisfy fails closed: it has no geo/ASN source.
    for (suffix, ip, index, kind) in [
        ("1234567890a", "172.98.11.23", 2, "asn"),
        ("1234567890c", "172.98.11.23", 0, "geo.region"),
        ("1234567890d", "11.101.11.234", 0, "geo.country"),
    ] {
        let v = compat(suffix);
        let token = s(&v["token"]);
        let secret = s(&v["secret"]);
        let run = caveat(&["verify", token, "--key", secret, "--now", "0", "--ip", ip]);
        let details = rejected(&run, "tokenCaveatUnverified");
        assert_eq!(details["index"], index, "{suffix}");
        assert_eq!(details["caveat"]["type"], kind, "{suffix}");
        let run = caveat(&["verify", token, "--key", "verySecretSecret9", "--now", "0"]);
        assert_eq!(run.error_id(1), "tokenInvalid");
    }
}

#[test]
fn compat_authorization_none_is_refused_by_design() {
    // The compat vector `1234567890b` (named access token) with every other caveat up to it
    // satisfied.
    let v = compat("1234567890b");
    assert!(v["caveats"]
        .as_array()
        .expect("caveats")
        .contains(&json!("authorization = none")));
    let token = s(&v["token"]);
    let run = caveat(&[
        "verify",
        token,
        "--key",
        s(&v["secret"]),
        "--now",
        "0",
        "--allow-data-access-caveats",
        "--interface",
        "graphsync",
        "--consumer",
        "usr-user-id",
        "--service",
        "ozw-onezone",
        "--expect",
        "access",
    ]);
    assert_eq!(
        rejected(&run, "tokenCaveatUnverified"),
        json!({"index": 7, "caveat": {"type": "authorizationNone"},
               "reason": "notAllowedForTokenType", "tokenType": "access"})
    );
    // Each satisfied flag mattered: dropping one fails earlier, at its caveat.
    for (drop, index) in [
        ("--allow-data-access-caveats", 0),
        ("--interface", 4),
        ("--consumer", 5),
        ("--service", 6),
    ] {
        let mut args = vec![
            "verify",
            token,
            "--key",
            s(&v["secret"]),
            "--now",
            "0",
            "--allow-data-access-caveats",
            "--interface",
            "graphsync",
            "--consumer",
            "usr-user-id",
            "--service",
            "ozw-onezone",
        ];
        let at = args.iter().position(|a| *a == drop).expect("flag");
        let n = if drop.starts_with("--allow") { 1 } else { 2 };
        args.drain(at..at + n);
        let details = rejected(&caveat(&args), "tokenCaveatUnverified");
        assert_eq!(details["index"], index, "without {drop}");
    }
    // A token of our own with that caveat is refused in any context too.
    let t = mint_with("an-1", "access", &[r#"{"type":"authorizationNone"}"#]);
    assert_eq!(
        rejected(&verify(&t, &[]), "tokenCaveatUnverified"),
        json!({"index": 0, "caveat": {"type": "authorizationNone"},
               "reason": "notAllowedForTokenType", "tokenType": "access"})
    );
}

#[test]
fn compat_tokens_revocation_through_the_cli() {
    // The compat vector `1234567890a`: temporary, generation 7. Revocation is checked before
    // the caveats, so the outcome shows even though its caveats cannot all hold here.
    let v = compat("1234567890a");
    let (token, secret) = (s(&v["token"]), s(&v["secret"]));
    let gen = |n: &str| caveat(&["verify", token, "--key", secret, "--current-generation", n]);
    assert_eq!(gen("8").error_id(1), "tokenRevoked");
    assert_eq!(gen("6").error_id(1), "tokenInvalid");
    assert_eq!(gen("7").error_id(1), "tokenCaveatUnverified");
    // The compat vector `1234567890b`: named.
    let v = compat("1234567890b");
    let (token, secret) = (s(&v["token"]), s(&v["secret"]));
    let id = s(&v["parsed_identifier"]["id"]);
    let run = caveat(&["verify", token, "--key", secret, "--revoked", id]);
    assert_eq!(rejected(&run, "tokenRevoked"), json!({}));
    let run = caveat(&["verify", token, "--key", secret, "--revoked", "other"]);
    assert_eq!(run.error_id(1), "tokenCaveatUnverified");
}

#[test]
fn compat_tokens_attenuate_keeping_their_format() {
    let v = compat_vectors()
        .into_iter()
        .find(|v| s(&v["parsed_identifier"]["type"]) == "ujs:SpaceId:")
        .expect("ujs vector");
    let (token, secret) = (s(&v["token"]), s(&v["secret"]));
    let time = format!(r#"{{"type":"time","validUntil":{LATER}}}"#);
    let narrowed = token_of(&caveat(&["attenuate", token, "--caveat", &time]));
    assert!(narrowed.starts_with("MDA"));
    // The old bytes are kept; the new caveat is its Onedata text.
    let decoded = Token::from_text(&narrowed, &Limits::default()).expect("decode");
    assert_eq!(decoded.format(), Format::Onedata);
    let texts: Vec<&[u8]> = decoded.caveat_bytes().collect();
    let expected = format!("time < {LATER}");
    assert_eq!(texts, vec![expected.as_bytes()]);
    // --format onedata is accepted and changes nothing.
    assert_eq!(
        narrowed,
        token_of(&caveat(&[
            "attenuate",
            token,
            "--caveat",
            &time,
            "--format",
            "onedata"
        ]))
    );
    let now = NOW.to_string();
    let got = caveat(&["verify", &narrowed, "--key", secret, "--now", &now]).ok();
    assert_eq!(got["expires"], LATER);
    assert_eq!(got["format"], "onedata");
    let late = LATER.to_string();
    let run = caveat(&["verify", &narrowed, "--key", secret, "--now", &late]);
    assert_eq!(
        rejected(&run, "tokenCaveatUnverified"),
        json!({"index": 0, "caveat": {"type": "time", "validUntil": LATER},
               "reason": "expired", "validUntil": LATER, "now": LATER})
    );
    // The format cannot be changed: a usage error, before any caveat is added.
    let run = caveat(&["attenuate", token, "--caveat", &time, "--format", "native"]);
    usage_on_stderr(&run);
    assert!(run.stderr.contains("onedata"), "{}", run.stderr);
}

#[test]
fn mint_onedata_attenuate_verify_inspect_round_trip() {
    let until = NOW + 600;
    let time = format!(r#"{{"type":"time","validUntil":{until}}}"#);
    let token = mint(&[
        "--subject",
        "usr-alice",
        "--type",
        "invite:userJoinSpace:space-1",
        "--temporary",
        "3",
        "--now",
        &NOW.to_string(),
        "--id",
        "tok-od-1",
        "--location",
        "onezone.example.com",
        "--caveat",
        &time,
    ]);

    // The command mints what the library mints from the same inputs, byte for byte.
    let key = RootKey::from_bytes(SECRET.as_bytes()).expect("key");
    let identifier = Identifier {
        location: "onezone.example.com".into(),
        key_id: None,
        token_id: "tok-od-1".into(),
        subject: Subject::User("alice".into()),
        token_type: TokenType::Invite {
            invite_type: InviteType::UserJoinSpace,
            target: "space-1".into(),
            params: "".into(),
        },
        persistence: Persistence::Temporary { generation: 3 },
    };
    let lib =
        Token::mint_as(Format::Onedata, &key, &identifier, &[Caveat::time(until)]).expect("mint");
    assert_eq!(token, lib.to_text());
    assert_eq!(
        lib.identifier_bytes(),
        b"2/tmp-3/usr-alice/ujs:space-1:/tok-od-1"
    );

    let narrowed = token_of(&caveat(&[
        "attenuate",
        &token,
        "--caveat",
        r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#,
        "--caveat",
        r#"{"type":"consumer","whitelist":["usr-bob","prv-*"]}"#,
    ]));
    assert!(narrowed.starts_with("MDA"));
    let decoded = Token::from_text(&narrowed, &Limits::default()).expect("decode");
    let texts: Vec<String> = decoded
        .caveat_bytes()
        .map(|b| String::from_utf8(b.to_vec()).expect("text"))
        .collect();
    assert_eq!(
        texts,
        [
            format!("time < {until}"),
            "ip = 10.0.0.0/8".to_owned(),
            "consumer = usr-bob|prv-*".to_owned(),
        ]
    );

    let inspected = caveat(&["inspect", &narrowed]).ok();
    assert_eq!(
        inspected,
        json!({
            "unverified": true,
            "format": "onedata",
            "identifier": {
                "location": "onezone.example.com",
                "keyId": null,
                "id": "tok-od-1",
                "subject": "usr-alice",
                "type": {"inviteToken": {"inviteType": "userJoinSpace", "spaceId": "space-1"}},
                "persistence": {"temporary": {"generation": 3}},
            },
            "caveats": [
                {"type": "time", "validUntil": until},
                {"type": "ip", "whitelist": ["10.0.0.0/8"]},
                {"type": "consumer", "whitelist": ["usr-bob", "prv-*"]},
            ],
            "tag": decoded.tag().to_hex(),
        })
    );

    let ok = [
        "--ip",
        "10.2.3.4",
        "--consumer",
        "usr-bob",
        "--expect",
        "invite:userJoinSpace",
        "--current-generation",
        "3",
    ];
    let got = verify(&narrowed, &ok).ok();
    assert_eq!(
        got,
        json!({
            "ok": true,
            "subject": "usr-alice",
            "type": {"inviteToken": {"inviteType": "userJoinSpace", "spaceId": "space-1"}},
            "expires": until,
            "format": "onedata",
            "tokenId": "tok-od-1",
            "persistence": {"temporary": {"generation": 3}},
            "deferredCaveats": [],
        })
    );
    // From stdin too.
    let now = NOW.to_string();
    let mut args = vec!["verify", "-", "--key", SECRET, "--now", &now];
    args.extend_from_slice(&ok);
    let piped = crate::cli_common::caveat_stdin(&args, format!("{narrowed}\n").as_bytes()).ok();
    assert_eq!(piped, got);
    // The unattenuated token verifies without the ip and consumer.
    verify(&token, &[]).ok();

    // Access tokens with a session, and identity tokens, in the Onedata format too.
    let t = mint(&[
        "--subject",
        "prv-p1",
        "--type",
        "access:sess-1",
        "--id",
        "a-1",
    ]);
    let decoded = Token::from_text(&t, &Limits::default()).expect("decode");
    assert_eq!(decoded.identifier_bytes(), b"2/nmd/prv-p1/act:sess-1/a-1");
    assert_eq!(
        verify(&t, &["--expect", "access"]).ok()["type"],
        json!({"accessToken": {"sessionId": "sess-1"}})
    );
    let t = mint_with("i-1", "identity", &[]);
    assert_eq!(
        verify(&t, &["--expect", "identity"]).ok()["type"],
        json!({"identityToken": {}})
    );
}

#[test]
fn expect_flag_allows_its_kind_and_rejects_the_others() {
    let access = mint_with("e-act", "access", &[]);
    let identity = mint_with("e-idn", "identity", &[]);
    let invite = mint_with("e-inv", "invite:userJoinSpace:sp-1", &[]);
    let access_json = json!({"accessToken": {}});
    let identity_json = json!({"identityToken": {}});
    let invite_json = json!({"inviteToken": {"inviteType": "userJoinSpace", "spaceId": "sp-1"}});

    // Allowing.
    verify(&access, &["--expect", "access"]).ok();
    verify(&identity, &["--expect", "identity"]).ok();
    verify(&invite, &["--expect", "invite"]).ok();
    verify(&invite, &["--expect", "invite:userJoinSpace"]).ok();
    // No expectation accepts any kind.
    for t in [&access, &identity, &invite] {
        verify(t, &[]).ok();
    }

    // Denying, with what was received.
    let run = verify(&identity, &["--expect", "access"]);
    assert_eq!(
        rejected(&run, "notAnAccessToken"),
        json!({"received": identity_json})
    );
    let run = verify(&invite, &["--expect", "access"]);
    assert_eq!(
        rejected(&run, "notAnAccessToken"),
        json!({"received": invite_json})
    );
    let run = verify(&access, &["--expect", "identity"]);
    assert_eq!(
        rejected(&run, "notAnIdentityToken"),
        json!({"received": access_json})
    );
    let run = verify(&access, &["--expect", "invite"]);
    assert_eq!(
        rejected(&run, "notAnInviteToken"),
        json!({"expectedInviteType": null, "received": access_json})
    );
    let run = verify(&invite, &["--expect", "invite:groupJoinSpace"]);
    assert_eq!(
        rejected(&run, "notAnInviteToken"),
        json!({"expectedInviteType": "groupJoinSpace", "received": invite_json})
    );

    // The expectation is checked after the signature: a wrong key is still tokenInvalid.
    let run = caveat(&["verify", &identity, "--key", "wrong", "--expect", "access"]);
    assert_eq!(run.error_id(1), "tokenInvalid");

    // An invite:TYPE expectation stands for the requested invite type of inviteType caveats.
    let limited = mint_with(
        "e-lim",
        "invite:userJoinSpace:sp-1",
        &[r#"{"type":"inviteType","whitelist":["userJoinSpace"]}"#],
    );
    verify(&limited, &["--expect", "invite:userJoinSpace"]).ok();
    let run = verify(&limited, &["--expect", "invite"]);
    assert_eq!(rejected(&run, "tokenCaveatUnverified")["index"], 0);

    // The same flag works on native tokens.
    let native = token_of(&caveat(&[
        "mint",
        "--key",
        SECRET,
        "--subject",
        "usr-alice",
        "--type",
        "identity",
    ]));
    assert!(native.starts_with("cvt1_"));
    verify(&native, &["--expect", "identity"]).ok();
    assert_eq!(
        verify(&native, &["--expect", "access"]).error_id(1),
        "notAnAccessToken"
    );
}

#[test]
fn revoked_flag_revokes_the_listed_named_tokens() {
    let t = mint_with("named-1", "access", &[]);
    verify(&t, &["--revoked", "named-2"]).ok();
    verify(&t, &["--revoked", "named-2", "--revoked", "named-10"]).ok();
    let run = verify(&t, &["--revoked", "named-1"]);
    assert_eq!(rejected(&run, "tokenRevoked"), json!({}));
    let run = verify(&t, &["--revoked", "named-2", "--revoked", "named-1"]);
    assert_eq!(run.error_id(1), "tokenRevoked");
    // Revocation comes after the signature and before the caveats.
    let run = caveat(&["verify", &t, "--key", "wrong", "--revoked", "named-1"]);
    assert_eq!(run.error_id(1), "tokenInvalid");
    let expired = mint_with("named-3", "access", &[r#"{"type":"time","validUntil":5}"#]);
    assert_eq!(
        verify(&expired, &["--revoked", "named-3"]).error_id(1),
        "tokenRevoked"
    );
    assert_eq!(
        verify(&expired, &["--revoked", "named-1"]).error_id(1),
        "tokenCaveatUnverified"
    );
    // A temporary token is revoked by generation, not one by one.
    let time = format!(r#"{{"type":"time","validUntil":{LATER}}}"#);
    let tmp = mint(&[
        "--subject",
        "usr-alice",
        "--type",
        "access",
        "--temporary",
        "1",
        "--now",
        &NOW.to_string(),
        "--id",
        "tmp-1",
        "--caveat",
        &time,
    ]);
    verify(&tmp, &["--revoked", "tmp-1"]).ok();
}

#[test]
fn current_generation_flag_revokes_older_temporary_tokens() {
    let time = format!(r#"{{"type":"time","validUntil":{LATER}}}"#);
    let t = mint(&[
        "--subject",
        "usr-alice",
        "--type",
        "access",
        "--temporary",
        "5",
        "--now",
        &NOW.to_string(),
        "--caveat",
        &time,
    ]);
    verify(&t, &[]).ok();
    let got = verify(&t, &["--current-generation", "5"]).ok();
    assert_eq!(got["persistence"], json!({"temporary": {"generation": 5}}));
    // The subject's generation was bumped: this token is revoked.
    let run = verify(&t, &["--current-generation", "6"]);
    assert_eq!(rejected(&run, "tokenRevoked"), json!({}));
    assert_eq!(
        verify(&t, &["--current-generation", "18446744073709551615"]).error_id(1),
        "tokenRevoked"
    );
    // A token from a generation that does not exist yet is invalid.
    assert_eq!(
        verify(&t, &["--current-generation", "4"]).error_id(1),
        "tokenInvalid"
    );
    assert_eq!(
        verify(&t, &["--current-generation", "0"]).error_id(1),
        "tokenInvalid"
    );
    // Named tokens are not affected by generations.
    let named = mint_with("g-named", "access", &[]);
    verify(&named, &["--current-generation", "6"]).ok();
}

#[test]
fn interface_caveat_through_the_cli() {
    let t = mint_with(
        "if-1",
        "access",
        &[r#"{"type":"interface","interface":"rest"}"#],
    );
    verify(&t, &["--interface", "rest"]).ok();
    for other in ["oneclient", "graphsync"] {
        let run = verify(&t, &["--interface", other]);
        assert_eq!(
            rejected(&run, "tokenCaveatUnverified"),
            json!({"index": 0, "caveat": {"type": "interface", "interface": "rest"},
                   "reason": "interfaceMismatch", "interface": other})
        );
    }
    // No interface given: fails closed.
    assert_eq!(verify(&t, &[]).error_id(1), "tokenCaveatUnverified");
    // Identity tokens may carry it too.
    let t = mint_with(
        "if-2",
        "identity",
        &[r#"{"type":"interface","interface":"graphsync"}"#],
    );
    verify(&t, &["--interface", "graphsync"]).ok();
    assert_eq!(
        verify(&t, &["--interface", "rest"]).error_id(1),
        "tokenCaveatUnverified"
    );
}

#[test]
fn service_caveat_through_the_cli() {
    let caveat_json = json!({"type": "service", "whitelist": ["ozw-onezone", "opw-*"]});
    let t = mint_with("sv-1", "access", &[&caveat_json.to_string()]);
    for ok in ["ozw-onezone", "opw-p1", "opw-krakow"] {
        verify(&t, &["--service", ok]).ok();
    }
    for denied in ["ozw-other", "ozp-onezone", "opp-p1"] {
        let run = verify(&t, &["--service", denied]);
        assert_eq!(
            rejected(&run, "tokenCaveatUnverified"),
            json!({"index": 0, "caveat": caveat_json,
                   "reason": "serviceNotListed", "service": denied}),
            "{denied}"
        );
    }
    assert_eq!(verify(&t, &[]).error_id(1), "tokenCaveatUnverified");
    // Not a caveat identity tokens may carry: refused even where it would hold.
    let t = mint_with("sv-2", "identity", &[&caveat_json.to_string()]);
    assert_eq!(
        verify(&t, &["--service", "ozw-onezone"]).error_id(1),
        "tokenCaveatUnverified"
    );
}

#[test]
fn consumer_caveat_through_the_cli() {
    let caveat_json = json!({"type": "consumer", "whitelist": ["usr-bob", "prv-*", "grp-g1"]});
    let t = mint_with("cs-1", "access", &[&caveat_json.to_string()]);
    for ok in ["usr-bob", "prv-p1", "prv-any"] {
        verify(&t, &["--consumer", ok]).ok();
    }
    for denied in ["usr-carol", "usr-bobby", "usr-g1"] {
        let run = verify(&t, &["--consumer", denied]);
        assert_eq!(
            rejected(&run, "tokenCaveatUnverified"),
            json!({"index": 0, "caveat": caveat_json,
                   "reason": "consumerNotListed", "consumer": denied}),
            "{denied}"
        );
    }
    assert_eq!(verify(&t, &[]).error_id(1), "tokenCaveatUnverified");
    // Invite tokens may carry consumer caveats.
    let t = mint_with(
        "cs-2",
        "invite:userJoinGroup:g-7",
        &[r#"{"type":"consumer","whitelist":["usr-carol"]}"#],
    );
    verify(&t, &["--consumer", "usr-carol"]).ok();
    assert_eq!(
        verify(&t, &["--consumer", "usr-bob"]).error_id(1),
        "tokenCaveatUnverified"
    );
}

#[test]
fn data_access_caveats_need_the_flag_and_are_reported() {
    let readonly = json!({"type": "data.readonly"});
    let path = json!({"type": "data.path", "whitelist": ["L3MxL2Rpcg=="]});
    let objectid = json!({"type": "data.objectid", "whitelist": ["0000000000ABCDEF"]});
    let api = json!({"type": "api", "whitelist": ["all/get/*.*.*:*"]});
    for (i, c) in [&readonly, &path, &objectid].into_iter().enumerate() {
        let t = mint_with(&format!("da-{i}"), "access", &[&c.to_string()]);
        // Refused without the flag …
        let run = verify(&t, &[]);
        assert_eq!(
            rejected(&run, "tokenCaveatUnverified"),
            json!({"index": 0, "caveat": c, "reason": "dataAccessNotAllowed"})
        );
        // … accepted with it, and handed back for the caller to enforce.
        let got = verify(&t, &["--allow-data-access-caveats"]).ok();
        assert_eq!(got["deferredCaveats"], json!([c]));
    }
    // All together, after other caveats, with an api caveat (which always holds at
    // verification and is checked per operation: it is reported too).
    let t = mint_with(
        "da-all",
        "access",
        &[
            &format!(r#"{{"type":"time","validUntil":{LATER}}}"#),
            &api.to_string(),
            &readonly.to_string(),
            &path.to_string(),
            &objectid.to_string(),
        ],
    );
    let run = verify(&t, &[]);
    assert_eq!(
        rejected(&run, "tokenCaveatUnverified"),
        json!({"index": 2, "caveat": readonly, "reason": "dataAccessNotAllowed"})
    );
    let got = verify(&t, &["--allow-data-access-caveats"]).ok();
    assert_eq!(
        got["deferredCaveats"],
        json!([api, readonly, path, objectid])
    );
    assert_eq!(got["expires"], LATER);
    // Data-access caveats are for access tokens only: refused on an identity token even with
    // the flag.
    let t = mint_with("da-idn", "identity", &[&readonly.to_string()]);
    assert_eq!(
        verify(&t, &["--allow-data-access-caveats"]).error_id(1),
        "tokenCaveatUnverified"
    );
}

#[test]
fn inspect_shows_the_text_of_an_onedata_caveat_it_cannot_read() {
    let t = mint_with("odd-1", "access", &[]);
    let token = Token::from_text(&t, &Limits::default()).expect("decode");
    // Not the canonical text of a time caveat (leading zero).
    let odd = token
        .attenuate_raw(b"time < 0100")
        .expect("attenuate")
        .to_text();
    let got = caveat(&["inspect", &odd]).ok();
    assert_eq!(
        got["caveats"],
        json!([{"unknown": hex::encode("time < 0100"), "text": "time < 0100"}])
    );
    let run = verify(&odd, &[]);
    assert_eq!(
        rejected(&run, "tokenCaveatUnknown"),
        json!({"index": 0, "caveat": "time < 0100"})
    );
    // Bytes that are not text: hex only.
    let binary = token
        .attenuate_raw(&[0xff, 0x00])
        .expect("attenuate")
        .to_text();
    let got = caveat(&["inspect", &binary]).ok();
    assert_eq!(got["caveats"], json!([{"unknown": "ff00"}]));
}

#[test]
fn usage_errors_exit_2() {
    let t = mint_with("u-1", "access", &[]);
    let mint_base = ["mint", "--key", SECRET, "--subject", "usr-a", "--type"];

    // clap: malformed command lines, message on stderr.
    let mut bad_format = mint_base.to_vec();
    bad_format.extend_from_slice(&["access", "--format", "json"]);
    caveat(&bad_format).clap_usage_error();
    let mut no_format = mint_base.to_vec();
    no_format.extend_from_slice(&["access", "--format"]);
    caveat(&no_format).clap_usage_error();
    caveat(&[
        "attenuate",
        &t,
        "--format",
        "cbor",
        "--caveat",
        r#"{"type":"data.readonly"}"#,
    ])
    .clap_usage_error();
    for n in ["-1", "seven", "18446744073709551616"] {
        caveat(&["verify", &t, "--key", SECRET, "--current-generation", n]).clap_usage_error();
    }
    caveat(&["verify", &t, "--key", SECRET, "--revoked"]).clap_usage_error();
    caveat(&[
        "verify",
        &t,
        "--key",
        SECRET,
        "--allow-data-access-caveats=yes",
    ])
    .clap_usage_error();
    caveat(&["verify", &t, "--key", SECRET, "--key-hex", "00"]).clap_usage_error();
    caveat(&["verify", &t]).clap_usage_error();

    // Values the library refuses: the error JSON on stdout, exit 2, whatever the token.
    let v = |extra: &[&str]| {
        let mut args = vec!["verify", "not-a-token", "--key", SECRET];
        args.extend_from_slice(extra);
        caveat(&args)
    };
    bad_value(&v(&["--expect", "refresh"]), "badValueTokenType");
    bad_value(&v(&["--expect", "Access"]), "badValueTokenType");
    assert_eq!(
        bad_value(
            &v(&["--expect", "invite:joinEverything"]),
            "badValueInviteType"
        ),
        json!({"value": "joinEverything"})
    );
    bad_value(&v(&["--expect", "invite:"]), "badValueInviteType");
    assert_eq!(
        bad_value(&v(&["--interface", "ftp"]), "badValueCaveat")["key"],
        "interface"
    );
    for service in ["onezone", "xyz-onezone", "opw-*", "opw-", "opw-a/b"] {
        assert_eq!(
            bad_value(&v(&["--service", service]), "badValueCaveat")["key"],
            "service",
            "{service}"
        );
    }
    for consumer in ["grp-g1", "usr-*", "bob", "usr-", "prv-a b"] {
        assert_eq!(
            bad_value(&v(&["--consumer", consumer]), "badValueIdentifier")["key"],
            "consumer",
            "{consumer}"
        );
    }
    bad_value(
        &caveat(&["verify", "not-a-token", "--key", ""]),
        "badValueKey",
    );

    // The Onedata format has no place for a key id.
    let mut key_id = mint_base.to_vec();
    key_id.extend_from_slice(&["access", "--format", "onedata", "--key-id", "k1"]);
    let details = bad_value(&caveat(&key_id), "badValueIdentifier");
    assert_eq!(details["key"], "keyId");
    // The native format has one.
    let mut native = mint_base.to_vec();
    native.extend_from_slice(&["access", "--format", "native", "--key-id", "k1"]);
    assert!(token_of(&caveat(&native)).starts_with("cvt1_"));

    // attenuate --format of another format: a usage error on stderr.
    let native_token = token_of(&caveat(&native));
    let run = caveat(&[
        "attenuate",
        &native_token,
        "--format",
        "onedata",
        "--caveat",
        r#"{"type":"data.readonly"}"#,
    ]);
    usage_on_stderr(&run);
    // A bad caveat is reported before the format (a value the library refuses) …
    let run = caveat(&[
        "attenuate",
        &native_token,
        "--format",
        "onedata",
        "--caveat",
        r#"{"type":"data.path","whitelist":["not base64"]}"#,
    ]);
    assert_eq!(run.error_id(2), "badValueCaveat");
    // … and a token that does not decode is a rejection.
    let run = caveat(&[
        "attenuate",
        "MDAxx",
        "--format",
        "onedata",
        "--caveat",
        r#"{"type":"data.readonly"}"#,
    ]);
    assert_eq!(run.error_id(1), "badToken");
}

#[test]
fn malformed_onedata_tokens_are_rejected_with_json() {
    let good = mint_with("m-1", "access", &[]);
    let flipped = {
        // Change one base64 character of the signature region (the end of the text).
        let mut chars: Vec<char> = good.chars().collect();
        let i = chars.len() - 3;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let run = verify(&flipped, &[]);
    let id = run.error_id(1);
    assert!(id == "tokenInvalid" || id == "badToken", "{id}");
    for garbage in [
        "MDA",
        "MDA!",
        "opw-MDAyMGxvY2F00aW9u",
        &format!("{good}_"),
        &good[..good.len() - 4],
    ] {
        for run in [
            caveat(&["inspect", garbage]),
            verify(garbage, &[]),
            caveat(&[
                "attenuate",
                garbage,
                "--caveat",
                r#"{"type":"data.readonly"}"#,
            ]),
        ] {
            let id = run.error_id(1);
            assert!(
                ["badToken", "tokenTooLarge"].contains(&id.as_str()),
                "{garbage}: {id}"
            );
        }
    }
}
