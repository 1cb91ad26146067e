//! The `caveat` command line, driven as a script would drive it: JSON on stdout, exit 0 on
//! success, 1 when a token is rejected, 2 on usage errors, never a crash.

use std::ffi::OsStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use caveat_token::{
    Caveat, Context, Identifier, InviteType, Limits, Persistence, RootKey, Subject, Token,
    TokenType, Verifier,
};
use serde_json::{json, Value};

use crate::cli_common::{caveat, caveat_stdin, token_of, Run};

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const OTHER_KEY: &str = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NOW: u64 = 1_700_000_000;

/// Mints with the fixed key; `extra` adds flags.
fn mint(extra: &[&str]) -> String {
    let mut args = vec!["mint", "--key-hex", KEY];
    args.extend_from_slice(extra);
    token_of(&caveat(&args))
}

fn verify(token: &str, extra: &[&str]) -> Run {
    let mut args = vec!["verify", token, "--key-hex", KEY];
    args.extend_from_slice(extra);
    caveat(&args)
}

fn now_flag(now: u64) -> String {
    now.to_string()
}

#[test]
fn keygen_prints_distinct_random_hex_keys() {
    let a = caveat(&["keygen"]).ok();
    let b = caveat(&["keygen"]).ok();
    for v in [&a, &b] {
        assert_eq!(v.as_object().map(|o| o.len()), Some(1), "{v}");
        let key = v["key"].as_str().expect("key");
        assert_eq!(key.len(), 64);
        assert!(key
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
    }
    assert_ne!(a["key"], b["key"]);
    // The key works for minting and verifying.
    let key = a["key"].as_str().expect("key");
    let token = token_of(&caveat(&[
        "mint",
        "--key-hex",
        key,
        "--subject",
        "usr-alice",
        "--type",
        "identity",
    ]));
    let v = caveat(&["verify", &token, "--key-hex", key]).ok();
    assert_eq!(v["ok"], true);
}

#[test]
fn mint_attenuate_inspect_verify_round_trip() {
    let valid_until = NOW + 3600;
    let token = mint(&[
        "--key-id",
        "2026-11",
        "--subject",
        "usr-alice",
        "--type",
        "invite:userJoinCluster:c-42",
        "--temporary",
        "7",
        "--now",
        &now_flag(NOW),
        "--id",
        "tok-0001",
        "--location",
        "auth.example.com",
        "--caveat",
        &format!(r#"{{"type":"time","validUntil":{valid_until}}}"#),
    ]);
    assert!(token.starts_with("cvt1_"));

    // The CLI mints exactly what the library mints from the same inputs.
    let key = RootKey::from_hex(KEY).expect("key");
    let identifier = Identifier {
        location: "auth.example.com".into(),
        key_id: Some("2026-11".into()),
        token_id: "tok-0001".into(),
        subject: Subject::User("alice".into()),
        token_type: TokenType::Invite {
            invite_type: InviteType::UserJoinCluster,
            target: "c-42".into(),
            params: "".into(),
        },
        persistence: Persistence::Temporary { generation: 7 },
    };
    let lib_token = Token::mint(&key, &identifier, &[Caveat::time(valid_until)]).expect("mint");
    assert_eq!(token, lib_token.to_text());

    let narrowed = token_of(&caveat(&[
        "attenuate",
        &token,
        "--caveat",
        r#"{"type":"ip","whitelist":["10.0.0.0/8","2001:db8::/32"]}"#,
        "--caveat",
        r#"{"type":"inviteType","whitelist":["userJoinCluster"]}"#,
    ]));
    assert_ne!(narrowed, token);

    let inspected = caveat(&["inspect", &narrowed]).ok();
    let lib = Token::from_text(&narrowed, &Limits::default()).expect("decode");
    assert_eq!(
        inspected,
        json!({
            "unverified": true,
            "format": "native",
            "identifier": {
                "location": "auth.example.com",
                "keyId": "2026-11",
                "id": "tok-0001",
                "subject": "usr-alice",
                "type": {"inviteToken": {"inviteType": "userJoinCluster", "clusterId": "c-42"}},
                "persistence": {"temporary": {"generation": 7}},
            },
            "caveats": [
                {"type": "time", "validUntil": valid_until},
                {"type": "ip", "whitelist": ["10.0.0.0/8", "2001:db8::/32"]},
                {"type": "inviteType", "whitelist": ["userJoinCluster"]},
            ],
            "tag": lib.tag().to_hex(),
        })
    );
    // The keys come in the documented order, "unverified" first.
    assert!(caveat(&["inspect", &narrowed])
        .stdout
        .starts_with(r#"{"unverified":true,"format":"native","identifier":"#));

    let now = now_flag(NOW + 60);
    let v = verify(
        &narrowed,
        &[
            "--now",
            &now,
            "--ip",
            "10.1.2.3",
            "--invite-type",
            "userJoinCluster",
        ],
    )
    .ok();
    assert_eq!(
        v,
        json!({
            "ok": true,
            "subject": "usr-alice",
            "type": {"inviteToken": {"inviteType": "userJoinCluster", "clusterId": "c-42"}},
            "expires": valid_until,
            "format": "native",
            "tokenId": "tok-0001",
            "persistence": {"temporary": {"generation": 7}},
            "deferredCaveats": [],
        })
    );
    // The base contract's keys come first, in their documented order.
    assert!(verify(
        &narrowed,
        &[
            "--now",
            &now,
            "--ip",
            "10.1.2.3",
            "--invite-type",
            "userJoinCluster",
        ],
    )
    .stdout
    .starts_with(r#"{"ok":true,"subject":"usr-alice","type":"#));
    // The library agrees.
    let ctx = Context::at(NOW + 60)
        .with_ip("10.1.2.3".parse().expect("ip"))
        .with_invite_type(InviteType::UserJoinCluster);
    assert!(Verifier::new().verify_text(&narrowed, &key, &ctx).is_ok());
}

#[test]
fn verify_reports_subject_type_and_expiry() {
    let now = now_flag(NOW);
    let t = mint(&[
        "--subject",
        "prv-p1",
        "--type",
        "access:sess-9",
        "--id",
        "t-9",
    ]);
    let v = verify(&t, &["--now", &now]).ok();
    assert_eq!(
        v,
        json!({
            "ok": true,
            "subject": "prv-p1",
            "type": {"accessToken": {"sessionId": "sess-9"}},
            "expires": null,
            "format": "native",
            "tokenId": "t-9",
            "persistence": "named",
            "deferredCaveats": [],
        })
    );

    let t = mint(&["--subject", "usr-bob", "--type", "access"]);
    let v = verify(&t, &["--now", &now]).ok();
    assert_eq!(v["type"], json!({"accessToken": {}}));
    assert_eq!(v["expires"], Value::Null);

    // Expiry is the least validUntil over the time caveats.
    let t = mint(&[
        "--subject",
        "usr-bob",
        "--type",
        "identity",
        "--caveat",
        &format!(r#"{{"type":"time","validUntil":{}}}"#, NOW + 500),
        "--caveat",
        &format!(r#"{{"type":"time","validUntil":{}}}"#, NOW + 100),
    ]);
    let v = verify(&t, &["--now", &now]).ok();
    assert_eq!(v["type"], json!({"identityToken": {}}));
    assert_eq!(v["expires"], NOW + 100);
}

#[test]
fn mint_defaults_named_localhost_and_a_random_id() {
    let args = ["--subject", "usr-alice", "--type", "access"];
    let a = mint(&args);
    let b = mint(&args);
    assert_ne!(a, b, "default ids must make tokens distinct");
    let ia = caveat(&["inspect", &a]).ok();
    let ib = caveat(&["inspect", &b]).ok();
    let id = ia["identifier"]["id"].as_str().expect("id");
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(ia["identifier"]["id"], ib["identifier"]["id"]);
    assert_eq!(ia["identifier"]["persistence"], "named");
    assert_eq!(ia["identifier"]["location"], "localhost");
    assert_eq!(ia["identifier"]["keyId"], Value::Null);
    assert_eq!(ia["caveats"], json!([]));

    // An explicit --named is the same as the default; a fixed id makes minting deterministic.
    let fixed = ["--subject", "usr-alice", "--type", "access", "--id", "t1"];
    let mut named = fixed.to_vec();
    named.push("--named");
    assert_eq!(mint(&fixed), mint(&named));
}

#[test]
fn expired_token_is_rejected_naming_the_time_caveat() {
    let valid_until = NOW + 10;
    let t = mint(&[
        "--subject",
        "usr-alice",
        "--type",
        "access",
        "--temporary",
        "1",
        "--now",
        &now_flag(NOW),
        "--caveat",
        &format!(r#"{{"type":"time","validUntil":{valid_until}}}"#),
    ]);
    // Valid while now < validUntil.
    verify(&t, &["--now", &now_flag(valid_until - 1)]).ok();
    let run = verify(&t, &["--now", &now_flag(valid_until)]);
    assert_eq!(run.error_id(1), "tokenCaveatUnverified");
    assert_eq!(
        run.json()["error"]["details"],
        json!({"index": 0, "caveat": {"type": "time", "validUntil": valid_until},
               "reason": "expired", "validUntil": valid_until, "now": valid_until})
    );
    // Leeway extends it, and only by that much.
    verify(&t, &["--now", &now_flag(valid_until + 4), "--leeway", "5"]).ok();
    let run = verify(&t, &["--now", &now_flag(valid_until + 5), "--leeway", "5"]);
    assert_eq!(run.error_id(1), "tokenCaveatUnverified");
}

#[test]
fn now_defaults_to_the_system_clock() {
    let past = mint(&[
        "--subject",
        "usr-alice",
        "--type",
        "access",
        "--caveat",
        r#"{"type":"time","validUntil":1000}"#,
    ]);
    assert_eq!(verify(&past, &[]).error_id(1), "tokenCaveatUnverified");
    let future = mint(&[
        "--subject",
        "usr-alice",
        "--type",
        "access",
        "--caveat",
        r#"{"type":"time","validUntil":99999999999}"#,
    ]);
    assert_eq!(verify(&future, &[]).ok()["expires"], 99_999_999_999u64);
}

#[test]
fn wrong_key_is_token_invalid() {
    let t = mint(&["--subject", "usr-alice", "--type", "access"]);
    let run = caveat(&["verify", &t, "--key-hex", OTHER_KEY, "--now", "0"]);
    assert_eq!(run.error_id(1), "tokenInvalid");
    assert_eq!(run.json()["error"]["details"], json!({}));
}

#[test]
fn tampered_tokens_are_rejected() {
    let t = mint(&[
        "--subject",
        "usr-alice",
        "--type",
        "access",
        "--caveat",
        r#"{"type":"time","validUntil":99999999999}"#,
    ]);
    let raw = URL_SAFE_NO_PAD
        .decode(t.strip_prefix("cvt1_").expect("prefix"))
        .expect("base64");
    let now = now_flag(NOW);
    // Any single bit flip is rejected (usually tokenInvalid; badToken where the envelope breaks).
    for i in 0..raw.len() {
        let mut bytes = raw.clone();
        bytes[i] ^= 0x01;
        let tampered = format!("cvt1_{}", URL_SAFE_NO_PAD.encode(&bytes));
        let id = verify(&tampered, &["--now", &now]).error_id(1);
        assert!(
            id == "tokenInvalid" || id == "badToken",
            "byte {i}: unexpected {id}"
        );
    }
    // A flipped tag bit is exactly tokenInvalid: the same id as a wrong key.
    let mut bytes = raw.clone();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    let tampered = format!("cvt1_{}", URL_SAFE_NO_PAD.encode(&bytes));
    assert_eq!(
        verify(&tampered, &["--now", &now]).error_id(1),
        "tokenInvalid"
    );
    // A caveat stripped off a token (signature kept) is tokenInvalid.
    let key = RootKey::from_hex(KEY).expect("key");
    let decoded = Token::from_text(&t, &Limits::default()).expect("decode");
    let id = decoded.untrusted_identifier().expect("identifier");
    let bare = Token::mint(&key, &id, &[]).expect("mint");
    let mut stripped = bare.as_bytes().to_vec();
    let tag_at = stripped.len() - 32;
    stripped[tag_at..].copy_from_slice(decoded.tag().as_bytes());
    let stripped = format!("cvt1_{}", URL_SAFE_NO_PAD.encode(&stripped));
    assert_eq!(
        verify(&stripped, &["--now", &now]).error_id(1),
        "tokenInvalid"
    );
}

#[test]
fn dash_reads_the_token_from_stdin() {
    let t = mint(&["--subject", "usr-alice", "--type", "access", "--id", "s1"]);
    let padded = format!("  \n{t}\r\n\n");
    let inspected = caveat_stdin(&["inspect", "-"], padded.as_bytes()).ok();
    assert_eq!(inspected, caveat(&["inspect", &t]).ok());
    assert_eq!(inspected["identifier"]["id"], "s1");

    let v = caveat_stdin(
        &["verify", "-", "--key-hex", KEY, "--now", "0"],
        padded.as_bytes(),
    )
    .ok();
    assert_eq!(v["subject"], "usr-alice");

    let c = r#"{"type":"time","validUntil":5}"#;
    let from_stdin = token_of(&caveat_stdin(
        &["attenuate", "-", "--caveat", c],
        padded.as_bytes(),
    ));
    assert_eq!(
        from_stdin,
        token_of(&caveat(&["attenuate", &t, "--caveat", c]))
    );

    // Empty stdin is an empty token: rejected, not a usage error.
    let run = caveat_stdin(&["inspect", "-"], b"");
    assert_eq!(run.error_id(1), "badToken");
}

#[test]
fn usage_errors_exit_2() {
    // clap errors: message on stderr, nothing on stdout.
    caveat(&["mint", "--key-hex", KEY, "--type", "access"]).clap_usage_error();
    caveat(&["mint", "--key-hex", KEY, "--subject", "usr-a"]).clap_usage_error();
    caveat(&["mint", "--subject", "usr-a", "--type", "access"]).clap_usage_error();
    caveat(&[
        "mint",
        "--key-hex",
        KEY,
        "--subject",
        "usr-a",
        "--type",
        "access",
        "--named",
        "--temporary",
        "1",
        "--now",
        &now_flag(NOW),
    ])
    .clap_usage_error();
    caveat(&[
        "mint",
        "--key-hex",
        KEY,
        "--subject",
        "usr-a",
        "--type",
        "access",
        "--temporary",
        "-1",
    ])
    .clap_usage_error();
    let t = mint(&["--subject", "usr-alice", "--type", "access"]);
    caveat(&["attenuate", &t]).clap_usage_error();
    caveat(&["verify", &t]).clap_usage_error();
    caveat(&["verify", &t, "--key-hex", KEY, "--now", "soon"]).clap_usage_error();
    caveat(&["verify", &t, "--key-hex", KEY, "--leeway", "-3"]).clap_usage_error();
    caveat(&["inspect"]).clap_usage_error();
    caveat(&["frobnicate"]).clap_usage_error();
    caveat::<&str>(&[]).clap_usage_error();
}

#[test]
fn bad_values_exit_2_with_error_json() {
    let base = [
        "mint",
        "--key-hex",
        KEY,
        "--subject",
        "usr-a",
        "--type",
        "access",
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        caveat(&args)
    };

    let run = with(&["--caveat", "{not json"]);
    assert_eq!(run.error_id(2), "badValueCaveat");
    let run = with(&["--caveat", r#"{"type":"time","validUntil":-5}"#]);
    assert_eq!(run.error_id(2), "badValueCaveat");
    assert_eq!(run.json()["error"]["details"]["key"], "validUntil");
    let run = with(&["--caveat", r#"{"type":"ip","whitelist":["10.0.0.0/33"]}"#]);
    assert_eq!(run.json()["error"]["details"]["key"], "whitelist");
    assert_eq!(run.code, 2);

    let bad_key = |key: &str| {
        caveat(&[
            "mint",
            "--key-hex",
            key,
            "--subject",
            "usr-a",
            "--type",
            "access",
        ])
    };
    assert_eq!(bad_key("not-hex").error_id(2), "badValueKey");
    assert_eq!(bad_key("abc").error_id(2), "badValueKey");
    assert_eq!(bad_key("").error_id(2), "badValueKey");

    let run = caveat(&[
        "mint",
        "--key-hex",
        KEY,
        "--subject",
        "alice",
        "--type",
        "access",
    ]);
    assert_eq!(run.error_id(2), "badValueIdentifier");
    assert_eq!(run.json()["error"]["details"]["key"], "subject");
    let run = caveat(&[
        "mint",
        "--key-hex",
        KEY,
        "--subject",
        "usr-a",
        "--type",
        "refresh",
    ]);
    assert_eq!(run.error_id(2), "badValueTokenType");
    let run = caveat(&[
        "mint",
        "--key-hex",
        KEY,
        "--subject",
        "usr-a",
        "--type",
        "invite:userJoinNowhere:x",
    ]);
    assert_eq!(run.error_id(2), "badValueInviteType");
    let run = with(&["--location", "has space"]);
    assert_eq!(run.error_id(2), "badValueIdentifier");
    assert_eq!(run.json()["error"]["details"]["key"], "location");
    let run = with(&["--id", "bad/id"]);
    assert_eq!(run.error_id(2), "badValueIdentifier");

    // attenuate: a bad caveat is a usage error even on a good token …
    let t = mint(&["--subject", "usr-alice", "--type", "access"]);
    let run = caveat(&["attenuate", &t, "--caveat", r#"{"type":"nope"}"#]);
    assert_eq!(run.error_id(2), "badValueCaveat");
    assert_eq!(run.json()["error"]["details"]["key"], "type");
    // … while a bad token with a good caveat is a rejection.
    let run = caveat(&[
        "attenuate",
        "cvt1_AAAA",
        "--caveat",
        r#"{"type":"time","validUntil":1}"#,
    ]);
    assert_eq!(run.error_id(1), "badToken");

    // verify: bad key and bad invite type are usage errors, whatever the token.
    let run = caveat(&["verify", &t, "--key-hex", "zz"]);
    assert_eq!(run.error_id(2), "badValueKey");
    let run = caveat(&[
        "verify",
        &t,
        "--key-hex",
        KEY,
        "--invite-type",
        "joinEverything",
    ]);
    assert_eq!(run.error_id(2), "badValueInviteType");
    caveat(&["verify", &t, "--key-hex", KEY, "--ip", "10.0.0.256"]).clap_usage_error();
    caveat(&["verify", &t, "--key-hex", KEY, "--ip", "10.0.0.0/8"]).clap_usage_error();
}

/// Inputs that are not tokens, as arguments.
fn garbage_tokens() -> Vec<String> {
    vec![
        String::new(),
        "garbage".into(),
        "cvt1_".into(),
        "cvt1_!!!!".into(),
        "cvt1_AAAA".into(),
        "cvt2_AAAA".into(),
        "cvt1_hAFYQoZpbG9jYWxob3N0".into(),
        format!("cvt1_{}", "A".repeat(100_000)),
        "\u{1F600} not a token".into(),
    ]
}

fn assert_rejected(run: &Run, what: &str) {
    assert_eq!(
        run.code, 1,
        "{what}: stdout {} stderr {}",
        run.stdout, run.stderr
    );
    let id = run.error_id(1);
    assert!(
        ["badToken", "tokenTooLarge"].contains(&id.as_str()),
        "{what}: unexpected {id}"
    );
}

#[test]
fn garbage_tokens_are_rejected_with_json_never_a_crash() {
    for g in garbage_tokens() {
        let what = format!("{:.40}", g);
        assert_rejected(&caveat(&["inspect", &g]), &what);
        assert_rejected(
            &caveat(&["verify", &g, "--key-hex", KEY, "--now", "0"]),
            &what,
        );
        assert_rejected(
            &caveat(&[
                "attenuate",
                &g,
                "--caveat",
                r#"{"type":"time","validUntil":1}"#,
            ]),
            &what,
        );
        assert_rejected(&caveat_stdin(&["inspect", "-"], g.as_bytes()), &what);
    }
    assert_eq!(caveat(&["inspect", ""]).error_id(1), "badToken");
    assert_eq!(
        caveat(&["inspect", &format!("cvt1_{}", "A".repeat(100_000))]).error_id(1),
        "tokenTooLarge"
    );
}

#[test]
fn huge_and_binary_stdin_is_rejected_with_json() {
    // 1 MB: too large for an argument on some systems, so through stdin.
    let huge = format!("cvt1_{}", "A".repeat(1 << 20));
    let run = caveat_stdin(&["inspect", "-"], huge.as_bytes());
    assert_eq!(run.error_id(1), "tokenTooLarge");
    let run = caveat_stdin(
        &["verify", "-", "--key-hex", KEY, "--now", "0"],
        huge.as_bytes(),
    );
    assert_eq!(run.error_id(1), "tokenTooLarge");
    let run = caveat_stdin(&["inspect", "-"], &vec![b' '; 1 << 20]);
    assert_eq!(run.error_id(1), "tokenTooLarge");

    // Not UTF-8 at all.
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    assert_eq!(
        caveat_stdin(&["inspect", "-"], &binary).error_id(1),
        "badToken"
    );
    let run = caveat_stdin(&["verify", "-", "--key-hex", KEY, "--now", "0"], &binary);
    assert_eq!(run.error_id(1), "badToken");
}

#[cfg(unix)]
#[test]
fn non_utf8_argument_is_a_bad_token() {
    use std::os::unix::ffi::OsStrExt;
    let arg = OsStr::from_bytes(b"cvt1_\xff\xfe");
    let run = caveat(&[OsStr::new("inspect"), arg]);
    assert_eq!(run.error_id(1), "badToken");
    let run = caveat(&[
        OsStr::new("verify"),
        arg,
        OsStr::new("--key-hex"),
        OsStr::new(KEY),
    ]);
    assert_eq!(run.error_id(1), "badToken");
}

#[test]
fn ip_caveat_through_the_cli() {
    let t = mint(&[
        "--subject",
        "usr-alice",
        "--type",
        "access",
        "--caveat",
        r#"{"type":"ip","whitelist":["10.0.0.0/8","2001:db8::/32"]}"#,
    ]);
    let now = now_flag(NOW);
    for ok in ["10.1.2.3", "2001:db8::1", "::ffff:10.9.9.9"] {
        verify(&t, &["--now", &now, "--ip", ok]).ok();
    }
    for denied in ["11.0.0.1", "2001:db9::1", "::ffff:11.0.0.1", "::a00:1"] {
        let run = verify(&t, &["--now", &now, "--ip", denied]);
        assert_eq!(run.error_id(1), "tokenCaveatUnverified", "{denied}");
        assert_eq!(run.json()["error"]["details"]["index"], 0);
        assert_eq!(run.json()["error"]["details"]["caveat"]["type"], "ip");
    }
    // No client address: fails closed.
    let run = verify(&t, &["--now", &now]);
    assert_eq!(run.error_id(1), "tokenCaveatUnverified");
}

#[test]
fn invite_type_caveat_through_the_cli() {
    let t = mint(&[
        "--subject",
        "usr-alice",
        "--type",
        "invite:userJoinSpace:s-1",
        "--caveat",
        r#"{"type":"time","validUntil":99999999999}"#,
        "--caveat",
        r#"{"type":"inviteType","whitelist":["userJoinSpace","groupJoinSpace"]}"#,
    ]);
    let now = now_flag(NOW);
    let v = verify(&t, &["--now", &now, "--invite-type", "groupJoinSpace"]).ok();
    assert_eq!(
        v["type"],
        json!({"inviteToken": {"inviteType": "userJoinSpace", "spaceId": "s-1"}})
    );
    let run = verify(&t, &["--now", &now, "--invite-type", "userJoinCluster"]);
    assert_eq!(run.error_id(1), "tokenCaveatUnverified");
    assert_eq!(run.json()["error"]["details"]["index"], 1);
    assert_eq!(
        run.json()["error"]["details"]["caveat"],
        json!({"type": "inviteType", "whitelist": ["userJoinSpace", "groupJoinSpace"]})
    );
    // No requested invite type: fails closed.
    assert_eq!(
        verify(&t, &["--now", &now]).error_id(1),
        "tokenCaveatUnverified"
    );
}

#[test]
fn undecodable_and_app_caveats() {
    // A caveat of an unknown kind (built with the library): inspect shows its hex, verify denies.
    let key = RootKey::from_hex(KEY).expect("key");
    let t = mint(&["--subject", "usr-alice", "--type", "access"]);
    let token = Token::from_text(&t, &Limits::default()).expect("decode");
    let unknown: &[u8] = &[0x82, 0x18, 0x63, 0x00];
    let odd = token
        .attenuate_raw(unknown)
        .expect("attenuate_raw")
        .to_text();
    let v = caveat(&["inspect", &odd]).ok();
    assert_eq!(v["caveats"], json!([{"unknown": "82186300"}]));
    let run = verify(&odd, &["--now", "0"]);
    assert_eq!(run.error_id(1), "tokenCaveatUnknown");
    // Still signature first: with the wrong key it is tokenInvalid.
    let run = caveat(&["verify", &odd, "--key-hex", OTHER_KEY, "--now", "0"]);
    assert_eq!(run.error_id(1), "tokenInvalid");
    assert!(Verifier::new()
        .verify_text(&odd, &key, &Context::at(0))
        .is_err());

    // The CLI registers no application predicates: an app caveat is a denial, never a skip.
    let app = token_of(&caveat(&[
        "attenuate",
        &t,
        "--caveat",
        r#"{"type":"app","name":"example.com/action","value":"read"}"#,
    ]));
    let v = caveat(&["inspect", &app]).ok();
    assert_eq!(
        v["caveats"],
        json!([{"type": "app", "name": "example.com/action", "value": "read"}])
    );
    assert_eq!(
        verify(&app, &["--now", "0"]).error_id(1),
        "tokenCaveatUnknown"
    );
}

#[test]
fn key_as_text_is_its_utf8_bytes() {
    // `--key TEXT` and `--key-hex` of the same bytes are the same key, for mint and verify.
    let text = "correct horse battery staple";
    let as_hex = hex::encode(text.as_bytes());
    let args = ["--subject", "usr-alice", "--type", "access", "--id", "k1"];
    let mut by_text = vec!["mint", "--key", text];
    by_text.extend_from_slice(&args);
    let mut by_hex = vec!["mint", "--key-hex", &as_hex];
    by_hex.extend_from_slice(&args);
    let t = token_of(&caveat(&by_text));
    assert!(t.starts_with("cvt1_"), "native is the default format");
    assert_eq!(t, token_of(&caveat(&by_hex)));
    let lib = RootKey::from_bytes(text.as_bytes()).expect("key");
    assert!(Verifier::new()
        .verify_text(&t, &lib, &Context::at(NOW))
        .is_ok());

    caveat(&["verify", &t, "--key", text, "--now", "0"]).ok();
    caveat(&["verify", &t, "--key-hex", &as_hex, "--now", "0"]).ok();
    // Not the hex digits' bytes, nor another text.
    let run = caveat(&["verify", &t, "--key", &as_hex, "--now", "0"]);
    assert_eq!(run.error_id(1), "tokenInvalid");
    let run = caveat(&["verify", &t, "--key", "correct horse", "--now", "0"]);
    assert_eq!(run.error_id(1), "tokenInvalid");

    // An empty text is no key.
    let run = caveat(&["verify", &t, "--key", "", "--now", "0"]);
    assert_eq!(run.error_id(2), "badValueKey");
    let mut empty = vec!["mint", "--key", ""];
    empty.extend_from_slice(&args);
    assert_eq!(caveat(&empty).error_id(2), "badValueKey");

    // Exactly one of --key and --key-hex.
    let mut both = vec!["mint", "--key", text, "--key-hex", KEY];
    both.extend_from_slice(&args);
    caveat(&both).clap_usage_error();
    caveat(&["verify", &t, "--key", text, "--key-hex", KEY]).clap_usage_error();
    caveat(&["mint", "--subject", "usr-a", "--type", "access"]).clap_usage_error();
    caveat(&["verify", &t, "--now", "0"]).clap_usage_error();
}

#[test]
fn minting_a_temporary_token_applies_the_issuance_policy() {
    let base = [
        "--subject",
        "usr-alice",
        "--type",
        "access",
        "--temporary",
        "1",
    ];
    let now = now_flag(NOW);
    // No time caveat at all.
    let mut args = base.to_vec();
    args.extend(["--now", now.as_str()]);
    let run = caveat(&[&["mint", "--key-hex", KEY][..], &args].concat());
    assert_eq!(run.error_id(2), "tokenTimeCaveatRequired");
    assert_eq!(run.json()["error"]["details"]["maxTtl"], 604_800);
    // A TTL above --max-ttl, and the same TTL within it.
    let caveat_json = format!(r#"{{"type":"time","validUntil":{}}}"#, NOW + 7201);
    let mut args = base.to_vec();
    args.extend([
        "--now",
        now.as_str(),
        "--max-ttl",
        "7200",
        "--caveat",
        &caveat_json,
    ]);
    let run = caveat(&[&["mint", "--key-hex", KEY][..], &args].concat());
    assert_eq!(run.error_id(2), "tokenTimeCaveatRequired");
    assert_eq!(run.json()["error"]["details"]["maxTtl"], 7200);
    let mut args = base.to_vec();
    args.extend([
        "--now",
        now.as_str(),
        "--max-ttl",
        "7201",
        "--caveat",
        &caveat_json,
    ]);
    let run = caveat(&[&["mint", "--key-hex", KEY][..], &args].concat());
    assert!(run.json()["token"].is_string(), "{:?}", run.json());
    // Already expired at --now.
    let expired = format!(r#"{{"type":"time","validUntil":{NOW}}}"#);
    let mut args = base.to_vec();
    args.extend(["--now", now.as_str(), "--caveat", &expired]);
    let run = caveat(&[&["mint", "--key-hex", KEY][..], &args].concat());
    assert_eq!(run.error_id(2), "tokenTimeCaveatRequired");
}
