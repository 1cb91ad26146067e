//! The 18 tokens Onedata froze at release 20.02.20 (spec/vectors/onedata/compat-20.02.json):
//! each decodes to the listed fields, re-encodes to the identical string, verifies with its
//! secret, attenuates into tokens that still verify, and gives `tokenInvalid` when tampered.
// Needs the optional format(s) it covers: `cargo test --all-features` runs it.
#![cfg(feature = "onedata")]

use std::net::IpAddr;
use std::sync::Arc;

use caveat_token::caveat::{Interface, Service};
use caveat_token::{
    Caveat, Context, Expect, Format, InviteType, Limits, Persistence, RootKey, Subject, Token,
    TokenType, Verifier,
};
use caveat_token::{GeoInfo, GeoTable, Region};
use serde_json::Value;

struct Vector {
    name: String,
    v: Value,
}

impl Vector {
    fn str(&self, key: &str) -> &str {
        self.v[key]
            .as_str()
            .unwrap_or_else(|| panic!("{}: {key}", self.name))
    }

    fn caveats(&self) -> Vec<&str> {
        self.v["caveats"]
            .as_array()
            .expect("caveats")
            .iter()
            .map(|c| c.as_str().expect("caveat"))
            .collect()
    }
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/spec/vectors/onedata/compat-20.02.json"
    ))
    .expect("vector file");
    let file: Value = serde_json::from_str(&text).expect("json");
    assert!(file["source"]
        .as_str()
        .expect("source")
        .contains("tokens_compatibility_tests.erl"));
    let list = file["vectors"].as_array().expect("vectors");
    assert_eq!(list.len(), 18);
    list.iter()
        .enumerate()
        .map(|(i, v)| Vector {
            name: format!("vector #{i} ({})", v["identifier"].as_str().unwrap_or("?")),
            v: v.clone(),
        })
        .collect()
}

/// Onedata's text for a token type, written independently of the crate's encoder.
fn onedata_type(t: &TokenType<'_>) -> String {
    match t {
        TokenType::Access { session: None } => "act".into(),
        TokenType::Access { session: Some(s) } => format!("act:{s}"),
        TokenType::Identity => "idn".into(),
        TokenType::Invite {
            invite_type,
            target,
            params,
        } => format!("{}:{target}:{params}", invite_type.onedata_code()),
    }
}

fn key(v: &Vector) -> RootKey {
    RootKey::from_bytes(v.str("secret").as_bytes()).expect("key")
}

fn decode(text: &str) -> Token {
    Token::from_text(text, &Limits::default()).expect("decodes")
}

#[test]
fn every_vector_decodes_to_the_listed_fields() {
    for v in vectors() {
        let token = decode(v.str("token"));
        assert_eq!(token.format(), Format::Onedata, "{}", v.name);
        let id = token.untrusted_identifier().expect("identifier");
        let parsed = &v.v["parsed_identifier"];
        assert_eq!(parsed["version"], 2, "{}", v.name);
        assert_eq!(id.location, v.str("location"), "{}", v.name);
        assert_eq!(id.key_id, None, "{}", v.name);
        assert_eq!(
            id.token_id,
            parsed["id"].as_str().expect("id"),
            "{}",
            v.name
        );
        match (id.persistence, parsed["persistence"].as_str()) {
            (Persistence::Named, Some("named")) => assert!(parsed["generation"].is_null()),
            (Persistence::Temporary { generation }, Some("temporary")) => {
                assert_eq!(
                    parsed["generation"].as_u64(),
                    Some(generation),
                    "{}",
                    v.name
                );
            }
            other => panic!("{}: persistence {other:?}", v.name),
        }
        let (kind, sid) = match &id.subject {
            Subject::User(s) => ("user", s),
            Subject::Provider(s) => ("oneprovider", s),
        };
        assert_eq!(parsed["subject"]["type"], kind, "{}", v.name);
        assert_eq!(parsed["subject"]["id"], sid.as_ref(), "{}", v.name);
        assert_eq!(
            onedata_type(&id.token_type),
            parsed["type"].as_str().expect("type")
        );
        assert_eq!(
            token.identifier_bytes(),
            v.str("identifier").as_bytes(),
            "{}",
            v.name
        );
        let caveats = v.caveats();
        let carried: Vec<&[u8]> = token.caveat_bytes().collect();
        assert_eq!(carried.len(), caveats.len(), "{}", v.name);
        for (c, want) in carried.iter().zip(&caveats) {
            assert_eq!(*c, want.as_bytes(), "{}", v.name);
        }
        // Every caveat is a kind this crate models, and its text is canonical.
        for (c, want) in token.untrusted_caveats().zip(&caveats) {
            let c = c.unwrap_or_else(|e| panic!("{}: {want}: {e}", v.name));
            assert_eq!(c.to_text(), *want, "{}", v.name);
            assert_eq!(Caveat::from_json(&c.to_json()).expect("json round trip"), c);
            assert_eq!(Caveat::from_text(want).expect("text"), c);
        }
        assert_eq!(token.tag().to_hex(), v.str("signature_hex"), "{}", v.name);
    }
}

