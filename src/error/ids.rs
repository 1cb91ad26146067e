//! The one table of error ids: every id the crate can produce, written once.
//!
//! [`ErrorId`], [`ERROR_IDS`] and each phase error's `id()` are all generated from the table
//! below, so an id cannot be spelt two ways or be missing from the published list.

macro_rules! error_ids {
    ($($(#[$doc:meta])* $variant:ident = $id:literal,)*) => {
        /// The stable id of an error: what crosses a process boundary (`error.id` in the JSON
        /// form), and what tests and vectors match on.
        ///
        /// ```
        /// use caveat_token::ErrorId;
        ///
        /// assert_eq!(ErrorId::TokenInvalid.as_str(), "tokenInvalid");
        /// assert_eq!("tokenInvalid".parse::<ErrorId>(), Ok(ErrorId::TokenInvalid));
        /// assert!(ErrorId::ALL.iter().all(|id| id.as_str().parse() == Ok(*id)));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorId {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorId {
            /// Every id, in the table's order.
            pub const ALL: &'static [ErrorId] = &[$(ErrorId::$variant,)*];

            /// The id as it appears in the JSON form (camelCase).
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorId::$variant => $id,)*
                }
            }
        }

        impl std::str::FromStr for ErrorId {
            type Err = UnknownErrorId;

            fn from_str(text: &str) -> Result<Self, UnknownErrorId> {
                match text {
                    $($id => Ok(ErrorId::$variant),)*
                    _ => Err(UnknownErrorId),
                }
            }
        }

        /// Every error id this crate can produce, in a fixed order (for documentation and
        /// tests): [`ErrorId::ALL`] as strings.
        pub const ERROR_IDS: &[&str] = &[$($id,)*];
    };
}

error_ids! {
    /// The input is not a well-formed token.
    BadToken = "badToken",
    /// The input exceeds a decoding limit.
    TokenTooLarge = "tokenTooLarge",
    /// The signature does not verify.
    TokenInvalid = "tokenInvalid",
    /// A caveat of a kind the verifier does not understand.
    TokenCaveatUnknown = "tokenCaveatUnknown",
    /// A caveat that does not hold in the request context.
    TokenCaveatUnverified = "tokenCaveatUnverified",
    /// A caveat could not be created from the value given.
    BadValueCaveat = "badValueCaveat",
    /// An identifier field given at minting is not acceptable.
    BadValueIdentifier = "badValueIdentifier",
    /// The token type given is not acceptable.
    BadValueTokenType = "badValueTokenType",
    /// The invite type is not one of the known ones.
    BadValueInviteType = "badValueInviteType",
    /// A key is malformed.
    BadValueKey = "badValueKey",
    /// The token was revoked.
    TokenRevoked = "tokenRevoked",
    /// A temporary token needs a time caveat.
    TokenTimeCaveatRequired = "tokenTimeCaveatRequired",
    /// An access token was expected.
    NotAnAccessToken = "notAnAccessToken",
    /// An identity token was expected.
    NotAnIdentityToken = "notAnIdentityToken",
    /// An invite token was expected.
    NotAnInviteToken = "notAnInviteToken",
    /// A third-party caveat has no discharge.
    DischargeMissing = "dischargeMissing",
    /// Two discharges have the same identifier.
    DischargeAmbiguous = "dischargeAmbiguous",
    /// A discharge would be used twice.
    DischargeReused = "dischargeReused",
    /// A discharge is needed by one of its own caveats.
    DischargeCycle = "dischargeCycle",
    /// Discharges nest too deep.
    DischargeTooDeep = "dischargeTooDeep",
    /// A discharge is not bound to the token it is used with.
    DischargeUnbound = "dischargeUnbound",
    /// A discharge's signature does not verify.
    DischargeInvalid = "dischargeInvalid",
    /// A discharge discharges no caveat.
    DischargeUnused = "dischargeUnused",
    /// A third-party caveat's verification id does not open.
    ThirdPartyCaveatInvalid = "thirdPartyCaveatInvalid",
}

/// The text given to [`ErrorId`]'s `FromStr` is not an id of this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnknownErrorId;

impl std::fmt::Display for UnknownErrorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not an error id of caveat-token")
    }
}

impl std::error::Error for UnknownErrorId {}

impl std::fmt::Display for ErrorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
