//! `caveat-server`: a token service on [caveat-token](caveat_token). Onezone's token API, an
//! OAuth-style token endpoint (password, refresh-token and IBM API-key grants, RFC 7662
//! introspection, RFC 7009 revocation) and Insight.io's API tokens, over a [`store::Store`]
//! (SQLite for one node, PostgreSQL for many: each node follows the database's change log into
//! in-memory mirrors, so that verification does no I/O, and fails closed when it falls behind).
//!
//! Layout: [`store`] (the trait and its backends), [`service`] (token logic, no HTTP),
//! [`http`] (axum routes, thin), and the binary's `main.rs` (the command line, wiring only).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod http;
pub mod service;
pub mod store;
