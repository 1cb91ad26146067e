//! `api`: a whitelist of operations, `<service>/<operation>/<GRI pattern>`, e.g.
//! `api = ozw/get/user.*.instance:*|all/all/space.s1.*:*`.
//!
//! As in Onedata, this caveat is lazy: it always holds when the token is verified, and the
//! service checks every operation it performs with the token against it, through
//! [`VerifiedToken::check_api`](crate::verify::VerifiedToken::check_api).

use serde_json::{json, Value};

use super::service::{ServiceKind, WILDCARD};
use super::{kind, kind::CaveatKind, list, reason, Fields, MAX_LIST_ENTRIES};
use crate::error::Error;
use crate::wire::cbor::{self, Reader};

/// Longest GRI (pattern) accepted, in bytes.
pub(crate) const MAX_GRI_LEN: usize = 512;

/// What an operation does to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// `create`.
    Create,
    /// `get`.
    Get,
    /// `update`.
    Update,
    /// `delete`.
    Delete,
}

impl Operation {
    /// Every operation, in code order.
    pub const ALL: &'static [Operation] = &[Self::Create, Self::Get, Self::Update, Self::Delete];

    /// The name used in text forms.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Get => "get",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }

    /// Looks an operation up by its name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|o| o.name() == name)
    }

    fn code(self) -> u64 {
        match self {
            Self::Create => 1,
            Self::Get => 2,
            Self::Update => 3,
            Self::Delete => 4,
        }
    }

    fn from_code(code: u64) -> Option<Self> {
        Self::ALL.iter().copied().find(|o| o.code() == code)
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The access scopes of a GRI.
const SCOPES: &[&str] = &["private", "protected", "shared", "public", "auto"];

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn is_value(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= crate::identifier::MAX_ID_LEN
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~' | b'@' | b'+' | b'=')
        })
}

/// A Graph Resource Identifier, `<type>.<id>.<aspect>[,<value>]:<scope>`, e.g.
/// `space.s1.instance:private` or `user.u1.client_tokens,t9:private`. As a pattern, any part
/// may be `*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gri {
    entity_type: String,
    id: String,
    aspect: String,
    aspect_value: Option<String>,
    scope: String,
}

impl Gri {
    /// Parses a concrete GRI (no wildcards).
    ///
    /// # Errors
    /// `badValueCaveat` (key `gri`).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let gri = Self::parse_any(text)?;
        let wild = [
            Some(&gri.entity_type),
            Some(&gri.id),
            Some(&gri.aspect),
            gri.aspect_value.as_ref(),
            Some(&gri.scope),
        ]
        .into_iter()
        .flatten()
        .any(|p| p == WILDCARD);
        if wild {
            return Err(Error::bad_caveat("gri", "a GRI has no wildcards"));
        }
        Ok(gri)
    }

    /// Parses a GRI pattern (parts may be `*`).
    ///
    /// # Errors
    /// `badValueCaveat` (key `gri`).
    pub fn parse_pattern(text: &str) -> Result<Self, Error> {
        Self::parse_any(text)
    }

    fn parse_any(text: &str) -> Result<Self, Error> {
        let bad = |r| Error::bad_caveat("gri", r);
        if text.len() > MAX_GRI_LEN {
            return Err(bad("longer than 512 bytes"));
        }
        let mut parts = text.split('.');
        let (Some(entity_type), Some(id), Some(rest), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected <type>.<id>.<aspect>:<scope>"));
        };
        let (aspect, scope) = rest
            .split_once(':')
            .ok_or(bad("expected <type>.<id>.<aspect>:<scope>"))?;
        let (aspect, aspect_value) = match aspect.split_once(',') {
            Some((a, v)) => (a, Some(v)),
            None => (aspect, None),
        };
        let wild_or = |s: &str, ok: fn(&str) -> bool| s == WILDCARD || ok(s);
        if !wild_or(entity_type, is_name) {
            return Err(bad("bad entity type"));
        }
        if !wild_or(id, is_value) {
            return Err(bad("bad entity id"));
        }
        if !wild_or(aspect, is_name) {
            return Err(bad("bad aspect"));
        }
        if aspect_value.is_some_and(|v| !wild_or(v, is_value)) {
            return Err(bad("bad aspect value"));
        }
        if scope != WILDCARD && !SCOPES.contains(&scope) {
            return Err(bad("bad scope"));
        }
        Ok(Self {
            entity_type: entity_type.to_owned(),
            id: id.to_owned(),
            aspect: aspect.to_owned(),
            aspect_value: aspect_value.map(str::to_owned),
            scope: scope.to_owned(),
        })
    }

    /// Whether this pattern matches the concrete `gri`. A bare `*` aspect matches every
    /// aspect; `<aspect>,*`, `*,<value>` and `*,*` match only two-part aspects.
    #[must_use]
    pub fn matches(&self, gri: &Gri) -> bool {
        let part = |p: &str, v: &str| p == WILDCARD || p == v;
        let aspect = match (&self.aspect_value, &gri.aspect_value) {
            (None, _) if self.aspect == WILDCARD => true,
            (None, None) => self.aspect == gri.aspect,
            (Some(pv), Some(v)) => part(&self.aspect, &gri.aspect) && part(pv, v),
            _ => false,
        };
        part(&self.entity_type, &gri.entity_type)
            && part(&self.id, &gri.id)
            && aspect
            && part(&self.scope, &gri.scope)
    }
}

