//! Seeds: the generated part of the committed corpus.

use super::*;

pub(crate) fn identifier(
    key_id: Option<&'static str>,
    subject: Subject<'static>,
    token_type: TokenType<'static>,
    persistence: Persistence,
) -> Identifier<'static> {
    Identifier {
        location: Cow::Borrowed("auth.example.com"),
        key_id: key_id.map(Cow::Borrowed),
        token_id: Cow::Borrowed("tok-0001"),
        subject,
        token_type,
        persistence,
    }
}

pub(crate) fn json_caveat(json: &str) -> Caveat {
    Caveat::from_json_str(json).expect("seed caveat parses")
}

/// Valid tokens minted with the fixed keys, by name.
pub fn seed_tokens() -> Vec<(&'static str, Token)> {
    let alice = || Subject::User("alice".into());
    let time = Caveat::time(BASE_NOW + 3600);
    let ip = json_caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8","2001:db8::/32","192.0.2.1"]}"#);
    let invite =
        json_caveat(r#"{"type":"inviteType","whitelist":["userJoinCluster","groupJoinSpace"]}"#);
    let action = json_caveat(r#"{"type":"app","name":"example.com/action","value":"read"}"#);
    let deny = json_caveat(r#"{"type":"app","name":"example.com/deny","value":"x"}"#);
    let other = json_caveat(r#"{"type":"app","name":"other.org/thing","value":"y"}"#);
    let access = TokenType::Access { session: None };
    let mint = |key: &RootKey, id: Identifier<'static>, caveats: &[Caveat]| {
        Token::mint(key, &id, caveats).expect("seed token mints")
    };
    let mut out = vec![
        (
            "access-plain",
            mint(
                key_a(),
                identifier(None, alice(), access.clone(), Persistence::Named),
                &[],
            ),
        ),
        (
            "access-session-temporary",
            mint(
                key_a(),
                identifier(
                    None,
                    alice(),
                    TokenType::Access {
                        session: Some("sess-1".into()),
                    },
                    Persistence::Temporary { generation: 3 },
                ),
                std::slice::from_ref(&time),
            ),
        ),
        (
            "identity-provider-ip",
            mint(
                key_a(),
                identifier(
                    None,
                    Subject::Provider("prv-1".into()),
                    TokenType::Identity,
                    Persistence::Named,
                ),
                std::slice::from_ref(&ip),
            ),
        ),
        (
            "invite-time-invitetype",
            mint(
                key_a(),
                identifier(
                    None,
                    alice(),
                    TokenType::Invite {
                        invite_type: InviteType::UserJoinCluster,
                        target: "c-42".into(),
                        params: "".into(),
                    },
                    Persistence::Temporary { generation: 1 },
                ),
                &[time.clone(), invite.clone()],
            ),
        ),
        (
            "invite-params-key-b",
            mint(
                key_b(),
                identifier(
                    Some(KEY_B_ID),
                    alice(),
                    TokenType::Invite {
                        invite_type: InviteType::SupportSpace,
                        target: "sp-1".into(),
                        params: "p=1".into(),
                    },
                    Persistence::Named,
                ),
                std::slice::from_ref(&time),
            ),
        ),
        (
            "app-caveats",
            mint(
                key_a(),
                identifier(None, alice(), access.clone(), Persistence::Named),
                &[action.clone(), deny],
            ),
        ),
        (
            "unregistered-app",
            mint(
                key_a(),
                identifier(None, alice(), access.clone(), Persistence::Named),
                &[other],
            ),
        ),
        (
            "unknown-key-id",
            mint(
                key_a(),
                identifier(Some("kid-zz"), alice(), access.clone(), Persistence::Named),
                std::slice::from_ref(&time),
            ),
        ),
        (
            "expired",
            mint(
                key_a(),
                identifier(None, alice(), access.clone(), Persistence::Named),
                &[Caveat::time(BASE_NOW - 1)],
            ),
        ),
        (
            "twenty-time-caveats",
            mint(
                key_a(),
                identifier(None, alice(), access.clone(), Persistence::Named),
                &(0..20)
                    .map(|i| Caveat::time(BASE_NOW + 100 * i))
                    .collect::<Vec<_>>(),
            ),
        ),
    ];
    let all_kinds = mint(
        key_a(),
        identifier(
            None,
            alice(),
            access,
            Persistence::Temporary { generation: 0 },
        ),
        &[time, ip, invite, action],
    )
    // A caveat of an unregistered kind (99) appended as raw bytes.
    .attenuate_raw(&[0x82, 0x18, 0x63, 0x00])
    .expect("a first-party caveat of an unknown kind");
    out.push(("all-kinds-and-unknown", all_kinds));

    // A native third-party caveat (fixed nonce: seeds must be reproducible).
    let third_party = mint(
        key_a(),
        identifier(None, alice(), access_type(), Persistence::Named),
        &[Caveat::time(BASE_NOW + 3600)],
    )
    .attenuate_third_party("https://tp.example", b"caveat key", b"cid-1", &[7; 24])
    .expect("third-party caveat");
    out.push(("native-third-party", third_party));

    // The Onedata format: every kind, each token type.
    let onedata = |id: Identifier<'static>, texts: &[&str]| {
        let caveats: Vec<Caveat> = texts
            .iter()
            .map(|t| Caveat::from_text(t).expect("seed caveat text"))
            .collect();
        Token::mint_as(Format::Onedata, key_a(), &id, &caveats).expect("Onedata seed mints")
    };
    let mut access_kinds = vec!["time < 1700003600", "ip = 10.0.0.0/8|2001:db8::/32"];
    access_kinds.extend(
        ONEDATA_SAMPLES
            .iter()
            .filter(|t| !t.starts_with("authorization")),
    );
    out.push((
        "onedata-access-every-kind",
        onedata(
            identifier(None, alice(), access_type(), Persistence::Named),
            &access_kinds,
        ),
    ));
    out.push((
        "onedata-access-api-time",
        onedata(
            identifier(
                None,
                alice(),
                TokenType::Access {
                    session: Some("sess-1".into()),
                },
                Persistence::Temporary { generation: 2 },
            ),
            &[
                "time < 1700003600",
                "api = all/all/*.*.*:*",
                "example.com/action = read",
            ],
        ),
    ));
    out.push((
        "onedata-identity-interface",
        onedata(
            identifier(
                None,
                Subject::Provider("prv-1".into()),
                TokenType::Identity,
                Persistence::Named,
            ),
            &["interface = rest", "time < 1700003600"],
        ),
    ));
    out.push((
        "onedata-invite-not-allowed",
        onedata(
            identifier(
                None,
                alice(),
                TokenType::Invite {
                    invite_type: InviteType::UserJoinCluster,
                    target: "c-42".into(),
                    params: "".into(),
                },
                Persistence::Named,
            ),
            &["inviteType = userJoinCluster", "service = ozw-onezone"],
        ),
    ));

    // libmacaroons' formats: opaque identifiers, predicates (typed or not), a third-party caveat.
    let predicates = [
        Caveat::time(BASE_NOW + 3600),
        json_caveat(r#"{"type":"app","name":"example.com/action","value":"read"}"#),
    ];
    for (name, format) in [
        ("macaroon-v1", Format::MacaroonV1),
        ("macaroon-v2", Format::MacaroonV2),
        ("macaroon-v2j", Format::MacaroonV2J),
    ] {
        let m = Token::mint_macaroon(
            format,
            key_a(),
            "http://example.org/",
            b"keyid",
            &predicates,
        )
        .expect("macaroon seed mints");
        let other = m
            .attenuate_raw(b"account = 3735928559")
            .expect("any predicate");
        let third = m
            .attenuate_third_party("http://tp.example/", b"caveat key", b"cid-1", &[9; 24])
            .expect("third-party caveat");
        out.push((name, m));
        out.push((
            match format {
                Format::MacaroonV1 => "macaroon-v1-unknown-predicate",
                Format::MacaroonV2 => "macaroon-v2-unknown-predicate",
                _ => "macaroon-v2j-unknown-predicate",
            },
            other,
        ));
        out.push((
            match format {
                Format::MacaroonV1 => "macaroon-v1-third-party",
                Format::MacaroonV2 => "macaroon-v2-third-party",
                _ => "macaroon-v2j-third-party",
            },
            third,
        ));
    }
    out
}

pub(crate) fn access_type() -> TokenType<'static> {
    TokenType::Access { session: None }
}

/// The token texts of the spec vectors (native, Onedata, libmacaroons; valid and not), with a
/// name saying where each is from. Read at run time from `spec/vectors/` (only the seed test
/// calls it).
pub fn vector_texts() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = if root.join("spec/vectors").is_dir() {
        root.join("spec/vectors")
    } else {
        root.join("../spec/vectors")
    };
    let mut out = Vec::new();
    for file in [
        "valid.json",
        "encoding.json",
        "chain.json",
        "clearing.json",
        "onedata/seed.json",
        "onedata/compat-20.02.json",
        "macaroons/pymacaroons.json",
        "macaroons/third_party.json",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).expect("readable spec vector file");
        let json: serde_json::Value = serde_json::from_str(&text).expect("spec vectors are JSON");
        let stem = file.trim_end_matches(".json").replace('/', "-");
        let lists = ["vectors", "tokens"];
        let mut i = 0;
        for list in lists {
            for v in json[list].as_array().into_iter().flatten() {
                let discharges = v["discharges"].as_array().into_iter().flatten();
                for t in std::iter::once(&v["token"]).chain(discharges) {
                    if let Some(t) = t.as_str() {
                        out.push((format!("{stem}-{i:02}"), t.to_owned()));
                        i += 1;
                    }
                }
            }
        }
    }
    out
}

