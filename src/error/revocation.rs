//! Revocation errors: the signature and caveats hold, but the issuer has withdrawn the token.

use std::fmt;

use super::ErrorId;

/// The token was withdrawn by its issuer.
///
/// ```
/// use caveat_token::{Error, RevocationError};
///
/// let err = Error::from(RevocationError::Revoked);
/// assert_eq!(err.id(), "tokenRevoked");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationError {
    /// Revoked by the caller's revocation source, or a temporary token of an older generation
    /// (id `tokenRevoked`).
    Revoked,
}

impl RevocationError {
    /// The stable id.
    #[must_use]
    pub const fn id(&self) -> ErrorId {
        match self {
            Self::Revoked => ErrorId::TokenRevoked,
        }
    }
}

impl fmt::Display for RevocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Revoked => f.write_str("Provided token has been revoked."),
        }
    }
}
