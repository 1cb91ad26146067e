//! The vectors of spec/vectors/macaroons/:
//!
//! - `pymacaroons.json`: made by pymacaroons (tests/pymacaroons_oracle.py --write-vectors).
//!   Each token must decode to the recorded fields and tag, verify (or fail) as recorded, and,
//!   minted again here from its fields with the same zero nonces, give the same bytes.
//! - `third_party.json`: made here (regenerate with `UPDATE_VECTORS=1 cargo test --test
//!   macaroon_vectors`): native tokens with third-party caveats and their discharges, and one
//!   vector per discharge failure, each with its expected outcome written by hand. The test
//!   regenerates them in memory and fails when the file differs, then checks every vector
//!   through the public API against that hand-written outcome.
// Needs the optional format(s) it covers: `cargo test --all-features` runs it.
#![cfg(feature = "macaroons")]

use std::path::PathBuf;

use caveat_token::hazmat as chain;
use caveat_token::hazmat as third_party;
use caveat_token::{
    Caveat, Context, Error, Format, Identifier, Limits, Persistence, RootKey, Subject, Token,
    TokenType, Verifier,
};
use serde_json::{json, Value};

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("spec/vectors/macaroons")
        .join(name)
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(path(name)).expect("vector file");
    serde_json::from_str(&text).expect("JSON")
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string")
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|t| s(t).to_owned())
        .collect()
}

/// Verifies `token` with the discharges and exact predicates, as a vector describes.
fn outcome(
    token: &str,
    discharges: &[String],
    exact: &[String],
    keys: &RootKey,
    now: u64,
) -> Result<Option<u64>, Error> {
    let limits = Limits::default();
    let discharges: Vec<Token> = discharges
        .iter()
        .map(|d| Token::from_text(d, &limits).expect("discharge decodes"))
        .collect();
    let verifier = exact
        .iter()
        .fold(Verifier::new(), |v, p| v.satisfy_exact(p.as_str()));
    verifier
        .verify_any_text(token, &discharges, keys, &Context::at(now))
        .map(|v| v.expires())
}

