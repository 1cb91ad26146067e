//! The `caveat` command line with libmacaroons' formats, third-party caveats and discharges:
//! mint/attenuate `--format macaroon-*`, `--predicate`, `attenuate --third-party`,
//! `discharge`, `verify --discharge/--exact`, and what `inspect` shows.

use crate::cli_common::{caveat, token_of};
use caveat_token::{Context, Limits, RootKey, Token, Verifier};
use serde_json::json;

const README_TAG: &str = "f54807f6dc6edf88bf0f7306b3822562a362533dbf7339ba61765da4bd259d87";

fn readme(format: &str) -> String {
    token_of(&caveat(&[
        "mint",
        "--format",
        format,
        "--id",
        "keyid",
        "--location",
        "http://example.org/",
        "--key",
        "this is the key",
        "--predicate",
        "account = 3735928559",
    ]))
}

#[test]
fn readme_example_in_every_macaroon_format() {
    for format in ["macaroon-v1", "macaroon-v2", "macaroon-v2j"] {
        let t = readme(format);
        let inspected = caveat(&["inspect", &t]).ok();
        assert_eq!(inspected["format"], format);
        assert_eq!(inspected["tag"], README_TAG);
        assert_eq!(inspected["identifier"], "keyid");
        assert_eq!(inspected["location"], "http://example.org/");
        assert_eq!(
            inspected["caveats"],
            json!([{"predicate": "account = 3735928559"}])
        );
        let ok = caveat(&[
            "verify",
            &t,
            "--key",
            "this is the key",
            "--now",
            "0",
            "--exact",
            "account = 3735928559",
        ])
        .ok();
        assert_eq!(
            ok,
            json!({"ok": true, "format": format, "identifier": "keyid",
                   "identifierHex": "6b65796964", "expires": null, "deferredCaveats": []})
        );
        // Without the exact predicate nothing satisfies it.
        let no = caveat(&["verify", &t, "--key", "this is the key", "--now", "0"]);
        assert_eq!(no.error_id(1), "tokenCaveatUnknown");
        // The library reads what the command wrote.
        let token = Token::from_text(&t, &Limits::default()).expect("decodes");
        Verifier::new()
            .satisfy_exact("account = 3735928559")
            .verify_macaroon(
                token,
                &[],
                &RootKey::from_bytes(b"this is the key").expect("key"),
                &Context::at(0),
            )
            .expect("verifies");
    }
}

