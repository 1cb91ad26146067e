//! What a person typing commands meets: `--ttl`, keys from a file, stdin and `CAVEAT_KEY`,
//! `--output text`, Onedata's type JSON, and the warnings and hints on stderr.

use std::process::{Command, Stdio};

use crate::cli_common::{caveat, caveat_stdin, token_of, Run};

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NOW: u64 = 1_700_000_000;
const BIN: &str = env!("CARGO_BIN_EXE_caveat");

/// Runs the binary with `CAVEAT_KEY` set to `key` (or removed for `None`).
fn caveat_env(args: &[&str], key: Option<&str>) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdin(Stdio::null());
    match key {
        Some(k) => cmd.env("CAVEAT_KEY", k),
        None => cmd.env_remove("CAVEAT_KEY"),
    };
    let out = cmd.output().expect("run caveat");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn now(t: u64) -> String {
    t.to_string()
}

fn mint_args<'a>(now: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "mint",
        "--subject",
        "usr-alice",
        "--type",
        "access",
        "--id",
        "t1",
        "--now",
        now,
    ];
    args.extend_from_slice(extra);
    args
}

fn verify_at(token: &str, at: u64) -> Run {
    caveat(&["verify", token, "--key-hex", KEY, "--now", &now(at)])
}

#[test]
fn ttl_adds_a_time_caveat_at_now_plus_the_duration() {
    let n = now(NOW);
    for (ttl, secs) in [
        ("90s", 90),
        ("15m", 900),
        ("2h", 7200),
        ("7d", 604_800),
        ("45", 45),
    ] {
        let token = token_of(&caveat(&mint_args(
            &n,
            &["--key-hex", KEY, "--temporary", "1", "--ttl", ttl],
        )));
        let inspected = caveat(&["inspect", &token]).ok();
        assert_eq!(
            inspected["caveats"],
            serde_json::json!([{"type": "time", "validUntil": NOW + secs}]),
            "{ttl}"
        );
        assert_eq!(
            verify_at(&token, NOW + secs - 1).ok()["expires"],
            NOW + secs
        );
        assert_eq!(
            verify_at(&token, NOW + secs).error_id(1),
            "tokenCaveatUnverified"
        );
    }
    // Beyond --max-ttl the issuance policy refuses it, as it would a hand-written caveat.
    let r = caveat(&mint_args(
        &n,
        &["--key-hex", KEY, "--temporary", "1", "--ttl", "8d"],
    ));
    assert_eq!(r.error_id(2), "tokenTimeCaveatRequired");
    // Bad durations are clap usage errors.
    for bad in ["0s", "2w", "h", "-5m", "99999999999999999999d"] {
        caveat(&mint_args(&n, &["--key-hex", KEY, "--ttl", bad])).clap_usage_error();
    }
}

#[test]
fn attenuate_ttl_narrows_the_expiry() {
    let n = now(NOW);
    let token = token_of(&caveat(&mint_args(&n, &["--key-hex", KEY])));
    let narrowed = token_of(&caveat(&["attenuate", &token, "--ttl", "15m", "--now", &n]));
    assert_eq!(verify_at(&narrowed, NOW + 60).ok()["expires"], NOW + 900);
    assert_eq!(
        verify_at(&narrowed, NOW + 900).error_id(1),
        "tokenCaveatUnverified"
    );
    // --now only makes sense with --ttl.
    caveat(&["attenuate", &token, "--now", &n]).clap_usage_error();
}

