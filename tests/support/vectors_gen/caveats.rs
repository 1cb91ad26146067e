//! caveats.json: creating caveats from their JSON and text forms (SPEC.md §9.2).

use super::*;

pub(super) fn form_ok(name: &str, input: Value, json: &Value) -> Result<Value, String> {
    let c = typed(json)?;
    Ok(json!({
        "name": name,
        "input": input,
        "expected": {"json": json, "text": c.to_text(), "hex": hex::encode(c.to_native())},
    }))
}

pub(super) fn form_err(name: &str, input: Value, key: &str, reason: &str) -> Value {
    json!({
        "name": name,
        "input": input,
        "expected": {"error": "badValueCaveat", "details": {"key": key, "reason": reason}},
    })
}

pub(super) fn caveat_forms() -> Result<Value, String> {
    let j = |v: Value| json!({ "json": v });
    let tx = |s: &str| json!({ "text": s });
    let many: Vec<String> = (0..33).map(|i| format!("10.0.{i}.0/24")).collect();
    let forms = vec![
        form_ok("time_json", j(time(1_571_147_494)), &time(1_571_147_494))?,
        form_ok("time_text", tx("time < 8374891234"), &time(8_374_891_234))?,
        form_ok("time_zero", j(time(0)), &time(0))?,
        form_ok(
            "ip_json_issue_example",
            j(ip(&["189.34.15.0/8", "167.73.12.17"])),
            &ip(&["189.34.15.0/8", "167.73.12.17/32"]),
        )?,
        form_ok(
            "ip_json_v6_canonical_output",
            j(ip(&["2001:0DB8:0:0::1", "fe80::c000:201/128", "::/0"])),
            &ip(&["2001:db8::1/128", "fe80::c000:201/128", "::/0"]),
        )?,
        form_ok(
            "ip_text",
            tx("ip = 10.0.0.0/8|2001:db8::/32"),
            &ip(&["10.0.0.0/8", "2001:db8::/32"]),
        )?,
        form_ok(
            "invite_type_json",
            j(invite(&["userJoinCluster", "groupJoinCluster"])),
            &invite(&["userJoinCluster", "groupJoinCluster"]),
        )?,
        form_ok(
            "invite_type_text",
            tx("inviteType = supportSpace|registerOneprovider"),
            &invite(&["supportSpace", "registerOneprovider"]),
        )?,
        form_ok(
            "app_json",
            j(app("example.com/action", "read")),
            &app("example.com/action", "read"),
        )?,
        form_ok(
            "app_text_value_with_equals",
            tx("example.com/query = a = b"),
            &app("example.com/query", "a = b"),
        )?,
        form_ok(
            "app_empty_value",
            j(app("example.com/flag", "")),
            &app("example.com/flag", ""),
        )?,
        form_err(
            "time_negative",
            j(json!({"type": "time", "validUntil": -1})),
            "validUntil",
            "not a non-negative integer",
        ),
        form_err(
            "time_string",
            j(json!({"type": "time", "validUntil": "1571147494"})),
            "validUntil",
            "not a non-negative integer",
        ),
        form_err(
            "time_float",
            j(json!({"type": "time", "validUntil": 1.5})),
            "validUntil",
            "not a non-negative integer",
        ),
        form_err(
            "time_missing",
            j(json!({"type": "time"})),
            "validUntil",
            "missing",
        ),
        form_err(
            "time_unknown_key",
            j(json!({"type": "time", "validUntil": 1, "extra": true})),
            "extra",
            "unknown key",
        ),
        form_err(
            "type_unknown",
            j(json!({"type": "teleport", "destination": "mars"})),
            "type",
            "unknown caveat type",
        ),
        form_err(
            "type_missing",
            j(json!({"validUntil": 1})),
            "type",
            "missing",
        ),
        form_err(
            "not_an_object",
            j(json!(["time", 1])),
            "caveat",
            "not a JSON object",
        ),
        form_err("ip_empty", j(ip(&[])), "whitelist", "empty list"),
        form_err(
            "ip_leading_zero",
            j(ip(&["010.0.0.0/8"])),
            "whitelist",
            "not an IP address",
        ),
        form_err(
            "ip_prefix_too_long",
            j(ip(&["10.0.0.0/33"])),
            "whitelist",
            "prefix length too long",
        ),
        form_err(
            "ip_prefix_leading_zero",
            j(ip(&["10.0.0.0/08"])),
            "whitelist",
            "bad prefix length",
        ),
        form_err(
            "ip_mapped_entry",
            j(ip(&["::ffff:10.0.0.0/104"])),
            "whitelist",
            "IPv4-mapped IPv6 address: write the IPv4 address",
        ),
        form_err(
            "ip_zone_id",
            j(ip(&["fe80::1%eth0"])),
            "whitelist",
            "not an IP address",
        ),
        form_err(
            "ip_too_many_entries",
            j(json!({"type": "ip", "whitelist": many})),
            "whitelist",
            "more than 32 entries",
        ),
        form_err(
            "ip_text_trailing_space",
            tx("ip = 10.0.0.0/8 "),
            "whitelist",
            "bad prefix length",
        ),
        form_err(
            "invite_type_unknown",
            j(invite(&["userJoinGalaxy"])),
            "whitelist",
            "unknown invite type",
        ),
        form_err(
            "invite_type_duplicate",
            j(invite(&["userJoinSpace", "userJoinSpace"])),
            "whitelist",
            "duplicate entry",
        ),
        form_err(
            "invite_type_empty",
            j(invite(&[])),
            "whitelist",
            "empty list",
        ),
        form_err(
            "app_name_without_namespace",
            j(app("action", "read")),
            "name",
            "must be <namespace>/<name>",
        ),
        form_err(
            "app_name_upper_case",
            j(app("Example.com/action", "read")),
            "name",
            "allowed characters are a-z 0-9 . _ - /",
        ),
        form_err(
            "app_name_too_long",
            j(app(&format!("example.com/{}", "a".repeat(53)), "read")),
            "name",
            "must be 3 to 64 bytes",
        ),
        form_err(
            "app_value_control_character",
            j(app("example.com/action", "re\tad")),
            "value",
            "contains control characters",
        ),
        form_err(
            "time_text_leading_zero",
            tx("time < 01"),
            "validUntil",
            "not a non-negative integer",
        ),
        form_err(
            "time_text_no_spaces",
            tx("time<5"),
            "caveat",
            "not a known caveat text form",
        ),
        form_err(
            "text_unknown_predicate",
            tx("account = 3735928559"),
            "caveat",
            "not a known caveat text form",
        ),
    ];
    let forms = [forms, more_forms()?].concat();
    Ok(json!({
        "schema": "caveat-token/caveat-forms/1",
        "description": "Creating caveats from their JSON form (input.json) or text form \
                        (input.text) or JSON text (input.json_text, for what a parsed JSON value cannot \
                        show: number spellings, repeated keys): the canonical JSON, text and native bytes, or the \
                        badValueCaveat error naming the wrong key.",
        "regenerate": "cargo run --example generate_vectors",
        "forms": forms,
    }))
}