impl std::fmt::Display for Gri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.entity_type, self.id, self.aspect)?;
        if let Some(v) = &self.aspect_value {
            write!(f, ",{v}")?;
        }
        write!(f, ":{}", self.scope)
    }
}

/// One whitelist entry: which service (`all` or a kind), which operation (`all` or one), which
/// resources (a GRI pattern).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiRule {
    /// The service, or `None` for `all`.
    pub(crate) service: Option<ServiceKind>,
    /// The operation, or `None` for `all`.
    pub(crate) operation: Option<Operation>,
    /// The resources.
    pub(crate) gri: Gri,
}

impl ApiRule {
    /// The `service` this was built with.
    #[must_use]
    pub fn service(&self) -> Option<ServiceKind> {
        self.service
    }

    /// The `operation` this was built with.
    #[must_use]
    pub fn operation(&self) -> Option<Operation> {
        self.operation
    }

    /// The `gri` this was built with.
    #[must_use]
    pub fn gri(&self) -> &Gri {
        &self.gri
    }
}

impl ApiRule {
    /// Parses `<service>/<operation>/<GRI pattern>`, e.g. `opw/get/file.*.*:*`.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist` or `gri`).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |r| Error::bad_caveat("whitelist", r);
        let mut parts = text.split('/');
        let (Some(service), Some(operation), Some(gri), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected <service>/<operation>/<gri pattern>"));
        };
        let service = match service {
            "all" => None,
            code => Some(ServiceKind::from_code(code).ok_or(bad("unknown service"))?),
        };
        let operation = match operation {
            "all" => None,
            name => Some(Operation::from_name(name).ok_or(bad("unknown operation"))?),
        };
        Ok(Self {
            service,
            operation,
            gri: Gri::parse_pattern(gri)?,
        })
    }

    /// Whether this rule allows `operation` on `gri` in `service`.
    #[must_use]
    pub fn allows(&self, service: ServiceKind, operation: Operation, gri: &Gri) -> bool {
        self.service.is_none_or(|s| s == service)
            && self.operation.is_none_or(|o| o == operation)
            && self.gri.matches(gri)
    }
}

impl std::fmt::Display for ApiRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let service = self.service.map_or("all", ServiceKind::code);
        let operation = self.operation.map_or("all", Operation::name);
        write!(f, "{service}/{operation}/{}", self.gri)
    }
}

/// A whitelist of API rules; an operation is allowed when a rule allows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiCaveat {
    /// The rules (never empty).
    pub(crate) whitelist: Vec<ApiRule>,
}

impl ApiCaveat {
    /// The `whitelist` this was built with.
    #[must_use]
    pub fn whitelist(&self) -> &[ApiRule] {
        &self.whitelist
    }
}

impl ApiCaveat {
    /// A caveat with the given rules.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`) when the list is empty or too long.
    pub fn new(whitelist: Vec<ApiRule>) -> Result<Self, Error> {
        list::check_len(&whitelist, "whitelist")?;
        Ok(Self { whitelist })
    }

    /// Whether a rule allows `operation` on `gri` in `service`.
    #[must_use]
    pub fn allows(&self, service: ServiceKind, operation: Operation, gri: &Gri) -> bool {
        self.whitelist
            .iter()
            .any(|r| r.allows(service, operation, gri))
    }

    pub(crate) fn parse_text(rest: &str) -> Result<Self, Error> {
        Self::new(list::from_text(rest, "whitelist", ApiRule::parse)?)
    }
}

