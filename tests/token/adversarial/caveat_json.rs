//! Hostile caveat JSON.

use super::*;

// ---------------------------------------------------------------------------------------------
// Caveat JSON
// ---------------------------------------------------------------------------------------------

#[test]
fn hostile_caveat_json() {
    let deep_array = format!(
        r#"{{"type":"ip","whitelist":{}"10.0.0.0/8"{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_object = format!("{}{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
    let huge_value = format!(
        r#"{{"type":"app","name":"ex.com/a","value":"{}"}}"#,
        "v".repeat(1 << 20)
    );
    let rows: Vec<(&str, String, &str)> = vec![
        (
            "duplicate validUntil",
            r#"{"type":"time","validUntil":1,"validUntil":2}"#.into(),
            "validUntil",
        ),
        (
            "duplicate type",
            r#"{"type":"time","type":"ip","validUntil":1}"#.into(),
            "type",
        ),
        (
            "duplicate whitelist",
            r#"{"type":"inviteType","whitelist":["userJoinGroup"],"whitelist":["supportSpace"]}"#
                .into(),
            "whitelist",
        ),
        (
            "unknown key",
            r#"{"type":"time","validUntil":1,"until":2}"#.into(),
            "until",
        ),
        (
            "key differing in case",
            r#"{"type":"time","validuntil":1}"#.into(),
            "validUntil",
        ),
        (
            "type in another case",
            r#"{"type":"Time","validUntil":1}"#.into(),
            "type",
        ),
        (
            "whitelist of objects",
            r#"{"type":"ip","whitelist":[{"a":1,"a":2}]}"#.into(),
            "a",
        ),
        ("100k-deep arrays", deep_array, "caveat"),
        ("100k-deep objects", deep_object, "caveat"),
        ("1 MiB application value", huge_value, "value"),
        (
            "trailing garbage",
            r#"{"type":"time","validUntil":1} x"#.into(),
            "caveat",
        ),
        (
            "two objects",
            r#"{"type":"time","validUntil":1}{"type":"time","validUntil":2}"#.into(),
            "caveat",
        ),
        ("a JSON string", r#""time < 5""#.into(), "caveat"),
        ("null", "null".into(), "caveat"),
        ("empty", String::new(), "caveat"),
    ];
    let mut failures = Vec::new();
    for (name, input, key) in &rows {
        match Caveat::from_json_str(input) {
            Ok(c) => failures.push(format!("{name}: accepted as {}", c.to_json())),
            Err(e) if e.id() != "badValueCaveat" || e.details()["key"] != json!(key) => {
                failures.push(format!("{name}: {}", e.to_json()));
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
