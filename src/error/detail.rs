//! Typed values of higher layers that an error carries for its details: the denied caveat, the
//! token type received. This module names them only through [`ErrorDetail`], so that `error`,
//! which every module uses, depends on none of them.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

/// A value an error can carry and show in its JSON details. Implemented by
/// [`Caveat`](crate::Caveat) and [`TokenType`](crate::TokenType).
pub trait ErrorDetail: Any + fmt::Debug + Send + Sync {
    /// The JSON form `details` shows.
    fn to_json(&self) -> Value;
}

/// A typed value inside an error: shown by its JSON form, recovered with
/// [`Detail::downcast_ref`]. Two are equal when their JSON forms are.
///
/// ```
/// use caveat_token::{Caveat, Detail};
///
/// let d = Detail::new(Caveat::time(100));
/// assert_eq!(d.downcast_ref::<Caveat>(), Some(&Caveat::time(100)));
/// assert_eq!(d.to_json()["validUntil"], 100);
/// ```
#[derive(Clone)]
pub struct Detail(Arc<dyn ErrorDetail>);

impl Detail {
    /// Wraps a value.
    #[must_use]
    pub fn new(value: impl ErrorDetail) -> Self {
        Self(Arc::new(value))
    }

    /// Its JSON form.
    #[must_use]
    pub fn to_json(&self) -> Value {
        self.0.to_json()
    }

    /// The value, if it is a `T`.
    #[must_use]
    pub fn downcast_ref<T: ErrorDetail>(&self) -> Option<&T> {
        let any: &dyn Any = &*self.0;
        any.downcast_ref()
    }
}

impl fmt::Debug for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Detail {
    /// The compact JSON form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_json().fmt(f)
    }
}

impl PartialEq for Detail {
    fn eq(&self, other: &Self) -> bool {
        self.to_json() == other.to_json()
    }
}

impl Eq for Detail {}
