//! Application-defined caveats: a namespaced name and a value, checked by a predicate that the
//! verifier registers under that name. Unregistered names are denials.

use serde_json::{json, Value};

use super::{kind, kind::CaveatKind, reason, Fields};
use crate::error::Error;
use crate::wire::cbor::{self, Reader};

/// Longest name, in bytes.
pub(crate) const MAX_NAME_LEN: usize = 64;
/// Longest value, in bytes.
pub(crate) const MAX_VALUE_LEN: usize = 255;

/// `<namespace>/<name> = <value>`, e.g. `example.com/action = read`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppCaveat {
    name: String,
    value: String,
}

impl AppCaveat {
    /// An application caveat. The name is `<namespace>/<name>`: 3–64 bytes of
    /// `[a-z0-9._-]` with exactly one `/` not at either end. The value is 0–255 bytes of UTF-8
    /// without control characters.
    ///
    /// # Errors
    /// `badValueCaveat` with key `name` or `value`.
    pub fn new(name: &str, value: &str) -> Result<Self, Error> {
        check_name(name).map_err(|r| Error::bad_caveat("name", r))?;
        check_value(value).map_err(|r| Error::bad_caveat("value", r))?;
        Ok(Self {
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }

    /// Whether [`AppCaveat::new`] would accept `name` (with a valid value), without allocating.
    pub(crate) fn name_is_valid(name: &str) -> bool {
        check_name(name).is_ok()
    }

    /// Whether [`AppCaveat::new`] would accept `value` (with a valid name), without allocating.
    pub(crate) fn value_is_valid(value: &str) -> bool {
        check_value(value).is_ok()
    }

    /// The namespaced name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value.
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl CaveatKind for AppCaveat {
    const NAME: &'static str = "app";
    const CODE: u64 = kind::APP;
    const FIELDS: usize = 3;
    const TEXT_FALLBACK: bool = true;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        let name = f
            .get("name")?
            .as_str()
            .ok_or_else(|| Error::bad_caveat("name", "not a string"))?;
        let value = f
            .get("value")?
            .as_str()
            .ok_or_else(|| Error::bad_caveat("value", "not a string"))?;
        Self::new(name, value)
    }

    fn to_json(&self) -> Value {
        json!({"type": "app", "name": self.name, "value": self.value})
    }

    fn to_text(&self) -> String {
        format!("{} = {}", self.name, self.value)
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        let (name, value) = text.split_once(" = ")?;
        name.contains('/').then(|| Self::new(name, value))
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        cbor::write_text(out, &self.name);
        cbor::write_text(out, &self.value);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let name = r.text(MAX_NAME_LEN).map_err(reason)?;
        let value = r.text(MAX_VALUE_LEN).map_err(reason)?;
        Self::new(name, value).map_err(|_| "malformed application caveat")
    }
}

const NOT_ALLOWED: u8 = 0;
const ALLOWED: u8 = 1;
const SLASH: u8 = 2;

/// The class of each byte in a name: `a-z 0-9 . _ -` allowed, `/` the separator.
const NAME_BYTES: [u8; 256] = {
    let mut table = [NOT_ALLOWED; 256];
    let mut c: u8 = 0;
    loop {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'_' || c == b'-' {
            table[c as usize] = ALLOWED;
        }
        if c == u8::MAX {
            break;
        }
        c += 1;
    }
    table[b'/' as usize] = SLASH;
    table
};

fn check_name(name: &str) -> Result<(), &'static str> {
    if name.len() < 3 || name.len() > MAX_NAME_LEN {
        return Err("must be 3 to 64 bytes");
    }
    // One branch-free pass over the bytes (this runs for every application caveat a verifier
    // clears), then the checks in their documented order.
    let (mut bad, mut slashes) = (false, 0usize);
    for &b in name.as_bytes() {
        let class = NAME_BYTES[usize::from(b)];
        bad |= class == NOT_ALLOWED;
        slashes += usize::from(class == SLASH);
    }
    if bad {
        return Err("allowed characters are a-z 0-9 . _ - /");
    }
    // Exactly one `/`, with a non-empty namespace before it and a non-empty name after it (with
    // a single `/`, that is: neither the first nor the last byte).
    let bytes = name.as_bytes();
    if slashes == 1 && bytes.first() != Some(&b'/') && bytes.last() != Some(&b'/') {
        Ok(())
    } else {
        Err("must be <namespace>/<name>")
    }
}

fn check_value(value: &str) -> Result<(), &'static str> {
    // Printable ASCII, the common case, has no control characters: checked bytewise first.
    let printable_ascii = || value.bytes().all(|b| (b' '..=b'~').contains(&b));
    if value.len() > MAX_VALUE_LEN {
        Err("longer than 255 bytes")
    } else if !printable_ascii() && value.chars().any(char::is_control) {
        Err("contains control characters")
    } else {
        Ok(())
    }
}
