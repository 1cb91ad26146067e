//! Target `caveat_parse`: the caveat parsers.

use super::*;

/// Target `caveat_parse`: the input (as UTF-8, lossily) into the JSON and text caveat parsers,
/// and, when it is JSON, into `Caveat::from_json`; whatever parses round-trips through every
/// form to an equal caveat.
pub fn caveat_parse(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    caveat_parsers(&s);
    // The text form's parts: a caveat text is "<kind> <op> <rest>"; feed the rest to each kind.
    for prefix in TEXT_PREFIXES {
        let text = format!("{prefix}{s}");
        match Caveat::from_text(&text) {
            Ok(c) => caveat_forms_roundtrip(&c),
            Err(e) => assert_eq!(e.id(), "badValueCaveat"),
        }
    }
    // The JSON form around the input, as each kind's list or value.
    for (ty, key) in JSON_FIELDS {
        let value = match serde_json::from_str::<serde_json::Value>(&s) {
            Ok(v) => v,
            Err(_) => serde_json::Value::String(s.clone().into_owned()),
        };
        let mut obj = serde_json::Map::new();
        obj.insert("type".into(), (*ty).into());
        obj.insert((*key).into(), value);
        if ty.starts_with("geo.") {
            obj.insert("filter".into(), "whitelist".into());
        }
        let json = serde_json::Value::Object(obj);
        match Caveat::from_json(&json) {
            Ok(c) => caveat_forms_roundtrip(&c),
            Err(e) => assert_eq!(e.id(), "badValueCaveat", "from_json({json})"),
        }
    }
    // The list entries' own parsers: whatever parses prints to a text that parses back equal.
    for entry in s.split(['|', ',']) {
        if let Ok(net) = IpCaveat::parse_entry(entry) {
            let again = IpCaveat::parse_entry(&net.to_string()).expect("a printed entry parses");
            assert_eq!(again, net, "IP entry round trip of {entry:?}");
        }
        entry_roundtrip(entry, Service::parse, "service");
        entry_roundtrip(entry, Consumer::parse, "consumer");
        entry_roundtrip(entry, ApiRule::parse, "api rule");
        entry_roundtrip(entry, Gri::parse, "GRI");
        entry_roundtrip(entry, Gri::parse_pattern, "GRI pattern");
        entry_roundtrip(entry, Interface::parse, "interface");
    }
}

/// The text-form prefixes of every caveat kind (SPEC §5.6, §10.2).
pub(crate) const TEXT_PREFIXES: &[&str] = &[
    "time < ",
    "ip = ",
    "inviteType = ",
    "example.com/action = ",
    "asn = ",
    "geo.country = ",
    "geo.country != ",
    "geo.region = ",
    "geo.region != ",
    "service = ",
    "consumer = ",
    "interface = ",
    "api = ",
    "data.path = ",
    "data.objectid = ",
];

/// Each kind's JSON type and the key holding its list or value.
pub(crate) const JSON_FIELDS: &[(&str, &str)] = &[
    ("time", "validUntil"),
    ("ip", "whitelist"),
    ("inviteType", "whitelist"),
    ("asn", "whitelist"),
    ("geo.country", "list"),
    ("geo.region", "list"),
    ("service", "whitelist"),
    ("consumer", "whitelist"),
    ("interface", "interface"),
    ("api", "whitelist"),
    ("data.path", "whitelist"),
    ("data.objectid", "whitelist"),
];

/// A list entry's parser: what parses prints (`Display`) to a text that parses back equal, and
/// failures are `badValueCaveat`.
pub(crate) fn entry_roundtrip<T, F>(entry: &str, parse: F, what: &str)
where
    T: std::fmt::Display + PartialEq + std::fmt::Debug,
    F: Fn(&str) -> Result<T, Error>,
{
    match parse(entry) {
        Ok(v) => {
            let printed = v.to_string();
            let again = parse(&printed).expect("a printed entry parses");
            assert_eq!(
                again, v,
                "{what} round trip of {entry:?} (printed {printed:?})"
            );
            assert_eq!(
                again.to_string(),
                printed,
                "{what}: printing is a fixed point"
            );
        }
        Err(e) => assert_eq!(e.id(), "badValueCaveat", "{what} parser on {entry:?}: {e}"),
    }
}
