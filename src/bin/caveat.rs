//! `caveat`: mint, attenuate, inspect and verify tokens from the command line.
//!
//! The output contract is for scripts:
//!
//! - stdout holds exactly one JSON document, newline-terminated;
//! - exit 0 on success;
//! - exit 1 when a token is rejected; stdout holds the error JSON
//!   `{"error":{"id":…,"details":{…},"description":…}}`;
//! - exit 2 on usage errors: clap's message on stderr for malformed command lines, or the error
//!   JSON on stdout for a value the library refuses (caveat JSON, subject, type, key, invite type).
//!
//! A `TOKEN` argument of `-` reads the token from stdin (surrounding whitespace is trimmed).
//!
//! Each subcommand is one function returning `Result<Value, Failure>`; adding a flag means adding
//! a field to its `…Args` struct and reading it there.

// Doc comments on the argument structs are clap's help text, written for a terminal
// (`usr-<id>`, `TARGET[:PARAMS]`), not rustdoc markup.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use caveat_token::{
    Caveat, Context, Error, Identifier, InviteType, Limits, Persistence, RootKey, Subject, Token,
    TokenType, Verifier,
};
use clap::{ArgGroup, Args, Parser, Subcommand};
use serde_json::{json, Value};
use zeroize::Zeroize;

/// Bytes of a root key made by `keygen`.
const KEYGEN_BYTES: usize = 32;

/// Bytes of the random token id `mint` picks when `--id` is not given (128 bits: collisions are
/// out of reach for any realistic number of tokens).
const RANDOM_ID_BYTES: usize = 16;

/// Whitespace tolerated around a token read from stdin, beyond the longest text the limits allow.
/// Reading stops there, so a huge stdin costs bounded memory.
const STDIN_SLACK: usize = 4096;

/// Mint, attenuate, inspect and verify caveat tokens. Output is JSON on stdout; exit 0 on
/// success, 1 when a token is rejected, 2 on usage errors.
#[derive(Debug, Parser)]
#[command(name = "caveat", version, about, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a new random 32-byte root key as hex: {"key":"…"}.
    Keygen,
    /// Mint a token: {"token":"…"}.
    Mint(MintArgs),
    /// Append caveats to a token, without the key: {"token":"…"}.
    Attenuate(AttenuateArgs),
    /// Show what a token says about itself, WITHOUT verifying it.
    Inspect(InspectArgs),
    /// Verify a token and clear its caveats: {"ok":true,"subject":…,"type":…,"expires":…}.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("persistence").args(["named", "temporary"]).multiple(false)))]
struct MintArgs {
    /// The root key, as hex (see `caveat keygen`).
    #[arg(long, value_name = "HEX")]
    key_hex: String,
    /// The root key's id, recorded in the token for key rotation.
    #[arg(long, value_name = "ID")]
    key_id: Option<String>,
    /// Who the token speaks for: usr-<id> or prv-<id>.
    #[arg(long, value_name = "SUBJECT")]
    subject: String,
    /// access, access:SESSION, identity or invite:INVITE_TYPE:TARGET[:PARAMS].
    #[arg(long = "type", value_name = "TYPE")]
    token_type: String,
    /// A named token, revocable one by one (the default).
    #[arg(long)]
    named: bool,
    /// A temporary token of subject generation GEN.
    #[arg(long, value_name = "GEN")]
    temporary: Option<u64>,
    /// The token id [default: 32 random hex digits, so every token is distinct].
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// The issuer's domain.
    #[arg(long, value_name = "DOMAIN", default_value = "localhost")]
    location: String,
    /// A caveat in JSON form, e.g. '{"type":"time","validUntil":1700000000}'; repeatable.
    #[arg(long = "caveat", value_name = "JSON")]
    caveats: Vec<String>,
}