impl CaveatKind for ApiCaveat {
    const NAME: &'static str = "api";
    const CODE: u64 = kind::API;
    const FIELDS: usize = 2;
    const DEFERRED: bool = true;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        Self::new(list::from_json(f, "whitelist", ApiRule::parse)?)
    }

    fn to_json(&self) -> Value {
        json!({"type": "api", "whitelist": list::strings(&self.whitelist)})
    }

    fn to_text(&self) -> String {
        format!("api = {}", list::join(&self.whitelist))
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        text.strip_prefix("api = ").map(Self::parse_text)
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        list::write(out, &self.whitelist, |out, rule| {
            cbor::write_array(out, 3);
            cbor::write_uint(out, rule.service.map_or(0, |s| s.number() + 1));
            cbor::write_uint(out, rule.operation.map_or(0, Operation::code));
            cbor::write_text(out, &rule.gri.to_string());
        });
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let whitelist = list::read(r, MAX_LIST_ENTRIES, |r| {
            r.array_of(3).map_err(reason)?;
            let service = match r.uint().map_err(reason)? {
                0 => None,
                n => Some(ServiceKind::from_number(n - 1).ok_or("unknown service in API rule")?),
            };
            let operation = match r.uint().map_err(reason)? {
                0 => None,
                n => Some(Operation::from_code(n).ok_or("unknown operation in API rule")?),
            };
            let text = r.text(MAX_GRI_LEN).map_err(reason)?;
            let gri = Gri::parse_pattern(text).map_err(|_| "malformed GRI pattern")?;
            if gri.to_string() != text {
                return Err("non-canonical GRI pattern");
            }
            Ok(ApiRule {
                service,
                operation,
                gri,
            })
        })?;
        Self::new(whitelist).map_err(|_| "empty API whitelist")
    }
}

impl std::str::FromStr for Gri {
    type Err = Error;

    /// As [`Gri::parse`].
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}

impl std::str::FromStr for ApiRule {
    type Err = Error;

    /// As [`ApiRule::parse`].
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gri(s: &str) -> Gri {
        Gri::parse(s).expect(s)
    }

    #[test]
    fn pattern_matching_follows_onedata() {
        let any = Gri::parse_pattern("*.*.*:*").expect("pattern");
        assert!(any.matches(&gri("space.s1.instance:private")));
        assert!(any.matches(&gri("user.u1.client_tokens,t1:private")));
        let pair_first = Gri::parse_pattern("user.*.client_tokens,*:*").expect("p");
        assert!(pair_first.matches(&gri("user.u1.client_tokens,t1:private")));
        assert!(!pair_first.matches(&gri("user.u1.client_tokens:private")));
        let pair_second = Gri::parse_pattern("*.*.*,t1:private").expect("p");
        assert!(pair_second.matches(&gri("user.u1.client_tokens,t1:private")));
        assert!(!pair_second.matches(&gri("user.u1.client_tokens,t2:private")));
        assert!(!pair_second.matches(&gri("user.u1.client_tokens,t1:protected")));
        let exact = Gri::parse_pattern("space.s1.instance:private").expect("p");
        assert!(exact.matches(&gri("space.s1.instance:private")));
        assert!(!exact.matches(&gri("space.s2.instance:private")));
        assert!(!exact.matches(&gri("space.s1.instance,x:private")));
    }

    #[test]
    fn strict_gri_text() {
        for bad in [
            "",
            "space.s1",
            "space.s1.instance",
            "space.s1.instance:root",
            "space.s1.x.y:private",
            "sp ace.s1.instance:private",
            "space..instance:private",
            "space.s1.a,b,c:private",
            "space.s1.instance:private:x",
        ] {
            assert_eq!(
                Gri::parse_pattern(bad).expect_err(bad).id(),
                "badValueCaveat"
            );
        }
        assert_eq!(
            Gri::parse("space.*.instance:private")
                .expect_err("wild")
                .id(),
            "badValueCaveat"
        );
        let r = ApiRule::parse("all/all/*.*.*:*").expect("rule");
        assert_eq!(r.to_string(), "all/all/*.*.*:*");
        assert!(ApiRule::parse("ozw/read/*.*.*:*").is_err());
        assert!(ApiRule::parse("xyz/get/*.*.*:*").is_err());
        assert!(ApiRule::parse("ozw/get/*.*.*:*/x").is_err());
    }
}