#[test]
fn third_party_caveat_and_discharge() {
    let root = readme("macaroon-v2");
    let with = token_of(&caveat(&[
        "attenuate",
        &root,
        "--third-party",
        "https://auth.example",
        "--cid",
        "user is alice",
        "--caveat-key-hex",
        "6361766561742d6b6579",
    ]));
    let inspected = caveat(&["inspect", &with]).ok();
    let tp = &inspected["caveats"][1]["thirdParty"];
    assert_eq!(tp["location"], "https://auth.example");
    assert_eq!(tp["cid"], "user is alice");
    assert_eq!(tp["vid"].as_str().expect("vid").len(), 144);
    // Two runs seal with different random nonces.
    let again = token_of(&caveat(&[
        "attenuate",
        &root,
        "--third-party",
        "https://auth.example",
        "--cid",
        "user is alice",
        "--caveat-key",
        "caveat-key",
    ]));
    assert_ne!(again, with);

    let discharge = |extra: &[&str]| {
        let mut args = vec![
            "discharge",
            "--caveat-key",
            "caveat-key",
            "--cid",
            "user is alice",
            "--predicate",
            "time < 1700000100",
        ];
        args.extend_from_slice(extra);
        token_of(&caveat(&args))
    };
    let bound = discharge(&["--bind", &with]);
    let unbound = discharge(&[]);
    let verify = |discharges: &[&str], now: &str| {
        let mut args = vec![
            "verify",
            &with,
            "--key",
            "this is the key",
            "--now",
            now,
            "--exact",
            "account = 3735928559",
        ];
        for d in discharges {
            args.extend_from_slice(&["--discharge", d]);
        }
        caveat(&args)
    };
    assert_eq!(
        verify(&[&bound], "1700000000").ok()["expires"],
        1_700_000_100
    );
    assert_eq!(verify(&[], "1700000000").error_id(1), "dischargeMissing");
    assert_eq!(
        verify(&[&unbound], "1700000000").error_id(1),
        "dischargeUnbound"
    );
    let late = verify(&[&bound], "1700000100");
    assert_eq!(late.error_id(1), "tokenCaveatUnverified");
    assert_eq!(late.json()["error"]["details"]["discharge"], 0);
    assert_eq!(
        verify(&[&bound, &bound], "1700000000").error_id(1),
        "dischargeAmbiguous"
    );
    let bad = verify(&["not a token"], "1700000000");
    assert_eq!(bad.error_id(1), "badToken");
    assert_eq!(bad.json()["error"]["details"]["discharge"], 0);
    // A native token takes a third-party caveat too, and a macaroon discharge.
    let native = token_of(&caveat(&[
        "mint",
        "--key",
        "this is the key",
        "--subject",
        "usr-alice",
        "--type",
        "access",
    ]));
    let native = token_of(&caveat(&[
        "attenuate",
        &native,
        "--third-party",
        "tp",
        "--cid",
        "c",
        "--caveat-key",
        "k",
    ]));
    let d = token_of(&caveat(&[
        "discharge",
        "--caveat-key",
        "k",
        "--cid",
        "c",
        "--format",
        "macaroon-v1",
        "--bind",
        &native,
    ]));
    let ok = caveat(&[
        "verify",
        &native,
        "--key",
        "this is the key",
        "--now",
        "0",
        "--discharge",
        &d,
    ])
    .ok();
    assert_eq!(ok["subject"], "usr-alice");
    let inspected = caveat(&["inspect", &native]).ok();
    assert_eq!(inspected["caveats"][0]["thirdParty"]["cid"], "c");
}

#[test]
fn usage_errors() {
    // Structured-identifier flags do not apply to macaroon formats, and vice versa.
    let r = caveat(&[
        "mint",
        "--format",
        "macaroon-v2",
        "--key",
        "k",
        "--subject",
        "usr-a",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--subject"), "{}", r.stderr);
    let r = caveat(&["mint", "--key", "k", "--type", "access"]);
    assert_eq!(r.code, 2);
    // A third-party caveat needs its cid and key.
    let t = readme("macaroon-v2");
    caveat(&["attenuate", &t, "--third-party", "tp", "--cid", "c"]).clap_usage_error();
    caveat(&["attenuate", &t, "--cid", "c", "--caveat-key", "k"]).clap_usage_error();
    caveat(&["attenuate", &t]).clap_usage_error();
    // Discharges have opaque identifiers: `--format` offers the macaroon formats only.
    for format in ["native", "onedata"] {
        let r = caveat(&[
            "discharge",
            "--caveat-key",
            "k",
            "--cid",
            "c",
            "--format",
            format,
        ]);
        r.clap_usage_error();
        assert!(r.stderr.contains("macaroon-v2j"), "{}", r.stderr);
    }
    assert_eq!(
        caveat(&["discharge", "--caveat-key-hex", "zz", "--cid", "c"]).error_id(2),
        "badValueKey"
    );
    // The Onedata format has no third-party caveats.
    let onedata = token_of(&caveat(&[
        "mint",
        "--format",
        "onedata",
        "--key",
        "k",
        "--subject",
        "usr-a",
        "--type",
        "access",
    ]));
    let r = caveat(&[
        "attenuate",
        &onedata,
        "--third-party",
        "tp",
        "--cid",
        "c",
        "--caveat-key",
        "k",
    ]);
    assert_eq!(r.error_id(2), "badValueCaveat");
}