#[test]
fn keys_come_from_a_file_stdin_or_the_environment() {
    let n = now(NOW);
    let reference = token_of(&caveat(&mint_args(&n, &["--key-hex", KEY])));
    // stdin, with the newline `caveat keygen --output text > file` leaves.
    let from_stdin = token_of(&caveat_stdin(
        &mint_args(&n, &["--key-file", "-"]),
        format!("{KEY}\n").as_bytes(),
    ));
    assert_eq!(from_stdin, reference);
    // A file.
    let dir = std::env::temp_dir().join(format!("caveat-cli-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("root.key");
    std::fs::write(&path, format!("  {KEY}\n")).expect("write key");
    let p = path.to_str().expect("UTF-8 path");
    assert_eq!(
        token_of(&caveat(&mint_args(&n, &["--key-file", p]))),
        reference
    );
    // The environment, for mint and verify.
    assert_eq!(
        token_of(&caveat_env(&mint_args(&n, &[]), Some(KEY))),
        reference
    );
    let ok = caveat_env(&["verify", &reference, "--now", &n], Some(KEY)).ok();
    assert_eq!(ok["subject"], "usr-alice");
    // A flag wins over the environment.
    let other = "ff".repeat(32);
    let r = caveat_env(
        &["verify", &reference, "--key-hex", KEY, "--now", &n],
        Some(&other),
    );
    assert_eq!(r.ok()["tokenId"], "t1");
    assert_eq!(
        caveat_env(&["verify", &reference, "--now", &n], Some(&other)).error_id(1),
        "tokenInvalid"
    );
    // Text keys (Onedata's secrets) through --key-encoding text.
    std::fs::write(&path, "my secret phrase!\n").expect("write key");
    let text_file = token_of(&caveat(&mint_args(
        &n,
        &["--key-file", p, "--key-encoding", "text"],
    )));
    let text_flag = token_of(&caveat(&mint_args(&n, &["--key", "my secret phrase!"])));
    assert_eq!(text_file, text_flag);
    // Not hex, a missing file, no key at all, two sources.
    assert_eq!(
        caveat_env(&mint_args(&n, &[]), Some("xyz")).error_id(2),
        "badValueKey"
    );
    let missing = dir.join("absent.key");
    let r = caveat(&mint_args(
        &n,
        &["--key-file", missing.to_str().expect("path")],
    ));
    assert_eq!(r.code, 2);
    assert!(
        r.stdout.is_empty() && r.stderr.contains("cannot read the key"),
        "{}",
        r.stderr
    );
    let r = caveat_env(&mint_args(&n, &[]), None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("CAVEAT_KEY"), "{}", r.stderr);
    caveat(&mint_args(&n, &["--key-hex", KEY, "--key-file", p])).clap_usage_error();
    // The token and the key cannot both come from stdin.
    let r = caveat_stdin(&["verify", "-", "--key-file", "-", "--now", &n], b"x");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not both"), "{}", r.stderr);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn output_text_prints_just_the_token_or_key() {
    let n = now(NOW);
    let key = caveat(&["keygen", "--output", "text"]);
    assert_eq!(key.code, 0);
    let key_text = key.stdout.trim_end_matches('\n');
    assert_eq!(key.stdout, format!("{key_text}\n"));
    assert_eq!(key_text.len(), 64);
    assert!(key_text.bytes().all(|b| b.is_ascii_hexdigit()));
    let json = caveat(&mint_args(&n, &["--key-hex", key_text])).ok();
    let text = caveat(&mint_args(&n, &["--key-hex", key_text, "--output", "text"]));
    assert_eq!(text.code, 0);
    assert_eq!(
        text.stdout.trim_end(),
        json["token"].as_str().expect("token")
    );
    // --output goes anywhere on the line, also before the command.
    let before = caveat(&[
        "--output",
        "text",
        "attenuate",
        text.stdout.trim_end(),
        "--ttl",
        "1h",
        "--now",
        &n,
    ]);
    assert!(before.stdout.starts_with("cvt1_"), "{}", before.stdout);
    // Errors leave stdout empty and say the id on stderr; the exit code is unchanged.
    let r = caveat(&[
        "verify",
        text.stdout.trim_end(),
        "--key-hex",
        KEY,
        "--now",
        &n,
        "--output",
        "text",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("tokenInvalid"), "{}", r.stderr);
    // verify and inspect print their JSON, indented.
    let ok = caveat(&[
        "verify",
        text.stdout.trim_end(),
        "--key-hex",
        key_text,
        "--now",
        &n,
        "--output",
        "text",
    ]);
    assert_eq!(ok.code, 0);
    let value: serde_json::Value = serde_json::from_str(&ok.stdout).expect("JSON");
    assert_eq!(value["ok"], true);
    assert!(ok.stdout.lines().count() > 1);
}

#[test]
fn type_accepts_onedata_type_json() {
    let n = now(NOW);
    let cases = [
        (
            r#"{"inviteToken":{"inviteType":"userJoinCluster","clusterId":"c-42"}}"#,
            "invite:userJoinCluster:c-42",
        ),
        (r#"{"accessToken":{}}"#, "access"),
        (r#"{"accessToken":{"sessionId":"s-1"}}"#, "access:s-1"),
        (r#"{"identityToken":{}}"#, "identity"),
        (
            r#"{"inviteToken":{"inviteType":"supportSpace","spaceId":"sp","parameters":"p1"}}"#,
            "invite:supportSpace:sp:p1",
        ),
    ];
    for (json_form, cli_form) in cases {
        let a = token_of(&caveat(&[
            "mint",
            "--key-hex",
            KEY,
            "--subject",
            "usr-a",
            "--id",
            "t",
            "--now",
            &n,
            "--type",
            json_form,
        ]));
        let b = token_of(&caveat(&[
            "mint",
            "--key-hex",
            KEY,
            "--subject",
            "usr-a",
            "--id",
            "t",
            "--now",
            &n,
            "--type",
            cli_form,
        ]));
        assert_eq!(a, b, "{json_form}");
        // What inspect prints is what --type takes.
        let printed = caveat(&["inspect", &a]).ok()["identifier"]["type"].clone();
        assert_eq!(
            printed,
            serde_json::from_str::<serde_json::Value>(json_form).expect("JSON")
        );
    }
    for bad in [
        r#"{"inviteToken":{"inviteType":"userJoinCluster","spaceId":"c-42"}}"#,
        r#"{"accessToken":{},"identityToken":{}}"#,
        r#"{"refreshToken":{}}"#,
        r#"{"accessToken":{"sessionId":7}}"#,
        r#"{"inviteToken":{"inviteType":"userJoinCluster","clusterId":"a:b"}}"#,
        "{not json",
    ] {
        let r = caveat(&[
            "mint",
            "--key-hex",
            KEY,
            "--subject",
            "usr-a",
            "--now",
            &n,
            "--type",
            bad,
        ]);
        assert_eq!(r.error_id(2), "badValueTokenType", "{bad}");
    }
    let r = caveat(&[
        "mint",
        "--key-hex",
        KEY,
        "--subject",
        "usr-a",
        "--now",
        &n,
        "--type",
        r#"{"inviteToken":{"inviteType":"userJoinNowhere","clusterId":"c"}}"#,
    ]);
    assert_eq!(r.error_id(2), "badValueInviteType");
}

#[test]
fn warnings_for_short_keys_and_tokens_born_expired() {
    let n = now(NOW);
    let r = caveat(&mint_args(&n, &["--key-hex", "00"]));
    assert_eq!(r.code, 0);
    assert!(
        r.stderr.contains("warning") && r.stderr.contains("only 1 bytes"),
        "{}",
        r.stderr
    );
    let r = caveat(&mint_args(&n, &["--key-hex", KEY]));
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    // A named token whose time caveat has passed: minted, with a warning.
    let past = format!(r#"{{"type":"time","validUntil":{}}}"#, NOW - 1);
    let r = caveat(&mint_args(&n, &["--key-hex", KEY, "--caveat", &past]));
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("expired"), "{}", r.stderr);
    let r = caveat(&mint_args(&n, &["--key-hex", KEY, "--ttl", "1h"]));
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn errors_list_valid_values_and_locate_bad_json() {
    let n = now(NOW);
    let r = caveat(&mint_args(
        &n,
        &[
            "--key-hex",
            KEY,
            "--caveat",
            "{\"type\":\"time\",\n \"validUntil\": }",
        ],
    ));
    assert_eq!(r.error_id(2), "badValueCaveat");
    assert!(r.stderr.contains("line 2, column"), "{}", r.stderr);
    let r = caveat(&mint_args(
        &n,
        &["--key-hex", KEY, "--caveat", r#"{"type":"tiem"}"#],
    ));
    assert_eq!(r.error_id(2), "badValueCaveat");
    assert!(
        r.stderr.contains("valid caveat types: time, ip"),
        "{}",
        r.stderr
    );
    let r = caveat(&[
        "mint",
        "--key-hex",
        KEY,
        "--subject",
        "usr-a",
        "--now",
        &n,
        "--type",
        "invite:userJoinClutser:c",
    ]);
    assert_eq!(r.error_id(2), "badValueInviteType");
    assert!(r.stderr.contains("userJoinCluster"), "{}", r.stderr);
    let r = caveat_stdin(&["inspect", "-"], &vec![b'A'; 2 * 1024 * 1024]);
    assert_eq!(r.error_id(1), "tokenTooLarge");
    assert!(r.stderr.contains("bytes"), "{}", r.stderr);
}
