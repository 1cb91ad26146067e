//! ciborium as an independent CBOR oracle: it reads what the crate writes, and the encodings it
//! produces that the strict reader must reject are rejected.

use super::*;

// ---------------------------------------------------------------------------------------------
// ciborium as an independent oracle
// ---------------------------------------------------------------------------------------------

fn cbor_decode(bytes: &[u8]) -> Value {
    ciborium::de::from_reader(bytes).expect("ciborium decodes")
}

fn cbor_encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).expect("ciborium encodes");
    out
}

fn int(v: u64) -> Value {
    Value::Integer(v.into())
}

#[test]
fn ciborium_reads_what_we_write() {
    let tokens = [
        base(),
        mint(&[]),
        Token::mint(
            &key(),
            &caveat_token::Identifier {
                key_id: Some("k-2026".into()),
                token_type: caveat_token::TokenType::Invite {
                    invite_type: InviteType::GroupJoinAtmInventory,
                    target: "inv-1".into(),
                    params: "".into(),
                },
                persistence: caveat_token::Persistence::Named,
                ..identifier()
            },
            &[
                caveat(r#"{"type":"inviteType","whitelist":["groupJoinAtmInventory"]}"#),
                caveat(r#"{"type":"app","name":"example.com/action","value":"read"}"#),
                caveat(r#"{"type":"ip","whitelist":["2001:db8::/32","10.0.0.0/8"]}"#),
                Caveat::time(u64::MAX),
            ],
        )
        .expect("mint"),
    ];
    for t in &tokens {
        let (id, cavs, tag) = parts(t);
        let env = cbor_decode(t.as_bytes());
        let expected = Value::Array(vec![
            int(1),
            Value::Bytes(id.clone()),
            Value::Array(cavs.iter().cloned().map(Value::Bytes).collect()),
            Value::Bytes(tag.clone()),
        ]);
        assert_eq!(env, expected);
        // ciborium writes the same bytes back: our encoding is the preferred one.
        assert_eq!(cbor_encode(&env), t.as_bytes());

        // The identifier: [location, keyId|null, tokenId, [subjectKind, id], type, persistence].
        let idv = cbor_decode(&id);
        let parsed = t.untrusted_identifier().expect("identifier");
        let Value::Array(items) = &idv else {
            panic!("identifier is an array: {idv:?}")
        };
        assert_eq!(items.len(), 6);
        assert_eq!(items[0], Value::Text(parsed.location.to_string()));
        match &parsed.key_id {
            None => assert_eq!(items[1], Value::Null),
            Some(k) => assert_eq!(items[1], Value::Text(k.to_string())),
        }
        assert_eq!(items[2], Value::Text(parsed.token_id.to_string()));
        assert_eq!(
            items[3],
            Value::Array(vec![int(0), Value::Text(parsed.subject.id().to_owned())])
        );
        assert_eq!(cbor_encode(&idv), id);

        // Each caveat is an array [kind, …] that ciborium re-encodes identically.
        for (c, typed) in cavs.iter().zip(t.untrusted_caveats()) {
            let v = cbor_decode(c);
            let Value::Array(fields) = &v else {
                panic!("caveat is an array: {v:?}")
            };
            let kind = match typed.expect("known").type_name() {
                "time" => 0,
                "ip" => 1,
                "inviteType" => 2,
                _ => 3,
            };
            assert_eq!(fields[0], int(kind));
            assert_eq!(cbor_encode(&v), c.as_slice());
        }
    }
}

#[test]
fn ciborium_encodings_we_must_reject() {
    let t = base();
    let (id, cavs, tag) = parts(&t);
    let caveat_list = Value::Array(cavs.iter().cloned().map(Value::Bytes).collect());
    let env = |version: Value, identifier: Value, caveats: Value, tag: Value| {
        cbor_encode(&Value::Array(vec![version, identifier, caveats, tag]))
    };
    // Sanity: the canonical structure through ciborium is accepted.
    let canonical = env(
        int(1),
        Value::Bytes(id.clone()),
        caveat_list.clone(),
        Value::Bytes(tag.clone()),
    );
    assert_eq!(outcome(&bin(canonical)), "ok");

    #[derive(serde::Serialize)]
    struct AsStruct {
        version: u64,
        #[serde(with = "serde_bytes_like")]
        identifier: Vec<u8>,
    }
    mod serde_bytes_like {
        pub fn serialize<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(b)
        }
    }
    let mut as_struct = Vec::new();
    ciborium::ser::into_writer(
        &AsStruct {
            version: 1,
            identifier: id.clone(),
        },
        &mut as_struct,
    )
    .expect("encode");

    let bytes_of = |b: &[u8]| Value::Array(b.iter().map(|&x| int(u64::from(x))).collect());
    run(vec![
        ("a serde struct (a map)", bin(as_struct), "badToken"),
        (
            "a map with our fields",
            bin(cbor_encode(&Value::Map(vec![
                (int(0), int(1)),
                (int(1), Value::Bytes(id.clone())),
                (int(2), caveat_list.clone()),
                (int(3), Value::Bytes(tag.clone())),
            ]))),
            "badToken",
        ),
        (
            "tag 24 around the identifier",
            bin(env(
                int(1),
                Value::Tag(24, Box::new(Value::Bytes(id.clone()))),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "float version 1.0",
            bin(env(
                Value::Float(1.0),
                Value::Bytes(id.clone()),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "negative version",
            bin(env(
                Value::Integer((-1).into()),
                Value::Bytes(id.clone()),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "bool version",
            bin(env(
                Value::Bool(true),
                Value::Bytes(id.clone()),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "identifier as text",
            bin(env(
                int(1),
                Value::Text(String::from_utf8(id.clone()).unwrap_or_default()),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "identifier as its decoded structure",
            bin(env(
                int(1),
                cbor_decode(&id),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "tag as an array of integers",
            bin(env(
                int(1),
                Value::Bytes(id.clone()),
                caveat_list.clone(),
                bytes_of(&tag),
            )),
            "badToken",
        ),
        (
            "caveats as decoded structures",
            bin(env(
                int(1),
                Value::Bytes(id.clone()),
                Value::Array(cavs.iter().map(|c| cbor_decode(c)).collect()),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "null caveat list",
            bin(env(
                int(1),
                Value::Bytes(id.clone()),
                Value::Null,
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "self-describe tag around the envelope",
            bin(cbor_encode(&Value::Tag(
                55799,
                Box::new(cbor_decode(t.as_bytes())),
            ))),
            "badToken",
        ),
        (
            "a fifth element",
            bin(cbor_encode(&Value::Array(vec![
                int(1),
                Value::Bytes(id.clone()),
                caveat_list,
                Value::Bytes(tag),
                Value::Null,
            ]))),
            "badToken",
        ),
    ]);
}
