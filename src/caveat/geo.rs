//! `geo.country` and `geo.region`: where the client address is, as the verifier's
//! [`GeoSource`](crate::geo::GeoSource) locates it, must (whitelist) or must not (blacklist) be
//! one of the listed countries or regions. An address the source cannot locate fails closed,
//! for blacklists too.

use serde_json::{json, Value};

use super::{kind, kind::CaveatKind, list, reason, Fields, MAX_LIST_ENTRIES};
use crate::error::Error;
use crate::geo::Region;
use crate::wire::cbor::{self, Reader};

/// Whether a list names what is allowed or what is denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Filter {
    /// The value must be listed (text operator `=`).
    Whitelist,
    /// The value must not be listed (text operator `!=`).
    Blacklist,
}

impl Filter {
    /// `"whitelist"` or `"blacklist"`, as in the JSON form.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Whitelist => "whitelist",
            Self::Blacklist => "blacklist",
        }
    }

    fn operator(self) -> &'static str {
        match self {
            Self::Whitelist => "=",
            Self::Blacklist => "!=",
        }
    }

    fn code(self) -> u64 {
        match self {
            Self::Whitelist => 0,
            Self::Blacklist => 1,
        }
    }

    fn from_code(code: u64) -> Option<Self> {
        match code {
            0 => Some(Self::Whitelist),
            1 => Some(Self::Blacklist),
            _ => None,
        }
    }

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        match f.get("filter")?.as_str() {
            Some("whitelist") => Ok(Self::Whitelist),
            Some("blacklist") => Ok(Self::Blacklist),
            _ => Err(Error::bad_caveat(
                "filter",
                "expected \"whitelist\" or \"blacklist\"",
            )),
        }
    }

    /// Applies the filter: with `matches(entry)` telling whether a listed entry matches the
    /// client, a whitelist needs one match and a blacklist needs none.
    fn allows<T>(self, list: &[T], matches: impl Fn(&T) -> bool) -> bool {
        match self {
            Self::Whitelist => list.iter().any(matches),
            Self::Blacklist => !list.iter().any(matches),
        }
    }
}

/// Checks a two-letter country code: exactly two ASCII uppercase letters (ISO 3166-1 alpha-2).
fn check_country(code: &str) -> Result<(), Error> {
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Error::bad_caveat("list", "not a two-letter country code"))
    }
}

/// `geo.country = PL|FR` (whitelist) or `geo.country != PL|FR` (blacklist).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GeoCountryCaveat {
    /// Whitelist or blacklist.
    pub(crate) filter: Filter,
    /// ISO 3166-1 alpha-2 codes, uppercase (never empty).
    pub(crate) list: Vec<String>,
}

impl GeoCountryCaveat {
    /// The `filter` this was built with.
    #[must_use]
    pub fn filter(&self) -> Filter {
        self.filter
    }

    /// The `list` this was built with.
    #[must_use]
    pub fn list(&self) -> &[String] {
        &self.list
    }
}

impl GeoCountryCaveat {
    /// A country caveat.
    ///
    /// # Errors
    /// `badValueCaveat` (key `list`) when the list is empty, too long, or holds something other
    /// than two uppercase ASCII letters.
    pub fn new(filter: Filter, list: Vec<String>) -> Result<Self, Error> {
        list::check_len(&list, "list")?;
        for c in &list {
            check_country(c)?;
        }
        Ok(Self { filter, list })
    }

    /// Whether the client's country (`None` when it could not be located) passes the filter.
    #[must_use]
    pub fn holds(&self, country: Option<&str>) -> bool {
        country.is_some_and(|c| self.filter.allows(&self.list, |e| e == c))
    }

    pub(crate) fn parse_text(filter: Filter, rest: &str) -> Result<Self, Error> {
        Self::new(filter, list::from_text(rest, "list", |c| Ok(c.to_owned()))?)
    }
}

