//! Mint, attenuate, encode, decode and verify a token, printing each step.
//!
//! Run with `cargo run --all-features --example quickstart` (what `cargo test --all-features`
//! then reuses). It exits non-zero on any surprise: a step that fails, a denied request that is
//! accepted, a tampered token that verifies, or a denial for another reason than the expected one.

use caveat_token::SignatureError;
use std::net::IpAddr;

use caveat_token::{
    Caveat, Context, Error, Identifier, InviteType, Persistence, RootKey, Subject, Token,
    TokenType, Verifier,
};

/// A result other than the one the demo shows: the demo fails.
fn surprise(step: &str, what: String) -> Box<dyn std::error::Error> {
    format!("{step}: UNEXPECTED: {what}").into()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fixed key so the output is reproducible; use `caveat keygen` for real keys.
    let key =
        RootKey::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")?;
    let now: u64 = 1_700_000_000;

    // 1. Mint: an invite token for alice to join cluster c-42, valid one hour.
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
        persistence: Persistence::Temporary { generation: 1 },
    };
    let token = Token::mint(&key, &identifier, &[Caveat::time(now + 3600)])?;
    println!("1. minted:     {}", token.to_text());

    // 2. Attenuate, without the key: only from 10.0.0.0/8, only for userJoinCluster.
    let ip = Caveat::from_json_str(r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#)?;
    let invite = Caveat::from_json_str(r#"{"type":"inviteType","whitelist":["userJoinCluster"]}"#)?;
    let narrowed = token.attenuate(&ip)?.attenuate(&invite)?;
    let text = narrowed.to_text();
    println!(
        "2. attenuated: {text} ({} caveats)",
        narrowed.caveat_count()
    );

    // 3. Decode what was sent; nothing is trusted yet.
    let verifier = Verifier::new();
    let decoded = Token::from_text(&text, verifier.limits())?;
    for c in decoded.untrusted_caveats() {
        println!("3. decoded caveat (unverified): {}", c?.to_json());
    }

    // 4. Verify in an allowed context.
    let client: IpAddr = "10.1.2.3".parse()?;
    let allowed = Context::at(now + 60)
        .with_ip(client)
        .with_invite_type(InviteType::UserJoinCluster);
    let ok = verifier.verify_text(&text, &key, &allowed)?;
    println!(
        "4. allowed:    subject={} type={} expires={:?}",
        ok.identifier().subject,
        ok.identifier().token_type.to_json(),
        ok.expires()
    );
    if ok.identifier().subject.to_string() != "usr-alice" || ok.expires() != Some(now + 3600) {
        return Err(surprise("4. allowed", "another subject or expiry".into()));
    }

    // 5. And in a denied one: the client is outside the whitelist.
    let outsider: IpAddr = "192.0.2.1".parse()?;
    let denied = Context::at(now + 60)
        .with_ip(outsider)
        .with_invite_type(InviteType::UserJoinCluster);
    match verifier.verify_text(&text, &key, &denied) {
        Ok(_) => return Err(surprise("5. denied", "the request was accepted".into())),
        Err(e) if e.id() == "tokenCaveatUnverified" && e.details()["index"] == 1 => {
            println!("5. denied:     {}", e.to_json());
        }
        Err(e) => {
            return Err(surprise(
                "5. denied",
                format!("another refusal: {}", e.to_json()),
            ))
        }
    }

    // 6. Tampering breaks the chain: flip one bit of the last byte (the tag).
    let mut tampered = narrowed.as_bytes().to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    match Token::from_bytes(&tampered, verifier.limits())
        .and_then(|t| verifier.verify(t, &key, &allowed))
    {
        Ok(_) => return Err(surprise("6. tampered", "the token verified".into())),
        Err(Error::Signature(SignatureError::Invalid)) => println!("6. tampered:   tokenInvalid"),
        Err(e) => {
            return Err(surprise(
                "6. tampered",
                format!("another refusal: {}", e.id()),
            ))
        }
    }
    println!("quickstart: every step gave the expected result");
    Ok(())
}
