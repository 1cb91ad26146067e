//! spec/vectors/onedata/decoding.json: one vector per decoding rule of the Onedata format
//! (SPEC.md §10.1.1–§10.1.2, §10.1.4), built here byte by byte, independently of the library's
//! encoder. Each vector's expected outcome is written by hand next to the input that breaks the
//! rule; apart from that one defect, every token is correctly signed with the file's secret.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use caveat_token::{hazmat as chain, RootKey};
use serde_json::{json, Value};

/// The secret every vector is signed with.
pub const SECRET: &str = "onedata decoding vectors secret";
/// The verification time.
pub const NOW: u64 = 1_700_000_000;
const LOCATION: &[u8] = b"onezone.example.com";
const IDENTIFIER: &[u8] = b"2/nmd/usr-alice/act/dec1";

/// `len k " " v "\n"` with `len` the whole packet's length in 4 lowercase hex digits.
fn packet(key: &[u8], value: &[u8]) -> Vec<u8> {
    let len = 4 + key.len() + 1 + value.len() + 1;
    [format!("{len:04x}").as_bytes(), key, b" ", value, b"\n"].concat()
}

/// SPEC.md §10.1.1: base64url without padding, then the escape of `0 _ - / + =`.
fn text_of(binary: &[u8]) -> String {
    URL_SAFE_NO_PAD
        .encode(binary)
        .chars()
        .map(|c| match c {
            '0' => "00".to_owned(),
            '_' => "01".to_owned(),
            '-' => "02".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

fn signature(identifier: &[u8], caveats: &[&[u8]]) -> Vec<u8> {
    let key = RootKey::from_bytes(SECRET.as_bytes()).expect("key");
    let tags = chain::tags(&key, identifier, caveats.iter().copied());
    tags.last().expect("tag_0").as_bytes().to_vec()
}

/// A well-formed binary: location, identifier, cids, `extra` (before the signature), signature.
fn binary(location: &[u8], identifier: &[u8], caveats: &[&[u8]], extra: &[u8]) -> Vec<u8> {
    let mut out = [
        packet(b"location", location),
        packet(b"identifier", identifier),
    ]
    .concat();
    for c in caveats {
        out.extend(packet(b"cid", c));
    }
    out.extend_from_slice(extra);
    out.extend(packet(b"signature", &signature(identifier, caveats)));
    out
}

fn bad(reason: &str) -> Value {
    json!({"error": {"id": "badToken", "details": {"reason": reason}}})
}

fn too_large(limit: &str, max: usize) -> Value {
    json!({"error": {"id": "tokenTooLarge", "details": {"limit": limit, "max": max}}})
}

fn vector(
    name: &str,
    description: &str,
    binary: Option<&[u8]>,
    text: String,
    expected: Value,
) -> Value {
    json!({
        "name": name,
        "description": description,
        "binary_hex": binary.map(hex::encode),
        "token": text,
        "expected": expected,
    })
}

fn from_binary(name: &str, description: &str, b: &[u8], expected: Value) -> Value {
    vector(name, description, Some(b), text_of(b), expected)
}

/// The file's contents.
#[must_use]
pub fn generate() -> Value {
    let loc = packet(b"location", LOCATION);
    let id = packet(b"identifier", IDENTIFIER);
    let sig = packet(b"signature", &signature(IDENTIFIER, &[]));
    let good = binary(LOCATION, IDENTIFIER, &[], b"");
    let good_text = text_of(&good);
    let time: &[u8] = b"time < 1700003600";
    let long_cid = [b"example.com/x = ".as_slice(), &[b'v'; 1009]].concat(); // 1025 bytes
    let many: Vec<&[u8]> = vec![time; 257];
    let big_cids: Vec<Vec<u8>> = (0..17)
        .map(|_| [b"example.com/x = ".as_slice(), &[b'v'; 984]].concat()) // 1000 bytes each
        .collect();
    let big_refs: Vec<&[u8]> = big_cids.iter().map(Vec::as_slice).collect();
    // Caveats whose base64 is 0000… (bytes d3 4d 34 repeated, aligned to a base64 group; each
    // packet is 1008 bytes, a multiple of 3, so every caveat has the same alignment), so
    // that the escaped text is about twice as long as the base64.
    let (escaped_heavy, heavy_text) = (0..3)
        .map(|r| {
            let cid: Vec<u8> = (0..999)
                .map(|i| [0xd3u8, 0x4d, 0x34][(i + r) % 3])
                .collect();
            let cids: Vec<&[u8]> = vec![cid.as_slice(); 12];
            let b = binary(LOCATION, IDENTIFIER, &cids, b"");
            // SPEC.md §10.2: an unknown text that is not UTF-8, each maximal invalid subsequence
            // replaced by U+FFFD.
            (b, String::from_utf8_lossy(&cid).into_owned())
        })
        .max_by_key(|(b, _)| text_of(b).len())
        .expect("three candidates");
    assert!(text_of(&escaped_heavy).len() > 21_853 && escaped_heavy.len() <= 16_384);

    // 2 * 4 * ceil(16384 / 3) = 43696 characters is the longest text read (SPEC.md §10.1.1).
    let text_bound = 2 * 4 * 16384usize.div_ceil(3);
    let vectors = vec![
        from_binary(
            "valid",
            "A well-formed token with no caveat: verifies.",
            &good,
            json!("ok"),
        ),
        from_binary(
            "empty_cid",
            "An empty cid packet decodes (SPEC.md §10.1.2); its empty text is no known caveat.",
            &binary(LOCATION, IDENTIFIER, &[b""], b""),
            json!({"error": {"id": "tokenCaveatUnknown", "details": {"index": 0, "caveat": ""}}}),
        ),
        from_binary(
            "cid_not_utf8",
            "A cid that is not UTF-8 (a\\xe2\\x82b\\xffc): unknown, reported with each maximal \
             invalid subsequence replaced by U+FFFD (SPEC.md §10.2).",
            &binary(LOCATION, IDENTIFIER, &[b"a\xe2\x82b\xffc"], b""),
            json!({"error": {"id": "tokenCaveatUnknown",
                             "details": {"index": 0, "caveat": "a\u{fffd}b\u{fffd}c"}}}),
        ),
        from_binary(
            "unknown_caveat_text_in_full",
            "An unknown caveat text of 200 bytes is reported whole, not cut (SPEC.md §10.2).",
            &binary(
                LOCATION,
                IDENTIFIER,
                &[&[b"foo = ".as_slice(), &[b'x'; 194]].concat()],
                b"",
            ),
            json!({"error": {"id": "tokenCaveatUnknown",
                             "details": {"index": 0, "caveat": format!("foo = {}", "x".repeat(194))}}}),
        ),
        from_binary(
            "native_bound_not_applied",
            "A token of 12 caveats of 999 bytes whose text is over the native text bound (21853) \
             and within Onedata's, its base64 being mostly 0 (escaped 00): the text is read, and \
             its first caveat (not UTF-8) is unknown (SPEC.md §4.7).",
            &escaped_heavy,
            json!({"error": {"id": "tokenCaveatUnknown",
                             "details": {"index": 0, "caveat": heavy_text}}}),
        ),
        from_binary(
            "truncated_packet_length",
            "Two bytes where the third packet's length starts.",
            &[loc.clone(), id.clone(), b"00".to_vec()].concat(),
            bad("truncated packet length"),
        ),
        from_binary(
            "uppercase_packet_length",
            "The identifier packet's length written 002A.",
            &[
                loc.clone(),
                b"002Aidentifier ".to_vec(),
                vec![b'a'; 26],
                b"\n".to_vec(),
            ]
            .concat(),
            bad("packet length must be 4 lowercase hex digits"),
        ),
        from_binary(
            "packet_too_short",
            "A packet length of 5.",
            &[loc.clone(), b"0005\n".to_vec()].concat(),
            bad("packet too short"),
        ),
        from_binary(
            "packet_length_beyond_input",
            "The identifier packet declares 0x00ff bytes; fewer follow.",
            &[loc.clone(), b"00ffidentifier x\n".to_vec()].concat(),
            bad("packet length exceeds the input"),
        ),
        from_binary(
            "packet_without_newline",
            "The identifier packet ends with x instead of a newline.",
            &[
                loc.clone(),
                id[..id.len() - 1].to_vec(),
                b"x".to_vec(),
                sig.clone(),
            ]
            .concat(),
            bad("packet does not end with a newline"),
        ),
        from_binary(
            "packet_without_key",
            "A packet with no space: 0009abcd\\n.",
            &[loc.clone(), b"0009abcd\n".to_vec()].concat(),
            bad("packet has no key"),
        ),
        from_binary(
            "identifier_first",
            "The identifier packet comes before the location packet.",
            &[id.clone(), loc.clone(), sig.clone()].concat(),
            bad("duplicate or misplaced identifier packet"),
        ),
        from_binary(
            "cid_before_identifier",
            "A cid packet where the identifier packet belongs.",
            &[loc.clone(), packet(b"cid", time), sig.clone()].concat(),
            bad("missing identifier packet"),
        ),
        from_binary(
            "location_twice",
            "Two location packets.",
            &[loc.clone(), loc.clone(), id.clone(), sig.clone()].concat(),
            bad("duplicate or misplaced location packet"),
        ),
        from_binary(
            "identifier_after_caveats",
            "A second identifier packet before the signature.",
            &binary(LOCATION, IDENTIFIER, &[], &id),
            bad("duplicate or misplaced identifier packet"),
        ),
        from_binary(
            "vid_packet",
            "A vid packet after a cid (a third-party caveat).",
            &binary(LOCATION, IDENTIFIER, &[time], &packet(b"vid", b"x")),
            bad("third-party caveats are not supported"),
        ),
        from_binary(
            "cl_packet",
            "A cl packet after a cid.",
            &binary(LOCATION, IDENTIFIER, &[time], &packet(b"cl", b"x")),
            bad("third-party caveats are not supported"),
        ),
        from_binary(
            "unknown_packet_key",
            "A packet with the key foo.",
            &binary(LOCATION, IDENTIFIER, &[], &packet(b"foo", b"x")),
            bad("unknown packet key"),
        ),
        from_binary(
            "missing_signature",
            "No signature packet.",
            &[loc.clone(), id.clone()].concat(),
            bad("missing signature packet"),
        ),
        from_binary(
            "packet_after_signature",
            "A cid packet after the signature packet.",
            &[good.clone(), packet(b"cid", time)].concat(),
            bad("data after the signature packet"),
        ),
        from_binary(
            "signature_31_bytes",
            "A signature value of 31 bytes.",
            &[loc.clone(), id.clone(), packet(b"signature", &[7; 31])].concat(),
            bad("signature must be 32 bytes"),
        ),
        from_binary(
            "location_with_space",
            "The location a b (no space allowed).",
            &binary(b"a b", IDENTIFIER, &[], b""),
            bad("location breaks the charset or length rules"),
        ),
        from_binary(
            "location_empty",
            "An empty location.",
            &binary(b"", IDENTIFIER, &[], b""),
            bad("location breaks the charset or length rules"),
        ),
        from_binary(
            "identifier_empty_token_id",
            "The identifier 2/nmd/usr-alice/act/ (empty token id).",
            &binary(LOCATION, b"2/nmd/usr-alice/act/", &[], b""),
            bad("bad token id"),
        ),
        from_binary(
            "identifier_too_large",
            "An identifier of 2049 bytes (maxIdentifierBytes 2048): the limit is checked before \
             the identifier is read (SPEC.md §10.1.2).",
            &binary(LOCATION, &[b'x'; 2049], &[], b""),
            too_large("identifierSize", 2048),
        ),
        from_binary(
            "caveat_too_large_before_bad_location",
            "A cid of 1025 bytes (maxCaveatBytes 1024) in a token whose location is invalid: \
             limits come before the field checks.",
            &binary(b"a b", IDENTIFIER, &[&long_cid], b""),
            too_large("caveatSize", 1024),
        ),
        from_binary(
            "limit_before_a_later_bad_packet",
            "257 cid packets, then a packet of length 5: packets are read in order, so the \
             caveat limit is exceeded first (SPEC.md §10.1.2).",
            &[
                loc.clone(),
                id.clone(),
                many.iter().flat_map(|c| packet(b"cid", c)).collect(),
                b"0005\n".to_vec(),
            ]
            .concat(),
            too_large("caveats", 256),
        ),
        from_binary(
            "bad_packet_before_a_later_limit",
            "An unknown packet, then a cid of 1025 bytes: the unknown packet comes first.",
            &[
                loc.clone(),
                id.clone(),
                packet(b"foo", b"x"),
                packet(b"cid", &long_cid),
                sig.clone(),
            ]
            .concat(),
            bad("unknown packet key"),
        ),
        from_binary(
            "too_many_caveats",
            "257 cid packets (maxCaveats 256).",
            &binary(LOCATION, IDENTIFIER, &many, b""),
            too_large("caveats", 256),
        ),
        from_binary(
            "binary_too_large",
            "A binary of more than 16384 bytes (17 caveats of 1000 bytes).",
            &binary(LOCATION, IDENTIFIER, &big_refs, b""),
            too_large("size", 16384),
        ),
        vector(
            "text_too_large",
            "A text of 43697 characters (one more than 2 * 4 * ceil(16384 / 3)), refused before \
             it is read.",
            None,
            format!("MDA{}", "A".repeat(text_bound + 1 - 3)),
            too_large("size", 16384),
        ),
        vector(
            "invalid_escape",
            "The escape 06.",
            None,
            format!("{}06{}", &good_text[..10], &good_text[10..]),
            bad("invalid escape (0 must be followed by 0-5)"),
        ),
        vector(
            "unescaped_underscore",
            "A bare _ in the text.",
            None,
            format!("{}_{}", &good_text[..10], &good_text[10..]),
            bad("unescaped character in Onedata token"),
        ),
        vector(
            "invalid_character",
            "A ! in the text.",
            None,
            format!("{}!{}", &good_text[..10], &good_text[10..]),
            bad("invalid character in Onedata token"),
        ),
        vector(
            "service_indication_prefix",
            "Onedata's opw- prefix is not read.",
            None,
            format!("opw-{good_text}"),
            bad("unknown token format"),
        ),
    ];
    json!({
        "schema": "caveat-token/onedata-decoding/1",
        "description": "Onedata-format texts that break one decoding rule each (SPEC.md §10.1), \
                        verified with secret at now under the default limits; binary_hex is the \
                        binary form when the text is its exact encoding, else null.",
        "regenerate": "UPDATE_VECTORS=1 cargo test --test onedata_spec_vectors",
        "secret": SECRET,
        "now": NOW,
        "vectors": vectors,
    })
}
