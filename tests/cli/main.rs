//! The `caveat` command line, driven as a script would drive it: the commands on native tokens,
//! libmacaroons formats and the Onedata profile, and the adversarial catalogue through the binary.
//!
//! Run with `cargo test --features cli --test cli`.
#![cfg(feature = "cli")]

#[path = "../cli_common/mod.rs"]
mod cli_common;
#[path = "../common/mod.rs"]
mod common;

mod catalogue;
mod commands;
mod macaroons;
mod onedata;
mod restrictions;
mod usability;