#[derive(Debug, Args)]
struct AttenuateArgs {
    /// The token's text form, or - to read it from stdin.
    #[arg(value_name = "TOKEN")]
    token: OsString,
    /// A caveat in JSON form; repeatable, at least one.
    #[arg(long = "caveat", value_name = "JSON", required = true)]
    caveats: Vec<String>,
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// The token's text form, or - to read it from stdin.
    #[arg(value_name = "TOKEN")]
    token: OsString,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The token's text form, or - to read it from stdin.
    #[arg(value_name = "TOKEN")]
    token: OsString,
    /// The root key, as hex.
    #[arg(long, value_name = "HEX")]
    key_hex: String,
    /// The time to verify at, in unix seconds [default: the system clock].
    #[arg(long, value_name = "UNIX")]
    now: Option<u64>,
    /// The client's IP address (IPv4 or IPv6).
    #[arg(long, value_name = "ADDR")]
    ip: Option<IpAddr>,
    /// The invite type the request asks to use, e.g. userJoinCluster.
    #[arg(long, value_name = "T")]
    invite_type: Option<String>,
    /// Seconds of clock skew allowed on time caveats.
    #[arg(long, value_name = "S", default_value_t = 0)]
    leeway: u64,
}

/// Why a subcommand did not produce its output, and so how the process ends.
#[derive(Debug)]
enum Failure {
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
    let (code, stdout) = match run(cli) {
        Ok(value) => (0, Some(value)),
        Err(failure) => {
            let code = failure.exit_code();
            match failure {
                Failure::Rejected(e) | Failure::BadValue(e) => (code, Some(e.to_json())),
                Failure::Usage(message) => {
                    // Nothing sensible is left to do if stderr itself is gone.
                    let _ = writeln!(io::stderr().lock(), "caveat: {message}");
                    (code, None)
                }
            }
        }
    };
    if let Some(value) = stdout {
        let mut out = io::stdout().lock();
        if writeln!(out, "{value}").and_then(|()| out.flush()).is_err() {
            let _ = writeln!(io::stderr().lock(), "caveat: cannot write to stdout");
            return ExitCode::from(2);
        }
    }
    ExitCode::from(code)
}

fn run(cli: Cli) -> Result<Value, Failure> {
    match cli.command {
        Command::Keygen => keygen(),
        Command::Mint(args) => mint(args),
        Command::Attenuate(args) => attenuate(args),
        Command::Inspect(args) => inspect(&args),
        Command::Verify(args) => verify(args),
    }
}

/// `caveat keygen`: `{"key":"<64 hex digits>"}`.
fn keygen() -> Result<Value, Failure> {
    let mut key = random_bytes::<KEYGEN_BYTES>()?;
    let out = json!({ "key": hex::encode(key) });
    key.zeroize();
    Ok(out)
}

/// `caveat mint`: `{"token":"…"}`.
fn mint(mut args: MintArgs) -> Result<Value, Failure> {
    let key = root_key(&mut args.key_hex)?;
    let subject = Subject::parse(&args.subject).map_err(Failure::BadValue)?;
    let token_type = TokenType::parse(&args.token_type).map_err(Failure::BadValue)?;
    let caveats = parse_caveats(&args.caveats)?;
    let persistence = match args.temporary {
        Some(generation) => Persistence::Temporary { generation },
        None => Persistence::Named,
    };
    let token_id = match args.id {
        Some(id) => id,
        None => hex::encode(random_bytes::<RANDOM_ID_BYTES>()?),
    };
    let identifier = Identifier {
        location: args.location.as_str().into(),
        key_id: args.key_id.as_deref().map(Into::into),
        token_id: token_id.into(),
        subject,
        token_type,
        persistence,
    };
    let token = Token::mint(&key, &identifier, &caveats).map_err(Failure::BadValue)?;
    Ok(json!({ "token": token.to_text() }))
}

/// `caveat attenuate`: `{"token":"…"}`.
fn attenuate(args: AttenuateArgs) -> Result<Value, Failure> {
    let caveats = parse_caveats(&args.caveats)?;
    let limits = Limits::default();
    let text = token_text(args.token, &limits)?;
    let mut token = Token::from_text(&text, &limits).map_err(Failure::Rejected)?;
    for caveat in &caveats {
        // A caveat that parsed but cannot be written in this token's format: a bad value.
        token = token.attenuate(caveat).map_err(Failure::BadValue)?;
    }
    Ok(json!({ "token": token.to_text() }))
}

