//! encoding.json: malformed encodings and exceeded limits (SPEC.md §9).

use super::*;

pub(super) const BASE64_ERROR: &str = "invalid base64url (unpadded, URL-safe alphabet)";
pub(super) const ID_RULES: &str = "identifier field breaks the charset or length rules";
pub(super) const URL_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A raw identifier vector: the base identifier with one field replaced, correctly MACed.
pub(super) fn raw_id_vector(
    name: &str,
    description: &str,
    change: impl FnOnce(&mut Vec<Item>),
    reason: &str,
) -> Result<Vector, String> {
    let mut fields = raw_base_identifier();
    change(&mut fields);
    let chain = Chain::raw(
        &key_main(),
        &Item::A(fields),
        vec![Cav::typed(&time(NOW + HOUR))?],
    );
    Vector::new(name, description, chain, bad_token(reason))
}

pub(super) fn set(fields: &mut [Item], index: usize, item: Item) {
    if let Some(f) = fields.get_mut(index) {
        *f = item;
    }
}

pub(super) fn encoding() -> Result<Vec<Vector>, String> {
    let main = key_main();
    // The raw identifier writer must agree with the library for the base identifier.
    if encode(&Item::A(raw_base_identifier()))
        != Chain::mint(&main, &base_identifier(), vec![])?.identifier_bytes
    {
        return Err("raw identifier writer disagrees with the library".to_owned());
    }

    // A token whose binary length is not a multiple of 3, so that its base64 has a partial
    // final group (padding and trailing bits apply).
    // Its text must also contain '-' and '_', for the standard-alphabet vectors.
    let mut base = None;
    for i in 1..1000 {
        let c = Chain::mint(
            &main,
            &with_token_id(&format!("tok-{i}")),
            vec![Cav::typed(&time(NOW + HOUR))?],
        )?;
        let body = c.text()?.split_off(5);
        if c.envelope()?.len() % 3 != 0 && body.contains('-') && body.contains('_') {
            base = Some(c);
            break;
        }
    }
    let base = base.ok_or("no suitable token for the text vectors")?;
    let raw = base.envelope()?;
    let text = base.text()?;
    let body = text
        .strip_prefix("cvt1_")
        .ok_or_else(|| "prefix".to_owned())?
        .to_owned();
    let base_vector = |name: &str, description: &str, expected: Value, mutation: &str, token| {
        Ok::<_, String>(
            Vector::new(name, description, base.clone(), expected)?.mutated(mutation, token),
        )
    };
    let enc = |raw: &[u8]| native_text(raw);

    let padding = if raw.len() % 3 == 1 { "==" } else { "=" };
    let unused_bits = if raw.len() % 3 == 1 { 4 } else { 2 };
    let last = *body.as_bytes().last().ok_or("empty body")?;
    let last_index = URL_ALPHABET
        .iter()
        .position(|&c| c == last)
        .ok_or("not in alphabet")?;
    if last_index % (1 << unused_bits) != 0 {
        return Err("canonical base64 has non-zero trailing bits".to_owned());
    }
    let bad_last = char::from(*URL_ALPHABET.get(last_index + 1).ok_or("alphabet")?);
    let trailing_bits = format!("cvt1_{}{bad_last}", &body[..body.len() - 1]);
    let dash = body.find('-').ok_or("no '-' in the body")?;
    let underscore = body.find('_').ok_or("no '_' in the body")?;
    let replace_at = |i: usize, c: &str| format!("cvt1_{}{c}{}", &body[..i], &body[i + 1..]);

    let id = base.identifier_bytes.clone();
    let cavs = base.caveat_bytes();
    let tag = base.final_tag()?;
    let mut raw_trailing = raw.clone();
    raw_trailing.push(0x00);
    let raw_truncated = &raw[..raw.len() - 1];
    let mut as_map = raw.clone();
    if let Some(b) = as_map.first_mut() {
        *b = 0xa4;
    }
    // The envelope begins 0x84 0x01 (array of 4, version 1), then the identifier's head.
    let id_head = {
        let mut h = Vec::new();
        head(&mut h, 2, id.len() as u64);
        h
    };
    let after_id = 2 + id_head.len() + id.len();
    let rest_after_id = raw.get(after_id..).ok_or("short")?;
    let caveat_list = encode(&Item::A(cavs.iter().cloned().map(Item::B).collect()));
    let tag_item = encode(&Item::B(tag.clone()));

    let mut out = vec![
        base_vector(
            "encoding_empty",
            "The empty string.",
            bad_token("empty input"),
            "token replaced by the empty string",
            String::new(),
        )?,
        base_vector(
            "encoding_unknown_prefix",
            "A prefix that names no format.",
            bad_token("unknown token format"),
            "prefix cvt1_ replaced by cvx1_",
            format!("cvx1_{body}"),
        )?,
        base_vector(
            "encoding_uppercase_prefix",
            "The prefix is case-sensitive.",
            bad_token("unknown token format"),
            "prefix cvt1_ replaced by CVT1_",
            format!("CVT1_{body}"),
        )?,
        base_vector(
            "encoding_unsupported_text_version",
            "cvt2_: a native token of a version this verifier does not know.",
            bad_token("unsupported version"),
            "prefix cvt1_ replaced by cvt2_",
            format!("cvt2_{body}"),
        )?,
        base_vector(
            "encoding_unsupported_envelope_version",
            "The envelope's version field is 2 under the cvt1_ prefix (the version is not \
             MACed; the chain is otherwise intact).",
            bad_token("unsupported version"),
            "envelope version 1 replaced by 2",
            enc(&envelope(2, &id, &cavs, &tag)),
        )?,
        base_vector(
            "encoding_base64_padding",
            "Base64 padding appended.",
            bad_token(BASE64_ERROR),
            "'=' padding appended",
            format!("{text}{padding}"),
        )?,
        base_vector(
            "encoding_base64_plus",
            "A '-' replaced by '+' (the standard alphabet's character for the same value).",
            bad_token(BASE64_ERROR),
            "first '-' of the base64 body replaced by '+'",
            replace_at(dash, "+"),
        )?,
        base_vector(
            "encoding_base64_slash",
            "A '_' replaced by '/' (the standard alphabet's character for the same value).",
            bad_token(BASE64_ERROR),
            "first '_' of the base64 body replaced by '/'",
            replace_at(underscore, "/"),
        )?,
        base_vector(
            "encoding_base64_trailing_newline",
            "A trailing newline (no whitespace is stripped).",
            bad_token(BASE64_ERROR),
            "'\\n' appended",
            format!("{text}\n"),
        )?,
        base_vector(
            "encoding_base64_nonzero_trailing_bits",
            "The last base64 character has non-zero unused bits (it decodes to the same bytes \
             under a lenient decoder).",
            bad_token(BASE64_ERROR),
            "last base64 character replaced by the next one in the alphabet",
            trailing_bits,
        )?,
        base_vector(
            "encoding_trailing_byte",
            "One byte (0x00) after the envelope.",
            bad_token("trailing bytes"),
            "0x00 appended to the binary form",
            enc(&raw_trailing),
        )?,
        base_vector(
            "encoding_truncated",
            "The last byte of the binary form removed (the tag is 31 of 32 declared bytes).",
            bad_token("truncated"),
            "last byte of the binary form removed",
            enc(raw_truncated),
        )?,
        base_vector(
            "encoding_declared_over_limit_and_truncated",
            "The identifier's head declares 600 bytes (over max_identifier_bytes = 512) and fewer \
             follow: truncation is checked first (SPEC.md §4.5 steps 8 and 10), so badToken.",
            bad_token("truncated"),
            "identifier head replaced by 59 02 58 (600 bytes), nothing else changed",
            enc(&[&[0x84, 0x01, 0x59, 0x02, 0x58][..], &raw[4..]].concat()),
        )?
        .limits(MIN_LIMITS),
        base_vector(
            "encoding_tag_31_bytes",
            "A tag byte string of 31 bytes.",
            bad_token("tag must be 32 bytes"),
            "tag replaced by its first 31 bytes",
            enc(&envelope(1, &id, &cavs, tag.get(..31).ok_or("tag")?)),
        )?,
        base_vector(
            "encoding_tag_33_bytes",
            "A tag byte string of 33 bytes.",
            bad_token("tag must be 32 bytes"),
            "0x00 appended to the tag",
            enc(&envelope(1, &id, &cavs, &[tag.clone(), vec![0]].concat())),
        )?,
        base_vector(
            "encoding_envelope_three_items",
            "An envelope array of 3 items (the tag left out).",
            bad_token("wrong number of array items"),
            "envelope head 0x84 replaced by 0x83 and the tag removed",
            enc(&encode(&Item::A(vec![
                Item::U(1),
                Item::B(id.clone()),
                Item::A(cavs.iter().cloned().map(Item::B).collect()),
            ]))),
        )?,
        base_vector(
            "encoding_envelope_map",
            "The envelope head is a map (major type 5).",
            bad_token("unexpected map"),
            "first byte 0x84 replaced by 0xa4",
            enc(&as_map),
        )?,
        base_vector(
            "encoding_self_described_cbor",
            "The envelope wrapped in CBOR tag 55799 (self-described CBOR).",
            bad_token("unexpected CBOR tag"),
            "0xd9d9f7 prepended to the binary form",
            enc(&[&[0xd9, 0xd9, 0xf7][..], &raw].concat()),
        )?,
        base_vector(
            "encoding_non_minimal_version",
            "The version written as 0x18 0x01 instead of 0x01.",
            bad_token("non-minimal integer encoding"),
            "version head 0x01 replaced by 0x18 0x01",
            enc(&[&[0x84, 0x18, 0x01][..], raw.get(2..).ok_or("short")?].concat()),
        )?,
        base_vector(
            "encoding_non_minimal_identifier_length",
            "The identifier's length written with a 2-byte argument although it fits in 1.",
            bad_token("non-minimal integer encoding"),
            "identifier head 0x58 n replaced by 0x59 0x00 n",
            enc(&[
                &[0x84, 0x01, 0x59, 0x00][..],
                &[u8::try_from(id.len()).map_err(err)?],
                &id,
                rest_after_id,
            ]
            .concat()),
        )?,
        base_vector(
            "encoding_identifier_as_text",
            "The identifier is a text string (major type 3) instead of a byte string.",
            bad_token("unexpected CBOR type"),
            "identifier head major type 2 replaced by 3",
            enc(&[
                &[0x84, 0x01][..],
                &[id_head.first().ok_or("head")? + 0x20],
                id_head.get(1..).ok_or("head")?,
                &id,
                rest_after_id,
            ]
            .concat()),
        )?,
        base_vector(
            "encoding_indefinite_caveat_array",
            "The caveat array has indefinite length (0x9f … 0xff).",
            bad_token("indefinite length"),
            "caveat array head replaced by 0x9f, 0xff added after the last caveat",
            enc(&[
                &[0x84, 0x01][..],
                &id_head,
                &id,
                &[0x9f],
                caveat_list.get(1..).ok_or("list")?,
                &[0xff],
                &tag_item,
            ]
            .concat()),
        )?,
        base_vector(
            "encoding_caveat_count_exceeds_input",
            "The caveat array declares 200 items, more than there are bytes left.",
            bad_token("truncated"),
            "caveat array head replaced by 0x98 0xc8 (200)",
            enc(&[
                &[0x84, 0x01][..],
                &id_head,
                &id,
                &[0x98, 0xc8],
                caveat_list.get(1..).ok_or("list")?,
                &tag_item,
            ]
            .concat()),
        )?,
    ];

    // The identifier's own rules (SPEC.md §3, §4.3): correctly MACed, malformed identifiers.
    out.extend([
        raw_id_vector(
            "identifier_subject_bad_charset",
            "The subject id contains a space.",
            |f| set(f, 3, Item::A(vec![Item::U(0), t("al ice")])),
            ID_RULES,
        )?,
        raw_id_vector(
            "identifier_empty_token_id",
            "An empty token id.",
            |f| set(f, 2, t("")),
            ID_RULES,
        )?,
        raw_id_vector(
            "identifier_empty_key_id",
            "A key id that is the empty string (absent is null, not \"\").",
            |f| set(f, 1, t("")),
            ID_RULES,
        )?,
        raw_id_vector(
            "identifier_location_with_space",
            "A location containing a space.",
            |f| set(f, 0, t("auth example.com")),
            ID_RULES,
        )?,
        raw_id_vector(
            "identifier_token_id_256_bytes",
            "A token id of 256 bytes (the maximum is 255).",
            |f| set(f, 2, t(&"t".repeat(256))),
            "string longer than allowed",
        )?,
        raw_id_vector(
            "identifier_invalid_utf8",
            "The location's text string holds the byte 0xff.",
            |f| set(f, 0, Item::Raw(vec![0x62, 0x61, 0xff])),
            "invalid UTF-8 in text string",
        )?,
        raw_id_vector(
            "identifier_unknown_subject_kind",
            "Subject kind 2 (only 0 = usr and 1 = prv exist).",
            |f| set(f, 3, Item::A(vec![Item::U(2), t("alice")])),
            "unknown subject kind",
        )?,
        raw_id_vector(
            "identifier_unknown_token_type",
            "Token type 3 (only 0 access, 1 identity, 2 invite exist).",
            |f| set(f, 4, Item::A(vec![Item::U(3)])),
            "unknown token type",
        )?,
        raw_id_vector(
            "identifier_identity_with_session",
            "An identity token type with a session field ([1, \"s\"]).",
            |f| set(f, 4, Item::A(vec![Item::U(1), t("s")])),
            "unknown token type",
        )?,
        raw_id_vector(
            "identifier_unknown_invite_code",
            "Invite type code 14 (codes are 0–13).",
            |f| {
                set(
                    f,
                    4,
                    Item::A(vec![Item::U(2), Item::U(14), t("space-1"), t("")]),
                );
            },
            "unknown invite type",
        )?,
        raw_id_vector(
            "identifier_unknown_persistence",
            "Persistence kind 2 (only 0 named and 1 temporary exist).",
            |f| set(f, 5, Item::A(vec![Item::U(2)])),
            "unknown persistence",
        )?,
        raw_id_vector(
            "identifier_temporary_without_generation",
            "Temporary persistence without its generation.",
            |f| set(f, 5, Item::A(vec![Item::U(1)])),
            "unknown persistence",
        )?,
        raw_id_vector(
            "identifier_negative_generation",
            "A generation of -1 (major type 1).",
            |f| set(f, 5, Item::A(vec![Item::U(1), Item::Neg(0)])),
            "unexpected negative integer",
        )?,
        raw_id_vector(
            "identifier_seven_fields",
            "An identifier array of 7 items.",
            |f| f.push(Item::Null),
            "array longer than allowed",
        )?,
        raw_id_vector(
            "identifier_trailing_bytes",
            "A byte (0x00) after the identifier's array, inside its byte string.",
            |f| {
                if let Some(last) = f.pop() {
                    f.push(Item::Raw([encode(&last), vec![0x00]].concat()));
                }
            },
            "trailing bytes",
        )?,
    ]);

    // Limits (SPEC.md §7), each exceeded by one with the limits set to the minimums.
    let at_limit = find_fill(512, 4096)?;
    let over_size = find_fill(512, 4097)?;
    let over_text = find_fill(512, 4103)?;
    let over_caveats = Chain::mint(
        &main,
        &with_token_id("tok-0200"),
        (0..65)
            .map(|i| Cav::typed(&time(NOW + HOUR + i)))
            .collect::<Result<_, _>>()?,
    )?;
    let over_caveat = Chain::mint(
        &main,
        &with_token_id("tok-0201"),
        vec![Cav::typed(&app(
            BIG_NAME,
            &"b".repeat(app_value_len(BIG_NAME, 257)?),
        ))?],
    )?;
    let over_identifier = Chain::mint(
        &main,
        &long_identifier(at_limit.token_id_len + 1),
        vec![Cav::typed(&time(NOW + HOUR))?],
    )?;
    out.extend([
        with_fill_predicates(
            Vector::new(
                "limit_token_bytes_exceeded",
                "A 4097-byte token under max_token_bytes = 4096 (its text is within the text \
                 bound, so the binary check rejects it).",
                fill_chain(&over_size)?,
                too_large("size", 4096),
            )?
            .limits(MIN_LIMITS),
            &over_size,
        )?,
        with_fill_predicates(
            Vector::new(
                "limit_text_length_exceeded",
                "A 4103-byte token whose text (5476 characters) exceeds the text bound for \
                 max_token_bytes = 4096 (5469): rejected before base64 decoding.",
                fill_chain(&over_text)?,
                too_large("size", 4096),
            )?
            .limits(MIN_LIMITS),
            &over_text,
        )?,
        Vector::new(
            "limit_caveats_exceeded",
            "65 caveats under max_caveats = 64.",
            over_caveats,
            too_large("caveats", 64),
        )?
        .limits(MIN_LIMITS),
        Vector::new(
            "limit_caveat_bytes_exceeded",
            "A 257-byte caveat under max_caveat_bytes = 256.",
            over_caveat,
            too_large("caveatSize", 256),
        )?
        .limits(MIN_LIMITS)
        .predicate(BIG_NAME)
        .attribute(BIG_NAME, &"b".repeat(app_value_len(BIG_NAME, 257)?)),
        Vector::new(
            "limit_identifier_bytes_exceeded",
            "A 513-byte identifier under max_identifier_bytes = 512.",
            over_identifier,
            too_large("identifierSize", 512),
        )?
        .limits(MIN_LIMITS),
    ]);
    Ok(out)
}