#[test]
fn pymacaroons_vectors() {
    let file = load("pymacaroons.json");
    assert_eq!(file["schema"], "caveat-token/macaroon-vectors/1");
    let vectors = file["vectors"].as_array().expect("vectors");
    assert_eq!(vectors.len(), 18);
    let zero = [0u8; caveat_token::NONCE_LEN];
    for v in vectors {
        let name = s(&v["name"]);
        let format = Format::from_name(s(&v["format"])).expect("format");
        let key = RootKey::from_bytes(s(&v["key"]).as_bytes()).expect("key");
        let token = Token::from_text(s(&v["token"]), &Limits::default()).expect(name);
        assert_eq!(token.format(), format, "{name}");
        assert_eq!(token.identifier_bytes(), s(&v["identifier"]).as_bytes());
        assert_eq!(token.untrusted_location(), Some(s(&v["location"])));
        assert_eq!(token.tag().to_hex(), s(&v["tag"]), "{name}");
        let caveats = v["caveats"].as_array().expect("caveats");
        assert_eq!(token.caveat_count(), caveats.len());
        let third: Vec<_> = token.untrusted_third_party_caveats().collect();
        for (i, (c, bytes)) in caveats.iter().zip(token.caveat_bytes()).enumerate() {
            assert_eq!(bytes, s(&c["cid"]).as_bytes(), "{name} #{i}");
            match c["vid"].as_str() {
                None => assert!(!token.is_third_party(i)),
                Some(vid) => {
                    let tp = third.iter().find(|t| t.index == i).expect("third-party");
                    assert_eq!(hex::encode(tp.vid), vid);
                    assert_eq!(tp.location, s(&c["location"]).as_bytes());
                }
            }
        }

        // The recorded outcome.
        let result = outcome(
            s(&v["token"]),
            &texts(&v["discharges"]),
            &texts(&v["exact"]),
            &key,
            0,
        );
        match v["expected"]["error"].as_str() {
            None => {
                result.unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            Some(id) => assert_eq!(result.expect_err(name).id(), id, "{name}"),
        }

        // Minted again from the fields: the same bytes (and, for V1 and V2, the same text).
        let mut again = Token::mint_macaroon(
            format,
            &key,
            s(&v["location"]),
            s(&v["identifier"]).as_bytes(),
            &[],
        )
        .expect("mint");
        for c in caveats {
            again = match c["caveat_key"].as_str() {
                None => again.attenuate_raw(s(&c["cid"]).as_bytes()),
                Some(ck) => again.attenuate_third_party(
                    s(&c["location"]),
                    ck.as_bytes(),
                    s(&c["cid"]).as_bytes(),
                    &zero,
                ),
            }
            .expect("attenuate");
        }
        assert_eq!(again.as_bytes(), token.as_bytes(), "{name}");
        if format != Format::MacaroonV2J {
            assert_eq!(again.to_text(), s(&v["token"]), "{name}");
        }
    }
}

// -------------------------------------------------------------------------------------------
// third_party.json
// -------------------------------------------------------------------------------------------

const NOW: u64 = 1_700_000_000;
const ROOT_KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn root_key() -> RootKey {
    RootKey::from_hex(ROOT_KEY_HEX).expect("key")
}

// Every vector's `expected` below is written by hand from SPEC.md §11.7 (which caveat or
// discharge each failure names, counting from 0); the test then checks the library against it.

/// A token being built, with the record of how.
struct Built {
    token: Token,
    tags: Vec<String>,
    third_party: Vec<Value>,
}

impl Built {
    fn native(caveats: &[Caveat]) -> Self {
        Self::native_as(Persistence::Named, caveats)
    }

    /// A native token of `persistence`, minted unchecked (a temporary one may lack a time
    /// caveat, as one minted by other code could).
    fn native_as(persistence: Persistence, caveats: &[Caveat]) -> Self {
        let id = Identifier {
            location: "service.example".into(),
            key_id: None,
            token_id: "tp-0001".into(),
            subject: Subject::parse("usr-alice").expect("subject"),
            token_type: TokenType::Access { session: None },
            persistence,
        };
        let mut token = caveat_token::hazmat::mint_unchecked(Format::Native, &root_key(), &id, &[])
            .expect("mint");
        let mut tags = vec![token.tag().to_hex()];
        for c in caveats {
            token = token.attenuate(c).expect("caveat");
            tags.push(token.tag().to_hex());
        }
        Self {
            token,
            tags,
            third_party: Vec::new(),
        }
    }

    fn v2(key: &[u8], id: &[u8], predicates: &[&str]) -> Self {
        let mut token = Token::mint_macaroon(
            Format::MacaroonV2,
            &RootKey::from_bytes(key).expect("key"),
            "tp.example",
            id,
            &[],
        )
        .expect("mint");
        let mut tags = vec![token.tag().to_hex()];
        for p in predicates {
            token = token.attenuate_raw(p.as_bytes()).expect("predicate");
            tags.push(token.tag().to_hex());
        }
        Self {
            token,
            tags,
            third_party: Vec::new(),
        }
    }

    fn third_party(mut self, key: &str, cid: &str, nonce: u8) -> Self {
        let nonce = [nonce; caveat_token::NONCE_LEN];
        self.token = self
            .token
            .attenuate_third_party("https://tp.example", key.as_bytes(), cid.as_bytes(), &nonce)
            .expect("third-party");
        self.tags.push(self.token.tag().to_hex());
        let tp = self
            .token
            .untrusted_third_party_caveats()
            .last()
            .expect("added");
        self.third_party.push(json!({
            "index": tp.index,
            "cid": cid,
            "location": "https://tp.example",
            "caveat_key": key,
            "nonce": hex::encode(nonce),
            "vid": hex::encode(tp.vid),
            "caveat_hex": hex::encode(self.token.caveat_bytes().last().expect("caveat")),
        }));
        self
    }
}

fn vector(
    name: &str,
    description: &str,
    root: &Built,
    discharges: &[&Token],
    exact: &[&str],
    now: u64,
    expected: Value,
) -> Value {
    let discharges: Vec<String> = discharges.iter().map(|d| d.to_text()).collect();
    let exact: Vec<String> = exact.iter().map(|p| (*p).to_owned()).collect();
    json!({
        "name": name,
        "description": description,
        "format": root.token.format().name(),
        "key_hex": ROOT_KEY_HEX,
        "token": root.token.to_text(),
        "tags": root.tags,
        "third_party": root.third_party,
        "discharges": discharges,
        "exact": exact,
        "now": now,
        // What the third-party services know: each cid's caveat key (a verifier written from
        // SPEC.md without NaCl secretbox can check the discharges' chains with these).
        "caveat_keys": {"cid-a": "caveat key a", "cid-b": "caveat key b"},
        "expected": expected,
    })
}

fn generate() -> Value {
    let base = || Built::native(&[Caveat::time(NOW + 100)]);
    let root = base().third_party("caveat key a", "cid-a", 1);
    let a = Built::v2(b"caveat key a", b"cid-a", &["time < 1700000050"]);
    let bound = a.token.bind_to(&root.token);
    let mut out = vec![vector(
        "native_ok",
        "A native token with a third-party caveat and its V2 discharge, bound; the discharge's time caveat sets the expiry.",
        &root,
        &[&bound],
        &[],
        NOW,
        json!({"ok": true, "expires": NOW + 50}), // the discharge's time caveat is the earliest
    )];
    let nested_a =
        Built::v2(b"caveat key a", b"cid-a", &[]).third_party("caveat key b", "cid-b", 2);
    let nested_b = Built::v2(b"caveat key b", b"cid-b", &["account = 7"]);
    out.push(vector(
        "native_nested_ok",
        "The discharge has its own third-party caveat; both discharges are bound to the top-level token.",
        &root,
        &[&nested_a.token.bind_to(&root.token), &nested_b.token.bind_to(&root.token)],
        &["account = 7"],
        NOW,
        json!({"ok": true, "expires": NOW + 100}), // the token's own time caveat
    ));
    out.push(vector(
        "native_discharge_expired",
        "The discharge's time caveat does not hold: the error names the discharge.",
        &root,
        &[&bound],
        &[],
        NOW + 50,
        json!({"error": {"id": "tokenCaveatUnverified", "details": {"index": 0, "caveat": {"type": "time", "validUntil": NOW + 50}, "reason": "expired", "validUntil": NOW + 50, "now": NOW + 50, "discharge": 0}}}),
    ));
    // SPEC.md §6.4 step 7: only the token's own time caveats count for a temporary token.
    let temporary = Built::native_as(Persistence::Temporary { generation: 4 }, &[]).third_party(
        "caveat key a",
        "cid-a",
        3,
    );
    let temporary_discharge = a.token.bind_to(&temporary.token);
    out.push(vector(
        "native_temporary_time_only_in_discharge",
        "A temporary token whose only time caveat is in its discharge: refused, the discharge's time caveat does not count.",
        &temporary,
        &[&temporary_discharge],
        &[],
        NOW,
        json!({"error": {"id": "tokenTimeCaveatRequired", "details": {"maxTtl": null}}}),
    ));
    out.push(vector(
        "native_discharge_missing",
        "No discharge for the third-party caveat.",
        &root,
        &[],
        &[],
        NOW,
        json!({"error": {"id": "dischargeMissing", "details": {"caveat": {"discharge": null, "index": 1}, "cid": "cid-a"}}}),
    ));
    let extra = Built::v2(b"k", b"cid-z", &[]).token.bind_to(&root.token);
    out.push(vector(
        "native_discharge_unused",
        "A supplied discharge that discharges no caveat.",
        &root,
        &[&bound, &extra],
        &[],
        NOW,
        json!({"error": {"id": "dischargeUnused", "details": {"discharge": 1, "identifier": "cid-z"}}}),
    ));
    out.push(vector(
        "native_discharge_ambiguous",
        "Two supplied discharges with the caveat's id.",
        &root,
        &[&bound, &bound],
        &[],
        NOW,
        json!({"error": {"id": "dischargeAmbiguous", "details": {"identifier": "cid-a", "discharges": [0, 1]}}}),
    ));
    let twice =
        base()
            .third_party("caveat key a", "cid-a", 1)
            .third_party("caveat key a", "cid-a", 3);
    out.push(vector(
        "native_discharge_reused",
        "Two caveats with the same id, one discharge: each discharge is used once.",
        &twice,
        &[&a.token.bind_to(&twice.token)],
        &[],
        NOW,
        json!({"error": {"id": "dischargeReused", "details": {"discharge": 0, "caveat": {"discharge": null, "index": 2}}}}),
    ));
    out.push(vector(
        "native_discharge_unbound",
        "The discharge carries its own tag, not bound to the token.",
        &root,
        &[&a.token],
        &[],
        NOW,
        json!({"error": {"id": "dischargeUnbound", "details": {"discharge": 0}}}),
    ));
    out.push(vector(
        "native_discharge_invalid",
        "The discharge was minted with another caveat key.",
        &root,
        &[&Built::v2(b"not key a", b"cid-a", &[])
            .token
            .bind_to(&root.token)],
        &[],
        NOW,
        json!({"error": {"id": "dischargeInvalid", "details": {"discharge": 0}}}),
    ));
    let cycle = Built::v2(b"caveat key a", b"cid-a", &[]).third_party("caveat key a", "cid-a", 4);
    out.push(vector(
        "native_discharge_cycle",
        "The discharge needs itself.",
        &root,
        &[&cycle.token.bind_to(&root.token)],
        &[],
        NOW,
        json!({"error": {"id": "dischargeCycle", "details": {"discharge": 0, "caveat": {"discharge": 0, "index": 0}}}}),
    ));
    let mut changed = root.token.as_bytes().to_vec();
    let last_caveat_end = changed.len() - 35;
    changed[last_caveat_end] ^= 1;
    let tampered = Built {
        token: Token::from_bytes(&changed, &Limits::default()).expect("decodes"),
        tags: root.tags.clone(),
        third_party: root.third_party.clone(),
    };
    out.push(vector(
        "native_tampered",
        "One bit of the third-party caveat's location changed (tags and third_party describe the original).",
        &tampered,
        &[&bound],
        &[],
        NOW,
        json!({"error": {"id": "tokenInvalid", "details": {}}}),
    ));
    json!({
        "schema": "caveat-token/third-party-vectors/1",
        "description": "Native tokens with third-party caveats (kind 15) and their discharges. tags are the token's chain (tag_0, then one per caveat); third_party records each third-party caveat's inputs (caveat key, nonce) and outputs (vid, caveat bytes). Root key: key_hex; verified at now with the exact predicates and the discharges in order (indices in errors count from 0).",
        "regenerate": "UPDATE_VECTORS=1 cargo test --test macaroon_vectors",
        "vectors": out,
    })
}

#[test]
fn third_party_vectors() {
    let generated = generate();
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        let mut text = serde_json::to_string_pretty(&generated).expect("json");
        text.push('\n');
        std::fs::write(path("third_party.json"), text).expect("write");
    }
    let file = load("third_party.json");
    assert_eq!(
        file, generated,
        "spec/vectors/macaroons/third_party.json is stale: UPDATE_VECTORS=1 cargo test --test macaroon_vectors"
    );
    // Every vector through the public API, and each failure id appears once.
    let mut ids = Vec::new();
    for v in file["vectors"].as_array().expect("vectors") {
        let name = s(&v["name"]);
        let key = RootKey::from_hex(s(&v["key_hex"])).expect("key");
        let token = Token::from_text(s(&v["token"]), &Limits::default()).expect(name);
        // The vids open under the recorded tags with the recorded caveat keys.
        for tp in v["third_party"].as_array().expect("third_party") {
            let index = usize::try_from(tp["index"].as_u64().expect("index")).expect("index");
            let before = chain::Tag::from_slice(&hex::decode(s(&v["tags"][index])).expect("hex"))
                .expect("tag");
            let vid = hex::decode(s(&tp["vid"])).expect("hex");
            assert_eq!(
                s(&tp["nonce"]),
                hex::encode(&vid[..caveat_token::NONCE_LEN])
            );
            let after = third_party::third_party_step(
                &before,
                &vid,
                &hex::decode(s(&tp["caveat_hex"])).expect("hex"),
            );
            assert_eq!(after.to_hex(), s(&v["tags"][index + 1]), "{name}");
        }
        let result = outcome(
            s(&v["token"]),
            &texts(&v["discharges"]),
            &texts(&v["exact"]),
            &key,
            v["now"].as_u64().expect("now"),
        );
        match &v["expected"]["error"] {
            Value::Null => {
                let expires = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(json!(expires), v["expected"]["expires"], "{name}");
            }
            err => {
                let e = result.expect_err(name);
                assert_eq!(e.id(), s(&err["id"]), "{name}");
                assert_eq!(e.details(), err["details"], "{name}");
                ids.push(e.id().to_owned());
            }
        }
        assert_eq!(token.format(), Format::Native);
    }
    for id in [
        "dischargeMissing",
        "dischargeUnused",
        "dischargeAmbiguous",
        "dischargeReused",
        "dischargeUnbound",
        "dischargeInvalid",
        "dischargeCycle",
        "tokenInvalid",
        "tokenCaveatUnverified",
    ] {
        assert!(ids.iter().any(|i| i == id), "no vector for {id}");
    }
}