/// The caveat forms of the spec vectors: JSON and text inputs (`caveats.json`, the Onedata
/// seed caveats).
pub fn vector_caveats() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = if root.join("spec/vectors").is_dir() {
        root.join("spec/vectors")
    } else {
        root.join("../spec/vectors")
    };
    let read = |f: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join(f)).expect("readable spec vector file");
        serde_json::from_str(&text).expect("spec vectors are JSON")
    };
    let mut out = Vec::new();
    for form in read("caveats.json")["forms"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(j) = form["input"].get("json") {
            out.push(j.to_string());
        }
        if let Some(t) = form["input"]["text"].as_str() {
            out.push(t.to_owned());
        }
    }
    for c in read("onedata/seed.json")["caveats"]
        .as_array()
        .into_iter()
        .flatten()
    {
        out.push(c["json"].to_string());
        if let Some(t) = c["text"].as_str() {
            out.push(t.to_owned());
        }
    }
    out
}

/// Caveat samples in their JSON and text forms.
pub const CAVEAT_SAMPLES: &[&str] = &[
    r#"{"type":"time","validUntil":1700003600}"#,
    r#"{"type":"time","validUntil":18446744073709551615}"#,
    r#"{"type":"ip","whitelist":["189.34.15.0/8","167.73.12.17"]}"#,
    r#"{"type":"ip","whitelist":["2001:db8::/32","::ffff:10.1.2.3","0.0.0.0/0","::/0"]}"#,
    r#"{"type":"inviteType","whitelist":["userJoinCluster"]}"#,
    r#"{"type":"inviteType","whitelist":["userJoinGroup","groupJoinGroup","userJoinSpace","groupJoinSpace","harvesterJoinSpace","supportSpace","registerOneprovider","userJoinCluster","groupJoinCluster","userJoinHarvester","groupJoinHarvester","spaceJoinHarvester","userJoinAtmInventory","groupJoinAtmInventory"]}"#,
    r#"{"type":"app","name":"example.com/action","value":"read"}"#,
    r#"{"type":"app","name":"a/b","value":""}"#,
    r#"{ "validUntil" : 5 , "type" : "time" }"#,
    "time < 1700003600",
    "time < 0",
    "ip = 189.34.15.0/8|167.73.12.17/32",
    "ip = 2001:db8::/32|::ffff:10.1.2.3/128",
    "inviteType = userJoinCluster|groupJoinSpace",
    "example.com/action = read",
    "example.com/action = x = y",
];

