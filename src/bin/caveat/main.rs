//! `caveat`: mint, attenuate, inspect and verify tokens from the command line.
//!
//! The output contract is for scripts (spec/CLI.md):
//!
//! - stdout holds exactly one JSON document, newline-terminated (`--output json`, the default);
//!   `--output text` prints just the token or key instead, errors going to stderr;
//! - exit 0 on success;
//! - exit 1 when a token is rejected; stdout holds the error JSON
//!   `{"error":{"id":…,"details":{…},"description":…}}`;
//! - exit 2 on usage errors: clap's message on stderr for malformed command lines, or the error
//!   JSON on stdout for a value the library refuses (caveat JSON, subject, type, key, and the
//!   request values of `verify`: invite type, expectation, interface, service, consumer), or a
//!   message on stderr for a request the command refuses (`attenuate --format` of another
//!   format, a missing key).
//!
//! Warnings (a short key, a token minted already expired) and hints (the valid values, the
//! line and column of bad JSON, a limit's unit) go to stderr and never change the exit status.
//!
//! Layout: one module per command (`keygen`, `mint`, `attenuate`, `inspect`, `verify`,
//! `discharge`), each with its `…Args` struct and one function returning
//! `Result<Value, Failure>`; `args` holds what several commands parse (keys, typed value parsers
//! over the library's `FromStr`s, durations, caveats, `TOKEN`), `render` what they print.

// Doc comments on the argument structs are clap's help text, written for a terminal
// (`usr-<id>`, `TARGET[:PARAMS]`), not rustdoc markup.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

mod args;
mod attenuate;
mod discharge;
mod inspect;
mod keygen;
mod mint;
mod render;
mod verify;

use std::process::ExitCode;

use caveat_token::Error;
use clap::{Parser, Subcommand};
use serde_json::Value;

use render::Output;

/// Mint, attenuate, inspect and verify caveat tokens. Output is JSON on stdout (or, with
/// `--output text`, just the token or key); exit 0 on success, 1 when a token is rejected, 2 on
/// usage errors.
#[derive(Debug, Parser)]
#[command(name = "caveat", version, about, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// json: one JSON document on stdout, errors included. text: just the token or key (so
    /// `TOKEN=$(caveat mint … --output text)` works), inspect and verify as indented JSON,
    /// errors on stderr.
    #[arg(long, global = true, value_enum, value_name = "FORMAT", default_value_t = Output::Json)]
    output: Output,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a new random 32-byte root key as hex: {"key":"…"}.
    Keygen,
    /// Mint a token: {"token":"…"}.
    Mint(Box<mint::MintArgs>),
    /// Append caveats to a token, without the key: {"token":"…"}.
    Attenuate(attenuate::AttenuateArgs),
    /// Show what a token says about itself, WITHOUT verifying it.
    Inspect(inspect::InspectArgs),
    /// Verify a token and clear its caveats: {"ok":true,"subject":…,"type":…,"expires":…,…}.
    Verify(Box<verify::VerifyArgs>),
    /// Mint a discharge for a third-party caveat (libmacaroons formats): {"token":"…"}.
    Discharge(discharge::DischargeArgs),
}

/// Why a subcommand did not produce its output, and so how the process ends.
#[derive(Debug)]
pub enum Failure {
    /// The token was rejected: exit 1, error JSON on stdout.
    Rejected(Error),
    /// A value the library refused while building something: exit 2, error JSON on stdout.
    BadValue(Error),
    /// Any other usage or environment problem: exit 2, message on stderr.
    Usage(String),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Self::Rejected(_) => 1,
            Self::BadValue(_) | Self::Usage(_) => 2,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version print to stdout and exit 0; real parse errors go to stderr, exit 2.
        Err(e) => e.exit(),
    };
    let output = cli.output;
    let (code, written) = match run(cli.command) {
        Ok(value) => (0, render::result(output, &value)),
        Err(failure) => {
            let code = failure.exit_code();
            match failure {
                Failure::Rejected(e) | Failure::BadValue(e) => (code, render::error(output, &e)),
                Failure::Usage(message) => {
                    render::stderr_line(&message);
                    (code, true)
                }
            }
        }
    };
    if !written {
        render::stderr_line("cannot write to stdout");
        return ExitCode::from(2);
    }
    ExitCode::from(code)
}

fn run(command: Command) -> Result<Value, Failure> {
    match command {
        Command::Keygen => keygen::keygen(),
        Command::Mint(args) => mint::mint(*args),
        Command::Attenuate(args) => attenuate::attenuate(args),
        Command::Inspect(args) => inspect::inspect(&args),
        Command::Verify(args) => verify::verify(*args),
        Command::Discharge(args) => discharge::discharge(args),
    }
}
