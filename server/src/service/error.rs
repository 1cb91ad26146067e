//! What a service call fails with, and its error JSON (`{"error":{"id","details","description"}}`,
//! the library's form; the ids here are the service's own, the library's errors keep theirs).

use serde_json::{json, Value};

use crate::store::StoreError;

/// A failed service call.
#[derive(Debug)]
pub enum ServiceError {
    /// The library refused (a bad token, a caveat that does not hold, a bad value): its own
    /// error, passed on as it is.
    Token(caveat_token::Error),
    /// The credentials are missing or wrong.
    Unauthorized,
    /// The name is taken (`badValueIdentifierOccupied`).
    Occupied {
        /// The field, e.g. `name`.
        key: &'static str,
    },
    /// No such resource, or not the caller's (`notFound`).
    NotFound,
    /// A required field is absent (`missingRequiredValue`).
    Missing {
        /// The field.
        key: &'static str,
    },
    /// A field has an unacceptable value (`badValue`).
    BadValue {
        /// The field.
        key: &'static str,
        /// Why.
        reason: String,
    },
    /// The service itself failed (the database): never the client's input.
    Internal(String),
    /// The node is out of sync with the shared state for longer than its staleness bound, or
    /// the database cannot be reached (`serviceUnavailable`, 503): retry later.
    Unavailable {
        /// How far behind the node is.
        lag: std::time::Duration,
    },
}

impl From<caveat_token::Error> for ServiceError {
    fn from(e: caveat_token::Error) -> Self {
        Self::Token(e)
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Self::Occupied { key: "name" },
            StoreError::Backend(e) => Self::Internal(e),
            StoreError::Unavailable(_) => Self::Unavailable {
                lag: std::time::Duration::ZERO,
            },
        }
    }
}

impl ServiceError {
    /// A bad value of `key`.
    pub fn bad(key: &'static str, reason: impl Into<String>) -> Self {
        Self::BadValue {
            key,
            reason: reason.into(),
        }
    }

    /// The stable id.
    #[must_use]
    pub fn id(&self) -> &'static str {
        match self {
            Self::Token(e) => e.id(),
            Self::Unauthorized => "unauthorized",
            Self::Occupied { .. } => "badValueIdentifierOccupied",
            Self::NotFound => "notFound",
            Self::Missing { .. } => "missingRequiredValue",
            Self::BadValue { .. } => "badValue",
            Self::Internal(_) => "internalServerError",
            Self::Unavailable { .. } => "serviceUnavailable",
        }
    }

    /// The error JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let (details, description) = match self {
            Self::Token(e) => return e.to_json(),
            Self::Unauthorized => (json!({}), "Credentials are missing or invalid.".to_owned()),
            Self::Occupied { key } => (
                json!({"key": key}),
                format!("The value of \"{key}\" is already taken."),
            ),
            Self::NotFound => (json!({}), "The resource could not be found.".to_owned()),
            Self::Missing { key } => (
                json!({"key": key}),
                format!("Missing required value: \"{key}\"."),
            ),
            Self::BadValue { key, reason } => (
                json!({"key": key, "reason": reason}),
                format!("Bad value of \"{key}\": {reason}."),
            ),
            // The cause goes to the log, never to the client.
            Self::Internal(_) => (json!({}), "The server failed; try again later.".to_owned()),
            Self::Unavailable { lag } => (
                json!({"lagSeconds": lag.as_secs()}),
                "The service cannot confirm the current state of tokens; try again later."
                    .to_owned(),
            ),
        };
        json!({"error": {"id": self.id(), "details": details, "description": description}})
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Internal(e) => write!(f, "internal: {e}"),
            other => write!(f, "{}", other.to_json()),
        }
    }
}

impl std::error::Error for ServiceError {}