/// Forms for the rules of SPEC.md §1.2, §5.1, §5.3, §5.5 and §5.6 that the list above leaves out.
fn more_forms() -> Result<Vec<Value>, String> {
    let j = |v: Value| json!({ "json": v });
    let jt = |s: &str| json!({ "json_text": s });
    let tx = |s: &str| json!({ "text": s });
    let integer = "not a non-negative integer";
    Ok(vec![
        form_err(
            "time_float_integral",
            jt(r#"{"type":"time","validUntil":1.0}"#),
            "validUntil",
            integer,
        ),
        form_err(
            "time_exponent",
            jt(r#"{"type":"time","validUntil":1e3}"#),
            "validUntil",
            integer,
        ),
        form_err(
            "time_negative_zero",
            jt(r#"{"type":"time","validUntil":-0}"#),
            "validUntil",
            integer,
        ),
        form_err(
            "time_boolean",
            j(json!({"type": "time", "validUntil": true})),
            "validUntil",
            integer,
        ),
        form_ok(
            "time_largest",
            jt(r#"{"type":"time","validUntil":18446744073709551615}"#),
            &time(u64::MAX),
        )?,
        form_err(
            "time_too_large",
            jt(r#"{"type":"time","validUntil":18446744073709551616}"#),
            "validUntil",
            integer,
        ),
        form_err(
            "repeated_key",
            jt(r#"{"type":"time","validUntil":5,"validUntil":7}"#),
            "validUntil",
            "duplicate key",
        ),
        form_err(
            "repeated_key_before_bad_value",
            jt(r#"{"type":"ip","whitelist":["::ffff:1.2.3.4"],"whitelist":["1.2.3.4"]}"#),
            "whitelist",
            "duplicate key",
        ),
        form_err(
            "own_key_before_unknown_key",
            j(json!({"zzz": 1, "type": "ip", "whitelist": 5})),
            "whitelist",
            "not an array",
        ),
        form_err(
            "first_own_key_in_kind_order",
            j(json!({"type": "app", "value": "a\nb", "name": "X"})),
            "name",
            "must be 3 to 64 bytes",
        ),
        form_err(
            "app_value_too_long",
            j(app("example.com/action", &"v".repeat(256))),
            "value",
            "longer than 255 bytes",
        ),
        form_ok(
            "app_name_every_character_class",
            j(app("a-b_c.9/e-f", "")),
            &app("a-b_c.9/e-f", ""),
        )?,
        form_err(
            "ip_v6_dotted_tail_leading_zero",
            j(ip(&["::ffff:010.0.0.1/128"])),
            "whitelist",
            "not an IP address",
        ),
        form_err(
            "ip_mapped_address_short_prefix",
            j(ip(&["::ffff:0:0/95"])),
            "whitelist",
            "IPv4-mapped IPv6 address: write the IPv4 address",
        ),
        form_ok(
            "ip_network_overlapping_mapped_range",
            j(ip(&["::fffe:0:0/95"])),
            &ip(&["::fffe:0:0/95"]),
        )?,
        form_ok(
            "ip_v4_compatible",
            j(ip(&["::1.2.3.4"])),
            &ip(&["::102:304/128"]),
        )?,
        form_ok(
            "text_onedata_kind",
            tx("interface = rest"),
            &json!({"type": "interface", "interface": "rest"}),
        )?,
    ])
}
