#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
pub mod client_ip;
pub mod clock;
mod engine;
mod extract;
pub mod rejection;
mod token_source;
pub mod usage;

pub use auth::{AuthLayer, AuthService, Authenticator, AuthenticatorBuilder, ContextHook};
pub use client_ip::{ForwardedHeaders, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HOPS};
pub use clock::{Clock, FixedClock, SystemClock};
pub use extract::{ClientIp, Verified};
pub use rejection::{AuthRejection, TokenRefused};
pub use usage::{UsageEvent, UsageStats};
