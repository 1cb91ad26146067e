//! Data-access caveats: `data.readonly`, `data.path` and `data.objectid`. They hold only when
//! the verifier allows data-access caveats (the service can enforce them); the service then
//! checks each data operation against them (see
//! [`VerifiedToken::data_access`](crate::verify::VerifiedToken::data_access)).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::{kind, kind::CaveatKind, list, reason, Fields, MAX_LIST_ENTRIES};
use crate::error::Error;
use crate::wire::cbor::{self, Reader};

/// Longest path accepted, in bytes.
pub(crate) const MAX_PATH_LEN: usize = 1024;
/// Longest object id accepted, in hex digits.
pub(crate) const MAX_OBJECTID_LEN: usize = 512;

/// `data.readonly`: the token allows reading data only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataReadonlyCaveat;

impl CaveatKind for DataReadonlyCaveat {
    const NAME: &'static str = "data.readonly";
    const CODE: u64 = kind::DATA_READONLY;
    const FIELDS: usize = 1;
    const DATA_ACCESS: bool = true;
    const DEFERRED: bool = true;

    fn from_json(_: &Fields<'_>) -> Result<Self, Error> {
        Ok(Self)
    }

    fn to_json(&self) -> Value {
        json!({"type": "data.readonly"})
    }

    fn to_text(&self) -> String {
        "data.readonly".to_owned()
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        (text == "data.readonly").then_some(Ok(Self))
    }

    fn encode_fields(&self, _: &mut Vec<u8>) {}

    fn decode(_: &mut Reader<'_>) -> Result<Self, &'static str> {
        Ok(Self)
    }
}

/// Checks a caveat's path: canonical and at most [`MAX_PATH_LEN`] bytes.
fn check_path(path: &str) -> Result<(), &'static str> {
    if path.len() > MAX_PATH_LEN {
        return Err("path longer than 1024 bytes");
    }
    check_canonical(path)
}

/// Checks a canonical path: `/<space id>[/<name>…]`, no trailing slash, no empty, `.` or `..`
/// segment, no control characters.
fn check_canonical(path: &str) -> Result<(), &'static str> {
    let rest = path.strip_prefix('/').ok_or("path must start with /")?;
    if rest.is_empty() {
        return Err("path must name a space");
    }
    if path.chars().any(char::is_control) {
        return Err("path contains control characters");
    }
    if rest
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err("path has an empty, . or .. segment (or a trailing slash)");
    }
    Ok(())
}

/// `data.path`: data may be accessed only under the listed canonical paths
/// (`/<space id>/dir/file`), nested entries included. The text and JSON forms carry each path
/// in standard base64 with padding, as Onedata does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataPathCaveat {
    /// The allowed paths (never empty), decoded.
    pub(crate) whitelist: Vec<String>,
}

impl DataPathCaveat {
    /// The `whitelist` this was built with.
    #[must_use]
    pub fn whitelist(&self) -> &[String] {
        &self.whitelist
    }
}

impl DataPathCaveat {
    /// A caveat allowing the given paths.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`) for an empty or too long list or a non-canonical path.
    pub fn new(whitelist: Vec<String>) -> Result<Self, Error> {
        list::check_len(&whitelist, "whitelist")?;
        for p in &whitelist {
            check_path(p).map_err(|r| Error::bad_caveat("whitelist", r))?;
        }
        Ok(Self { whitelist })
    }

    /// Whether `path` is a listed path or lies below one (segment-wise: `/s1/dir` allows
    /// `/s1/dir/f` but not `/s1/dir2`). A path that is not canonical is never allowed.
    #[must_use]
    pub fn allows(&self, path: &str) -> bool {
        check_canonical(path).is_ok()
            && self.whitelist.iter().any(|p| {
                path.strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    }

    fn encoded(&self) -> Vec<String> {
        self.whitelist.iter().map(|p| STANDARD.encode(p)).collect()
    }

    fn decode_entry(b64: &str) -> Result<String, Error> {
        let bad = |r| Error::bad_caveat("whitelist", r);
        let bytes = STANDARD
            .decode(b64)
            .map_err(|_| bad("not standard base64 with padding"))?;
        if STANDARD.encode(&bytes) != b64 {
            return Err(bad("not canonical base64"));
        }
        String::from_utf8(bytes).map_err(|_| bad("path is not UTF-8"))
    }

    pub(crate) fn parse_text(rest: &str) -> Result<Self, Error> {
        Self::new(list::from_text(rest, "whitelist", Self::decode_entry)?)
    }
}

impl CaveatKind for DataPathCaveat {
    const NAME: &'static str = "data.path";
    const CODE: u64 = kind::DATA_PATH;
    const FIELDS: usize = 2;
    const DATA_ACCESS: bool = true;
    const DEFERRED: bool = true;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        Self::new(list::from_json(f, "whitelist", Self::decode_entry)?)
    }

    fn to_json(&self) -> Value {
        json!({"type": "data.path", "whitelist": self.encoded()})
    }

    fn to_text(&self) -> String {
        format!("data.path = {}", self.encoded().join("|"))
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        text.strip_prefix("data.path = ").map(Self::parse_text)
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        list::write(out, &self.whitelist, |out, p| cbor::write_text(out, p));
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let whitelist = list::read(r, MAX_LIST_ENTRIES, |r| {
            Ok(r.text(MAX_PATH_LEN).map_err(reason)?.to_owned())
        })?;
        Self::new(whitelist).map_err(|_| "malformed data path list")
    }
}

fn check_objectid(id: &str) -> Result<(), &'static str> {
    if id.is_empty() || id.len() > MAX_OBJECTID_LEN {
        Err("object id must be 1 to 512 hex digits")
    } else if !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Err("object id must be hex")
    } else {
        Ok(())
    }
}

