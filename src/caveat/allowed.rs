//! Which caveat kinds each token type may carry (Onedata's sets, plus this crate's `inviteType`
//! and `app`): one table, asked by every clearing path, whether it holds a decoded caveat or
//! reads one in place.

use super::{kind, Caveat};
use crate::identifier::TokenType;

/// Whether a token of `token_type` may carry `caveat` (Onedata's sets, plus this crate's
/// `inviteType` and `app`):
///
/// - access: every kind but `authorizationNone`;
/// - identity: `time`, `ip`, `asn`, `geo.*`, `consumer`, `interface`, `app`;
/// - invite: `time`, `ip`, `asn`, `geo.*`, `consumer`, `inviteType`, `app`.
///
/// A caveat not allowed is refused (`tokenCaveatUnverified`) whatever the context.
#[must_use]
pub fn caveat_allowed(token_type: &TokenType<'_>, caveat: &Caveat) -> bool {
    kind_allowed(TypeClass::of(token_type), caveat.kind())
}

/// The three token types, without their fields: all [`caveat_allowed`] looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TypeClass {
    Access,
    Identity,
    Invite,
}

impl TypeClass {
    const ALL: [Self; 3] = [Self::Access, Self::Identity, Self::Invite];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Identity => "identity",
            Self::Invite => "invite",
        }
    }

    pub(crate) fn of(token_type: &TokenType<'_>) -> Self {
        match token_type {
            TokenType::Access { .. } => Self::Access,
            TokenType::Identity => Self::Identity,
            TokenType::Invite { .. } => Self::Invite,
        }
    }
}

/// [`caveat_allowed`] on the kind's code (one per [`Caveat`] variant), so that the verifier's
/// in-place path asks the same table without building the caveat.
pub(crate) fn kind_allowed(class: TypeClass, kind: u64) -> bool {
    let common = matches!(
        kind,
        kind::TIME
            | kind::IP
            | kind::ASN
            | kind::GEO_COUNTRY
            | kind::GEO_REGION
            | kind::CONSUMER
            | kind::APP
    );
    match class {
        TypeClass::Access => kind != kind::AUTHORIZATION_NONE,
        TypeClass::Identity => common || kind == kind::INTERFACE,
        TypeClass::Invite => common || kind == kind::INVITE_TYPE,
    }
}

/// Whether every token type may carry caveats of `kind` (then clearing one does not need the
/// token's type).
pub(crate) fn kind_allowed_for_every_type(kind: u64) -> bool {
    TypeClass::ALL
        .into_iter()
        .all(|class| kind_allowed(class, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifier::InviteType;

    /// One caveat of every kind.
    fn every_kind() -> Vec<Caveat> {
        [
            "time < 100",
            "ip = 10.0.0.0/8",
            "inviteType = userJoinSpace",
            "example.com/x = 1",
            "asn = 3320",
            "geo.country = PL",
            "geo.region = EU",
            "service = ozw-onezone",
            "consumer = usr-alice",
            "interface = rest",
            "api = all/all/*.*.*:*",
            "data.readonly",
            "data.path = L3NwYWNlMS9maWxlMS50eHQ=",
            "data.objectid = 00000000000CDBDA677569642331323323616263",
            "authorization = none",
        ]
        .iter()
        .map(|t| Caveat::from_text(t).expect(t))
        .collect()
    }

    #[test]
    fn kind_codes_are_the_native_ones_and_distinct() {
        let caveats = every_kind();
        let mut codes: Vec<u64> = caveats.iter().map(Caveat::kind).collect();
        for (caveat, code) in caveats.iter().zip(&codes) {
            // A native caveat is an array head then its kind (every code is below 24).
            assert_eq!(u64::from(caveat.to_native()[1]), *code, "{caveat}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), caveats.len());
    }

    #[test]
    fn allowed_kinds_per_token_type_are_the_documented_sets() {
        let common = [
            "time",
            "ip",
            "asn",
            "geo.country",
            "geo.region",
            "consumer",
            "app",
        ];
        let invite = TokenType::Invite {
            invite_type: InviteType::UserJoinSpace,
            target: "s".into(),
            params: "".into(),
        };
        for caveat in every_kind() {
            let name = caveat.type_name();
            assert_eq!(
                caveat_allowed(&TokenType::Access { session: None }, &caveat),
                name != "authorizationNone",
                "access, {name}"
            );
            assert_eq!(
                caveat_allowed(&TokenType::Identity, &caveat),
                common.contains(&name) || name == "interface",
                "identity, {name}"
            );
            assert_eq!(
                caveat_allowed(&invite, &caveat),
                common.contains(&name) || name == "inviteType",
                "invite, {name}"
            );
        }
    }
}