#[test]
fn every_vector_re_encodes_to_the_identical_string() {
    for v in vectors() {
        let token = decode(v.str("token"));
        assert_eq!(token.to_text(), v.str("token"), "{}", v.name);
        let again = Token::from_bytes_as(Format::Onedata, token.as_bytes(), &Limits::default())
            .expect("binary form decodes");
        assert_eq!(again.to_text(), v.str("token"), "{}", v.name);
    }
}

#[test]
fn every_vector_verifies_with_its_secret_only() {
    let verifier = Verifier::new();
    let wrong = RootKey::from_bytes(b"verySecretSecret0").expect("key");
    for v in vectors() {
        let token = decode(v.str("token"));
        verifier
            .check_signature(&token, &key(&v))
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        let err = verifier
            .check_signature(&token, &wrong)
            .expect_err("wrong key");
        assert_eq!(err.id(), "tokenInvalid", "{}", v.name);
    }
}

/// A verifier and context in which every caveat of the vectors holds (`authorization = none`
/// aside, which never does): the geolocation table places both vector addresses where their
/// caveats want them.
fn permissive(token: &Token) -> (Verifier, Context) {
    let text = String::from_utf8_lossy(token.as_bytes()).into_owned();
    let country = if text.contains("PL|FR") { "PL" } else { "PT" };
    let geo = GeoTable::new()
        .with(
            "172.98.11.23/32".parse().expect("net"),
            GeoInfo {
                asn: Some(322),
                country: Some(country.into()),
                regions: vec![Region::Africa, Region::Eu],
            },
        )
        .with(
            "11.101.11.234/32".parse().expect("net"),
            GeoInfo {
                asn: Some(112),
                country: Some("DE".into()),
                regions: vec![Region::Africa],
            },
        );
    let verifier = Verifier::new()
        .with_geo_source(Arc::new(geo))
        .with_data_access_caveats(true);
    let ip: IpAddr = if text.contains("11.101.11.234") {
        "11.101.11.234".parse().expect("ip")
    } else {
        "172.98.11.23".parse().expect("ip")
    };
    let id = token.untrusted_identifier().expect("id");
    let expect = match id.token_type {
        TokenType::Access { .. } => Expect::Access,
        TokenType::Identity => Expect::Identity,
        TokenType::Invite { invite_type, .. } => Expect::Invite(Some(invite_type)),
    };
    let interface = if text.contains("interface = rest") {
        Interface::Rest
    } else {
        Interface::Graphsync
    };
    let ctx = Context::at(1_600_000_000)
        .with_ip(ip)
        .expecting(expect)
        .with_interface(interface)
        .with_service(Service::parse("ozw-onezone").expect("service"))
        .with_consumer(Subject::parse("usr-user-id").expect("consumer"));
    (verifier, ctx)
}

#[test]
fn every_vector_clears_in_a_matching_context() {
    for v in vectors() {
        let token = decode(v.str("token"));
        let (verifier, ctx) = permissive(&token);
        let none_at = v
            .caveats()
            .iter()
            .position(|c| *c == "authorization = none");
        match (verifier.verify(token.clone(), &key(&v), &ctx), none_at) {
            (Ok(ok), None) => {
                assert_eq!(
                    v.v["parsed_identifier"]["id"],
                    ok.identifier().token_id.as_ref()
                );
            }
            (Err(e), Some(index)) => {
                // The only caveat that does not hold is `authorization = none`.
                assert_eq!(e.id(), "tokenCaveatUnverified", "{}", v.name);
                assert_eq!(e.details()["index"], index, "{}", v.name);
                for (i, c) in token.untrusted_caveats().enumerate() {
                    if i != index {
                        verifier
                            .check_caveat(i, &c.expect("caveat"), &ctx)
                            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
                    }
                }
            }
            (r, _) => panic!("{}: {r:?}", v.name),
        }
    }
}