/// `data.objectid`: data may be accessed only in the listed files or directories (CDMI object
/// ids, hex), nested entries included. Resolving an object id to a file is the service's job.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataObjectIdCaveat {
    /// The allowed object ids (never empty).
    pub(crate) whitelist: Vec<String>,
}

impl DataObjectIdCaveat {
    /// The `whitelist` this was built with.
    #[must_use]
    pub fn whitelist(&self) -> &[String] {
        &self.whitelist
    }
}

impl DataObjectIdCaveat {
    /// A caveat allowing the given object ids.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`) for an empty or too long list or a non-hex id.
    pub fn new(whitelist: Vec<String>) -> Result<Self, Error> {
        list::check_len(&whitelist, "whitelist")?;
        for id in &whitelist {
            check_objectid(id).map_err(|r| Error::bad_caveat("whitelist", r))?;
        }
        Ok(Self { whitelist })
    }

    /// Whether `objectid` is listed (case-insensitive hex comparison).
    #[must_use]
    pub fn allows(&self, objectid: &str) -> bool {
        self.whitelist
            .iter()
            .any(|w| w.eq_ignore_ascii_case(objectid))
    }

    pub(crate) fn parse_text(rest: &str) -> Result<Self, Error> {
        Self::new(list::from_text(rest, "whitelist", |id| Ok(id.to_owned()))?)
    }
}

impl CaveatKind for DataObjectIdCaveat {
    const NAME: &'static str = "data.objectid";
    const CODE: u64 = kind::DATA_OBJECTID;
    const FIELDS: usize = 2;
    const DATA_ACCESS: bool = true;
    const DEFERRED: bool = true;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        Self::new(list::from_json(f, "whitelist", |id| Ok(id.to_owned()))?)
    }

    fn to_json(&self) -> Value {
        json!({"type": "data.objectid", "whitelist": self.whitelist})
    }

    fn to_text(&self) -> String {
        format!("data.objectid = {}", self.whitelist.join("|"))
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        text.strip_prefix("data.objectid = ").map(Self::parse_text)
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        list::write(out, &self.whitelist, |out, id| cbor::write_text(out, id));
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let whitelist = list::read(r, MAX_LIST_ENTRIES, |r| {
            Ok(r.text(MAX_OBJECTID_LEN).map_err(reason)?.to_owned())
        })?;
        Self::new(whitelist).map_err(|_| "malformed object id list")
    }
}

/// `authorization = none`: the token carries no authorization at all. Onedata 20.02 wrote it
/// into access tokens meant only to prove identity; this crate recognizes it and never lets it
/// hold, so such a token authorizes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthorizationNoneCaveat;

impl CaveatKind for AuthorizationNoneCaveat {
    const NAME: &'static str = "authorizationNone";
    const CODE: u64 = kind::AUTHORIZATION_NONE;
    const FIELDS: usize = 1;

    fn from_json(_: &Fields<'_>) -> Result<Self, Error> {
        Ok(Self)
    }

    fn to_json(&self) -> Value {
        json!({"type": "authorizationNone"})
    }

    fn to_text(&self) -> String {
        "authorization = none".to_owned()
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        (text == "authorization = none").then_some(Ok(Self))
    }

    fn encode_fields(&self, _: &mut Vec<u8>) {}

    fn decode(_: &mut Reader<'_>) -> Result<Self, &'static str> {
        Ok(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_canonical_and_allow_nested_entries_only() {
        let c = DataPathCaveat::new(vec!["/s1/dir".into(), "/s2".into()]).expect("caveat");
        assert!(c.allows("/s1/dir"));
        assert!(c.allows("/s1/dir/f.txt"));
        assert!(c.allows("/s2/a/b"));
        assert!(!c.allows("/s1/dir2"));
        assert!(!c.allows("/s1"));
        assert!(!c.allows("/s1/dir/../../s3"));
        assert!(!c.allows("/s1/dir/"));
        let deep = format!("/s2/{}", "d/".repeat(1000) + "f");
        assert!(
            c.allows(&deep),
            "requests are not bound by the caveat's path length"
        );
        for bad in [
            "", "/", "s1", "/s1/", "/s1//d", "/s1/./d", "/s1/../d", "/s1/\n",
        ] {
            assert!(DataPathCaveat::new(vec![bad.into()]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn base64_entries_are_strict() {
        assert_eq!(
            DataPathCaveat::decode_entry("L3NwYWNlMS9maWxlMS50eHQ=").expect("ok"),
            "/space1/file1.txt"
        );
        for bad in [
            "L3NwYWNlMS9maWxlMS50eHQ",
            "L3NwYWNlMS9maWxlMS50eHR=",
            "L3N_",
        ] {
            assert!(DataPathCaveat::decode_entry(bad).is_err(), "{bad}");
        }
    }
}