/// `caveat inspect`: the identifier, caveats and tag, marked `"unverified":true`.
fn inspect(args: &InspectArgs) -> Result<Value, Failure> {
    let limits = Limits::default();
    let text = token_text(args.token.clone(), &limits)?;
    let token = Token::from_text(&text, &limits).map_err(Failure::Rejected)?;
    let identifier = token.untrusted_identifier().map_err(Failure::Rejected)?;
    let caveats: Vec<Value> = token
        .caveat_bytes()
        .zip(token.untrusted_caveats())
        .map(|(bytes, caveat)| match caveat {
            Ok(c) => c.to_json(),
            Err(_) => json!({ "unknown": hex::encode(bytes) }),
        })
        .collect();
    Ok(json!({
        "unverified": true,
        "format": token.format().name(),
        "identifier": identifier.to_json(),
        "caveats": caveats,
        "tag": token.tag().to_hex(),
    }))
}

/// `caveat verify`: `{"ok":true,"subject":…,"type":…,"expires":…}`.
fn verify(mut args: VerifyArgs) -> Result<Value, Failure> {
    let key = root_key(&mut args.key_hex)?;
    let invite_type = args
        .invite_type
        .as_deref()
        .map(InviteType::parse)
        .transpose()
        .map_err(Failure::BadValue)?;
    let now = match args.now {
        Some(now) => now,
        None => system_now()?,
    };
    let ctx = Context {
        now,
        ip: args.ip,
        invite_type,
        ..Context::default()
    };
    let verifier = Verifier::new().with_leeway(args.leeway);
    let text = token_text(args.token, verifier.limits())?;
    let verified = verifier
        .verify_text(&text, &key, &ctx)
        .map_err(Failure::Rejected)?;
    let identifier = verified.identifier();
    Ok(json!({
        "ok": true,
        "subject": identifier.subject.to_string(),
        "type": identifier.token_type.to_json(),
        "expires": verified.expires(),
    }))
}

/// Parses a key given as hex, then wipes the hex text.
fn root_key(hex_text: &mut String) -> Result<RootKey, Failure> {
    let key = RootKey::from_hex(hex_text).map_err(Failure::BadValue);
    hex_text.zeroize();
    key
}

/// Parses each `--caveat` JSON value, in order.
fn parse_caveats(texts: &[String]) -> Result<Vec<Caveat>, Failure> {
    texts
        .iter()
        .map(|t| Caveat::from_json_str(t).map_err(Failure::BadValue))
        .collect()
}

/// The token text of a `TOKEN` argument: the argument itself, or stdin (trimmed) for `-`.
///
/// Text that is not UTF-8 cannot be a token (`badToken`); stdin longer than any token the limits
/// allow is `tokenTooLarge` without being read further.
fn token_text(arg: OsString, limits: &Limits) -> Result<String, Failure> {
    let not_text = || {
        Failure::Rejected(Error::BadToken {
            reason: "not UTF-8 text",
        })
    };
    if arg != "-" {
        return arg.into_string().map_err(|_| not_text());
    }
    let cap = limits.max_text_len().saturating_add(STDIN_SLACK);
    let mut bytes = Vec::new();
    io::stdin()
        .lock()
        .take(u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Usage(format!("cannot read the token from stdin: {e}")))?;
    if bytes.len() > cap {
        return Err(Failure::Rejected(Error::TokenTooLarge {
            limit: "size",
            max: limits.max_token_bytes,
        }));
    }
    let text = String::from_utf8(bytes).map_err(|_| not_text())?;
    Ok(text.trim().to_owned())
}

/// `N` bytes from the operating system's random source.
fn random_bytes<const N: usize>() -> Result<[u8; N], Failure> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)
        .map_err(|e| Failure::Usage(format!("no randomness from the operating system: {e}")))?;
    Ok(buf)
}

/// The system clock in unix seconds (the library never reads a clock; the CLI may).
fn system_now() -> Result<u64, Failure> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Failure::Usage("the system clock is before 1970; pass --now".into()))
}