/// The generated seeds, as `(target, file name, bytes)`.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let tokens = seed_tokens();
    for (name, t) in &tokens {
        out.push(("decode", format!("seed-{name}.bin"), t.as_bytes().to_vec()));
        out.push((
            "decode",
            format!("seed-{name}.txt"),
            t.to_text().into_bytes(),
        ));
        for (ctx_name, ctx) in seed_contexts() {
            let mut forms = vec![("txt", t.to_text().into_bytes())];
            // The binary input of verify_oracle is the native binary form.
            if t.format() == Format::Native {
                forms.insert(0, ("bin", t.as_bytes().to_vec()));
            }
            for (form, bytes) in forms {
                out.push((
                    "verify_oracle",
                    format!("seed-{name}-{ctx_name}.{form}"),
                    oracle_seed(&ctx, form == "txt", &bytes),
                ));
            }
        }
    }
    for (i, (_, t)) in tokens.iter().enumerate() {
        for (j, c) in t.caveat_bytes().enumerate() {
            out.push(("decode", format!("seed-caveat-{i}-{j}.cbor"), c.to_vec()));
        }
    }
    let matching = &seed_contexts()[1].1;
    for (name, text) in vector_texts() {
        out.push((
            "decode",
            format!("seed-vec-{name}.txt"),
            text.clone().into_bytes(),
        ));
        if let Ok(t) = Token::from_text(&text, &Limits::default()) {
            out.push((
                "decode",
                format!("seed-vec-{name}.bin"),
                t.as_bytes().to_vec(),
            ));
        }
        out.push((
            "verify_oracle",
            format!("seed-vec-{name}.txt"),
            oracle_seed(matching, true, text.as_bytes()),
        ));
    }
    for (i, c) in vector_caveats().iter().enumerate() {
        out.push((
            "caveat_parse",
            format!("seed-vec-caveat-{i:02}"),
            c.as_bytes().to_vec(),
        ));
    }
    for (i, s) in CAVEAT_SAMPLES.iter().enumerate() {
        out.push((
            "caveat_parse",
            format!("seed-sample-{i:02}"),
            s.as_bytes().to_vec(),
        ));
        out.push((
            "decode",
            format!("seed-sample-{i:02}"),
            s.as_bytes().to_vec(),
        ));
    }
    out
}