impl CaveatKind for GeoCountryCaveat {
    const NAME: &'static str = "geo.country";
    const CODE: u64 = kind::GEO_COUNTRY;
    const FIELDS: usize = 3;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        let filter = Filter::from_json(f)?;
        Self::new(filter, list::from_json(f, "list", |c| Ok(c.to_owned()))?)
    }

    fn to_json(&self) -> Value {
        json!({"type": "geo.country", "filter": self.filter.name(), "list": self.list})
    }

    fn to_text(&self) -> String {
        format!(
            "geo.country {} {}",
            self.filter.operator(),
            self.list.join("|")
        )
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        let (filter, list) = split_operator(text.strip_prefix("geo.country")?)?;
        Some(Self::parse_text(filter, list))
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        cbor::write_uint(out, self.filter.code());
        list::write(out, &self.list, |out, c| cbor::write_text(out, c));
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let filter = Filter::from_code(r.uint().map_err(reason)?).ok_or("unknown filter")?;
        let countries = list::read(r, MAX_LIST_ENTRIES, |r| {
            Ok(r.text(2).map_err(reason)?.to_owned())
        })?;
        Self::new(filter, countries).map_err(|_| "malformed country list")
    }
}

/// `geo.region = Europe|Asia` (whitelist) or `geo.region != EU` (blacklist).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GeoRegionCaveat {
    /// Whitelist or blacklist.
    pub(crate) filter: Filter,
    /// The regions (never empty).
    pub(crate) list: Vec<Region>,
}

impl GeoRegionCaveat {
    /// The `filter` this was built with.
    #[must_use]
    pub fn filter(&self) -> Filter {
        self.filter
    }

    /// The `list` this was built with.
    #[must_use]
    pub fn list(&self) -> &[Region] {
        &self.list
    }
}

impl GeoRegionCaveat {
    /// A region caveat.
    ///
    /// # Errors
    /// `badValueCaveat` (key `list`) when the list is empty or too long.
    pub fn new(filter: Filter, list: Vec<Region>) -> Result<Self, Error> {
        list::check_len(&list, "list")?;
        Ok(Self { filter, list })
    }

    /// Whether the client's regions (`None` when it could not be located; an EU country is in
    /// two regions, `Europe` and `EU`) pass the filter.
    #[must_use]
    pub fn holds(&self, regions: Option<&[Region]>) -> bool {
        regions.is_some_and(|rs| self.filter.allows(&self.list, |e| rs.contains(e)))
    }

    pub(crate) fn parse_text(filter: Filter, rest: &str) -> Result<Self, Error> {
        Self::new(filter, list::from_text(rest, "list", parse_region)?)
    }
}

impl CaveatKind for GeoRegionCaveat {
    const NAME: &'static str = "geo.region";
    const CODE: u64 = kind::GEO_REGION;
    const FIELDS: usize = 3;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        let filter = Filter::from_json(f)?;
        Self::new(filter, list::from_json(f, "list", parse_region)?)
    }

    fn to_json(&self) -> Value {
        json!({"type": "geo.region", "filter": self.filter.name(), "list": list::strings(&self.list)})
    }

    fn to_text(&self) -> String {
        format!(
            "geo.region {} {}",
            self.filter.operator(),
            list::join(&self.list)
        )
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        let (filter, list) = split_operator(text.strip_prefix("geo.region")?)?;
        Some(Self::parse_text(filter, list))
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        cbor::write_uint(out, self.filter.code());
        list::write(out, &self.list, |out, r| cbor::write_uint(out, r.code()));
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let filter = Filter::from_code(r.uint().map_err(reason)?).ok_or("unknown filter")?;
        let regions = list::read(r, MAX_LIST_ENTRIES, |r| {
            Region::from_code(r.uint().map_err(reason)?).ok_or("unknown region code")
        })?;
        Self::new(filter, regions).map_err(|_| "empty region list")
    }
}

fn parse_region(name: &str) -> Result<Region, Error> {
    Region::from_name(name).ok_or_else(|| Error::bad_caveat("list", "unknown region"))
}

/// Splits `geo.<x> = …` / `geo.<x> != …` into the filter and the list text.
pub(crate) fn split_operator(rest: &str) -> Option<(Filter, &str)> {
    if let Some(list) = rest.strip_prefix(" = ") {
        Some((Filter::Whitelist, list))
    } else {
        rest.strip_prefix(" != ")
            .map(|list| (Filter::Blacklist, list))
    }
}
