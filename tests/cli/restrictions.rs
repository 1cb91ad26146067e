//! `caveat verify` lists every restriction the caller must enforce (`api`, `data.*`) in
//! `deferredCaveats`, whatever the token's format and wherever the caveat sits (the token or a
//! discharge): a service driving the CLI never allows what a caveat forbids.

use crate::cli_common::{caveat, token_of};
use serde_json::{json, Value};

const KEY: &str = "restrictions key";
const API: &str = r#"{"type":"api","whitelist":["ozw/get/usr.*.*:*"]}"#;
const READONLY: &str = r#"{"type":"data.readonly"}"#;

fn expected(discharge: Option<usize>) -> Value {
    let mut api = json!({"type":"api","whitelist":["ozw/get/usr.*.*:*"]});
    let mut readonly = json!({"type":"data.readonly"});
    if let Some(d) = discharge {
        api["discharge"] = json!(d);
        readonly["discharge"] = json!(d);
    }
    json!([api, readonly])
}

fn mint(format: &str) -> String {
    let mut args = vec!["mint", "--format", format, "--key", KEY, "--now", "0"];
    if format.starts_with("macaroon") {
        args.extend(["--id", "opaque-id"]);
    } else {
        args.extend(["--subject", "usr-alice", "--type", "access", "--named"]);
    }
    args.extend(["--caveat", API, "--caveat", READONLY]);
    token_of(&caveat(&args))
}

#[test]
fn every_format_reports_api_and_data_caveats() {
    for format in [
        "native",
        "onedata",
        "macaroon-v1",
        "macaroon-v2",
        "macaroon-v2j",
    ] {
        let t = mint(format);
        let ok = caveat(&[
            "verify",
            &t,
            "--key",
            KEY,
            "--now",
            "1700000000",
            "--allow-data-access-caveats",
        ])
        .ok();
        assert_eq!(ok["deferredCaveats"], expected(None), "{format}");
        // Without the flag, the data-access caveat is a denial with its reason.
        let run = caveat(&["verify", &t, "--key", KEY, "--now", "1700000000"]);
        assert_eq!(run.error_id(1), "tokenCaveatUnverified", "{format}");
        assert_eq!(
            run.json()["error"]["details"]["reason"],
            "dataAccessNotAllowed",
            "{format}"
        );
    }
}

#[test]
fn restrictions_in_a_discharge_are_reported_with_its_position() {
    for format in ["native", "macaroon-v2"] {
        let root = mint_plain(format);
        let with = token_of(&caveat(&[
            "attenuate",
            &root,
            "--third-party",
            "https://auth.example",
            "--cid",
            "user is alice",
            "--caveat-key",
            "caveat-key",
        ]));
        let discharge = token_of(&caveat(&[
            "discharge",
            "--caveat-key",
            "caveat-key",
            "--cid",
            "user is alice",
            "--caveat",
            API,
            "--caveat",
            READONLY,
            "--bind",
            &with,
        ]));
        let ok = caveat(&[
            "verify",
            &with,
            "--key",
            KEY,
            "--now",
            "1700000000",
            "--allow-data-access-caveats",
            "--discharge",
            &discharge,
        ])
        .ok();
        assert_eq!(ok["deferredCaveats"], expected(Some(0)), "{format}");
    }
}

fn mint_plain(format: &str) -> String {
    let mut args = vec!["mint", "--format", format, "--key", KEY, "--now", "0"];
    if format.starts_with("macaroon") {
        args.extend(["--id", "root-id"]);
    } else {
        args.extend(["--subject", "usr-alice", "--type", "access", "--named"]);
    }
    token_of(&caveat(&args))
}
