//! libmacaroons' V2J format: the V2 fields as a JSON object.
//!
//! ```text
//! { "v": 2, "l": location, "i": identifier, "c": [ { "i": cid, "l": location, "v": vid }, … ],
//!   "s64": signature }
//! ```
//!
//! Each data field `x` may instead be `x64`, its base64 (either alphabet, padded or not);
//! giving both is an error, as are unknown and repeated keys. `v` is optional (the number 2 or
//! the string `"2"`); `c` may be left out when there are no caveats (pymacaroons does). A
//! token read from V2J keeps the V2 binary form of its fields as its bytes: those are what the
//! chain MACs. An empty `l` is kept as an empty location field, and a location field, even
//! empty, is written as `l`, so that text and bytes map one to one. It is written as
//! libmacaroons writes it, in that key order, with `x64` (base64url without padding) for values
//! that are not UTF-8 and always for the signature.

use crate::error::Limit;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::v2::FieldCaveat;
use crate::codec::{Format, Limits};
use crate::error::Error;
use crate::spans::Spans;

/// A JSON value, keeping repeated keys (so that they can be refused) and numbers as written.
enum Json {
    Str(String),
    Uint(u64),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
    /// Anything else: other numbers, booleans, null.
    Other,
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Uint(v))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            entries.push((k, v));
        }
        Ok(Json::Obj(entries))
    }
}

/// The data fields of one JSON object, each read from `x` or `x64`.
struct Object<'a> {
    entries: &'a [(String, Json)],
}

impl<'a> Object<'a> {
    /// Refuses repeated keys and keys outside `known`.
    fn new(json: &'a Json, known: &[&str], what: &'static str) -> Result<Self, Error> {
        let Json::Obj(entries) = json else {
            return Err(Error::bad(what));
        };
        for (i, (k, _)) in entries.iter().enumerate() {
            if !known.contains(&k.as_str()) {
                return Err(Error::bad("unknown key in V2J macaroon"));
            }
            if entries[..i].iter().any(|(other, _)| other == k) {
                return Err(Error::bad("repeated key in V2J macaroon"));
            }
        }
        Ok(Self { entries })
    }

    fn get(&self, key: &str) -> Option<&'a Json> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The bytes of data field `name` (from `name` or `name64`), if present.
    fn data(&self, name: &str, name64: &str) -> Result<Option<Vec<u8>>, Error> {
        match (self.get(name), self.get(name64)) {
            (Some(_), Some(_)) => Err(Error::bad("both x and x64 given for a V2J field")),
            (Some(Json::Str(s)), None) => Ok(Some(s.clone().into_bytes())),
            (None, Some(Json::Str(s))) => super::decode_base64(s).map(Some),
            (None, None) => Ok(None),
            _ => Err(Error::bad("V2J field is not a string")),
        }
    }
}

/// One caveat read from JSON.
struct JsonCaveat {
    cid: Vec<u8>,
    vid: Option<Vec<u8>>,
    location: Option<Vec<u8>>,
}

/// Decodes the JSON text. The caller has checked its size against the limits.
pub(crate) fn decode_text(text: &str, limits: &Limits) -> Result<Spans, Error> {
    let json: Json =
        serde_json::from_str(text).map_err(|_| Error::bad("invalid JSON in V2J macaroon"))?;
    let top = Object::new(
        &json,
        &["v", "i", "i64", "l", "l64", "c", "s", "s64"],
        "V2J macaroon is not a JSON object",
    )?;
    match top.get("v") {
        None | Some(Json::Uint(2)) => {}
        Some(Json::Str(s)) if s == "2" => {}
        Some(_) => return Err(Error::bad("unsupported V2J version")),
    }
    let identifier = top
        .data("i", "i64")?
        .ok_or(Error::bad("missing identifier field"))?;
    // Kept when present and empty, so that the V2 binary and this text map one to one.
    let location = top.data("l", "l64")?;
    let signature = top
        .data("s", "s64")?
        .ok_or(Error::bad("missing signature field"))?;
    let list = match top.get("c") {
        None => &[][..],
        Some(Json::Arr(items)) => items.as_slice(),
        Some(_) => return Err(Error::bad("V2J caveats are not an array")),
    };
    if list.len() > limits.max_caveats {
        return Err(Error::too_large(Limit::Caveats, limits.max_caveats));
    }
    let mut caveats = Vec::with_capacity(list.len());
    for item in list {
        let c = Object::new(
            item,
            &["i", "i64", "l", "l64", "v", "v64"],
            "V2J caveat is not a JSON object",
        )?;
        let cid = c
            .data("i", "i64")?
            .ok_or(Error::bad("caveat without identifier field"))?;
        let vid = c.data("v", "v64")?;
        let location = c.data("l", "l64")?;
        if vid.is_none() && location.is_some() {
            return Err(Error::bad("location without vid in a caveat"));
        }
        if vid.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::bad("empty vid"));
        }
        caveats.push(JsonCaveat { cid, vid, location });
    }
    let tag = crate::chain::Tag::from_slice(&signature)
        .ok_or(Error::bad("signature must be 32 bytes"))?;
    let fields: Vec<FieldCaveat<'_>> = caveats
        .iter()
        .map(|c| FieldCaveat {
            cid: &c.cid,
            vid: c.vid.as_deref(),
            location: c.location.as_deref(),
        })
        .collect();
    // The V2 binary of exactly these fields, checked by the V2 decoder (limits included).
    let binary = super::v2::write(location.as_deref(), &identifier, &fields, &tag);
    let mut token = super::v2::decode(binary.raw, limits)?;
    token.format = Format::MacaroonV2J;
    Ok(token)
}

/// Appends `"key":value` (or `"key64":base64` when `value` is not UTF-8).
fn field(out: &mut String, key: &str, value: &[u8]) {
    match std::str::from_utf8(value) {
        Ok(text) => {
            out.push('"');
            out.push_str(key);
            out.push_str("\":");
            // Serializing a string cannot fail.
            out.push_str(&serde_json::to_string(text).unwrap_or_default());
        }
        Err(_) => field64(out, key, value),
    }
}

fn field64(out: &mut String, key: &str, value: &[u8]) {
    out.push('"');
    out.push_str(key);
    out.push_str("64\":\"");
    URL_SAFE_NO_PAD.encode_string(value, out);
    out.push('"');
}

/// The JSON text of a token's V2 fields: an `l` wherever the binary has a location field (so
/// an empty one too, as `"l":""`).
pub(crate) fn encode_text(
    location: Option<&[u8]>,
    identifier: &[u8],
    caveats: &[FieldCaveat<'_>],
    tag: &[u8],
) -> String {
    let mut out =
        String::with_capacity(64 + 2 * (identifier.len() + location.map_or(0, <[u8]>::len)));
    out.push_str("{\"v\":2");
    if let Some(location) = location {
        out.push(',');
        field(&mut out, "l", location);
    }
    out.push(',');
    field(&mut out, "i", identifier);
    out.push_str(",\"c\":[");
    for (n, c) in caveats.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('{');
        field(&mut out, "i", c.cid);
        if let Some(location) = c.location {
            out.push(',');
            field(&mut out, "l", location);
        }
        if let Some(vid) = c.vid {
            out.push(',');
            field(&mut out, "v", vid);
        }
        out.push('}');
    }
    out.push_str("],");
    field64(&mut out, "s", tag);
    out.push('}');
    out
}