/// The contexts of the `verify_oracle` seeds: nothing known at `BASE_NOW - 32768`; a request
/// that satisfies the seed tokens' caveats (a minute after `BASE_NOW`, from 10.1.2.3, for
/// `userJoinCluster`, action `read`); the same from `::ffff:10.1.2.3` with some leeway.
pub(crate) fn seed_contexts() -> [(&'static str, FuzzContext); 3] {
    [
        (
            "bare",
            FuzzContext {
                now: FuzzTime::Near(0),
                ip: None,
                invite_type: None,
                leeway: FuzzLeeway::Zero,
                action: None,
            },
        ),
        (
            "matching",
            FuzzContext {
                now: FuzzTime::Near(32_768 + 60),
                ip: Some(FuzzIp::V4([10, 1, 2, 3])),
                invite_type: Some(7),
                leeway: FuzzLeeway::Zero,
                action: Some(0),
            },
        ),
        (
            "mapped",
            FuzzContext {
                now: FuzzTime::Near(32_768 + 60),
                ip: Some(FuzzIp::Mapped([10, 1, 2, 3])),
                invite_type: Some(7),
                leeway: FuzzLeeway::Small(30),
                action: Some(0),
            },
        ),
    ]
}

/// The bytes `arbitrary` decodes as an `OracleInput` with these fields (integers are read
/// little-endian from the front; an enum variant is `u32 * variants >> 32`; an option is a byte
/// whose low bit says `Some`). Checked by decoding them back, so a change in `arbitrary`'s
/// format fails the seed test instead of silently writing useless seeds.
pub(crate) fn oracle_seed(ctx: &FuzzContext, text: bool, token: &[u8]) -> Vec<u8> {
    fn variant(index: u32, count: u32) -> [u8; 4] {
        // The least u32 whose scaled value lands on `index`.
        let v = (u64::from(index) << 32).div_ceil(u64::from(count));
        u32::try_from(v).expect("index < count").to_le_bytes()
    }
    fn option_byte(d: &mut Vec<u8>, b: Option<u8>) {
        match b {
            None => d.push(0),
            Some(b) => d.extend([1, b]),
        }
    }
    let mut d = Vec::new();
    match ctx.now {
        FuzzTime::Near(n) => {
            d.extend(variant(0, 2));
            d.extend(n.to_le_bytes());
        }
        FuzzTime::Any(n) => {
            d.extend(variant(1, 2));
            d.extend(n.to_le_bytes());
        }
    }
    match ctx.ip {
        None => d.push(0),
        Some(FuzzIp::V4(o)) => {
            d.push(1);
            d.extend(variant(0, 3));
            d.extend(o);
        }
        Some(FuzzIp::V6(o)) => {
            d.push(1);
            d.extend(variant(1, 3));
            d.extend(o);
        }
        Some(FuzzIp::Mapped(o)) => {
            d.push(1);
            d.extend(variant(2, 3));
            d.extend(o);
        }
    }
    option_byte(&mut d, ctx.invite_type);
    match ctx.leeway {
        FuzzLeeway::Zero => d.extend(variant(0, 3)),
        FuzzLeeway::Small(s) => {
            d.extend(variant(1, 3));
            d.push(s);
        }
        FuzzLeeway::Any(s) => {
            d.extend(variant(2, 3));
            d.extend(s.to_le_bytes());
        }
    }
    option_byte(&mut d, ctx.action);
    d.push(u8::from(text));
    d.extend_from_slice(token);
    let back = structured::<OracleInput>(&d).expect("seed decodes");
    assert_eq!(
        (&back.ctx, back.text, back.token),
        (ctx, text, token),
        "arbitrary's encoding changed: update oracle_seed"
    );
    d
}

/// Deduplicates seeds by content, keeping the first name (the corpus holds each input once).
pub fn unique_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    for (target, name, bytes) in seeds() {
        if !out.iter().any(|(t, _, b)| *t == target && *b == bytes) {
            out.push((target, name, bytes));
        }
    }
    out
}