#[test]
fn every_vector_attenuates_into_tokens_that_still_verify() {
    let verifier = Verifier::new();
    for v in vectors() {
        let token = decode(v.str("token"));
        let narrowed = token
            .attenuate(&Caveat::time(8_000_000_000))
            .and_then(|t| t.attenuate(&Caveat::from_text("ip = 172.98.11.0/24")?))
            .expect("attenuate");
        assert_eq!(narrowed.caveat_count(), token.caveat_count() + 2);
        let text = narrowed.to_text();
        assert!(text.starts_with("MDA"), "{}", v.name);
        let decoded = decode(&text);
        assert_eq!(decoded.to_text(), text);
        verifier
            .check_signature(&decoded, &key(&v))
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        let added: Vec<&[u8]> = decoded.caveat_bytes().skip(token.caveat_count()).collect();
        assert_eq!(
            added,
            [b"time < 8000000000".as_slice(), b"ip = 172.98.11.0/24"]
        );
        // Everything before the signature packet is kept byte for byte.
        let sig_packet = 4 + "signature ".len() + 32 + 1;
        let prefix = token.as_bytes().len() - sig_packet;
        assert_eq!(decoded.as_bytes()[..prefix], token.as_bytes()[..prefix]);
        // The narrowed token still clears where everything holds (the new IP range included).
        if !v.caveats().contains(&"authorization = none")
            && !v.caveats().contains(&"ip = 11.101.11.234/32")
        {
            let (full, ctx) = permissive(&token);
            full.verify(decoded, &key(&v), &ctx)
                .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        }
    }
}

/// Replaces the first occurrence of `from` by `to` (same length) in the binary form.
fn tamper(token: &Token, from: &[u8], to: &[u8]) -> Token {
    assert_eq!(from.len(), to.len());
    let mut raw = token.as_bytes().to_vec();
    let at = raw
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    raw[at..at + to.len()].copy_from_slice(to);
    Token::from_bytes_as(Format::Onedata, &raw, &Limits::default()).expect("still well formed")
}

#[test]
fn tampered_copies_are_invalid() {
    let verifier = Verifier::new();
    for v in vectors() {
        let token = decode(v.str("token"));
        let k = key(&v);
        // The token id's last character changed.
        let id = v.str("identifier");
        let last = id.as_bytes()[id.len() - 1];
        let mut copies = vec![tamper(&token, &[last, b'\n'], &[last + 1, b'\n'])];
        // One signature bit flipped.
        let sig = token.tag();
        let mut flipped = *sig.as_bytes();
        flipped[31] ^= 1;
        copies.push(tamper(&token, sig.as_bytes(), &flipped));
        if token.caveat_count() > 0 {
            // A caveat rewritten (the far future moved by one second) or dropped.
            copies.push(tamper(&token, b"time < 8374891234", b"time < 8374891235"));
            let raw = token.as_bytes();
            let first_cid = raw.windows(4).position(|w| w == b"cid ").expect("cid") - 4;
            let next = raw[first_cid..]
                .iter()
                .position(|&b| b == b'\n')
                .expect("newline")
                + first_cid
                + 1;
            let mut dropped = raw[..first_cid].to_vec();
            dropped.extend_from_slice(&raw[next..]);
            copies.push(
                Token::from_bytes_as(Format::Onedata, &dropped, &Limits::default())
                    .expect("well formed"),
            );
        }
        for (i, t) in copies.into_iter().enumerate() {
            let text = t.to_text();
            assert_ne!(text, v.str("token"));
            let err = verifier
                .verify_text(&text, &k, &Context::at(0))
                .expect_err("tampered");
            assert_eq!(err.id(), "tokenInvalid", "{} copy {i}", v.name);
        }
    }
}

#[test]
fn invite_vectors_cover_all_fourteen_invite_types() {
    let mut seen: Vec<InviteType> = vectors()
        .iter()
        .filter_map(|v| {
            match decode(v.str("token"))
                .untrusted_identifier()
                .ok()?
                .token_type
            {
                TokenType::Invite { invite_type, .. } => Some(invite_type),
                _ => None,
            }
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, InviteType::ALL);
}
