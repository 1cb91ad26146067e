//! `caveat`: mint, attenuate, inspect and verify tokens from the command line.
//!
//! The output contract is for scripts:
//!
//! - stdout holds exactly one JSON document, newline-terminated;
//! - exit 0 on success;
//! - exit 1 when a token is rejected; stdout holds the error JSON
//!   `{"error":{"id":…,"details":{…},"description":…}}`;
//! - exit 2 on usage errors: clap's message on stderr for malformed command lines, or the error
//!   JSON on stdout for a value the library refuses (caveat JSON, subject, type, key, and the
//!   request values of `verify`: invite type, expectation, interface, service, consumer), or a
//!   message on stderr for a request the command refuses (`attenuate --format` of another
//!   format).
//!
//! A `TOKEN` argument of `-` reads the token from stdin (surrounding whitespace is trimmed).
//!
//! Formats: `inspect`, `attenuate` and `verify` detect a token's format from its text (`cvt1_…`
//! native, `MDA…` Onedata); `mint --format` picks it. The key is given as hex (`--key-hex`) or as
//! text whose UTF-8 bytes are the key (`--key`, as Onedata's secrets are).
//!
//! Each subcommand is one function returning `Result<Value, Failure>`; adding a flag means adding
//! a field to its `…Args` struct and reading it there. `verify`'s flags are grouped: the key
//! (`KeyArgs`, shared with `mint`), the request context (`RequestArgs::context`) and the
//! verifier's setup and revocation sources (`VerifierArgs::verifier`).

// Doc comments on the argument structs are clap's help text, written for a terminal
// (`usr-<id>`, `TARGET[:PARAMS]`), not rustdoc markup.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use caveat_token::caveat::{Interface, Service, WILDCARD};
use caveat_token::issuance::IssuancePolicy;
use caveat_token::revocation::{FixedGeneration, RevokedList};
use caveat_token::{
    Caveat, Context, Error, Expect, Format, Identifier, InviteType, Limits, Persistence, RootKey,
    Subject, Token, TokenType, Verifier,
};
use clap::builder::{PossibleValuesParser, TypedValueParser};
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
    /// Verify a token and clear its caveats: {"ok":true,"subject":…,"type":…,"expires":…,…}.
    Verify(VerifyArgs),
}

/// The root key, given one of two ways; exactly one is required.
#[derive(Args)]
#[group(required = true, multiple = false)]
struct KeyArgs {
    /// The root key, as hex (see `caveat keygen`).
    #[arg(long, value_name = "HEX")]
    key_hex: Option<String>,
    /// The root key as text: its UTF-8 bytes are the key (Onedata's secrets are given so).
    #[arg(long, value_name = "TEXT")]
    key: Option<String>,
}

/// Key material never prints.
impl fmt::Debug for KeyArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyArgs(***OMITTED***)")
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("persistence").args(["named", "temporary"]).multiple(false)))]
struct MintArgs {
    #[command(flatten)]
    key: KeyArgs,
    /// The token format.
    #[arg(long, value_name = "FORMAT", value_parser = format_parser(), default_value = "native")]
    format: Format,
    /// The root key's id, recorded in the token for key rotation (the onedata format has no
    /// place for it).
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
    /// Issuance policy for --temporary: the token needs a time caveat whose earliest validUntil
    /// lies in (now, now + MAX_TTL], else tokenTimeCaveatRequired (exit 2).
    #[arg(long, value_name = "SECONDS", default_value_t = caveat_token::issuance::DEFAULT_MAX_TTL)]
    max_ttl: u64,
    /// "Now" for the issuance policy, in unix seconds [default: the system clock].
    #[arg(long, value_name = "UNIX")]
    now: Option<u64>,
}

#[derive(Debug, Args)]
struct AttenuateArgs {
    /// The token's text form, or - to read it from stdin.
    #[arg(value_name = "TOKEN")]
    token: OsString,
    /// A caveat in JSON form; repeatable, at least one.
    #[arg(long = "caveat", value_name = "JSON", required = true)]
    caveats: Vec<String>,
    /// The format the token must be in. Attenuating always keeps the token's own format (the
    /// chain covers each caveat's bytes as that format writes them, so no format can be changed
    /// without the key): a token in another format is a usage error, exit 2.
    #[arg(long, value_name = "FORMAT", value_parser = format_parser())]
    format: Option<Format>,
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
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    request: RequestArgs,
    #[command(flatten)]
    state: VerifierArgs,
}

/// What the request brings (the verification context). A caveat that needs a value not given
/// here fails closed. Bad values exit 2 with the error JSON.
#[derive(Debug, Args)]
#[command(next_help_heading = "Request")]
struct RequestArgs {
    /// The time to verify at, in unix seconds [default: the system clock].
    #[arg(long, value_name = "UNIX")]
    now: Option<u64>,
    /// The client's IP address (IPv4 or IPv6).
    #[arg(long, value_name = "ADDR")]
    ip: Option<IpAddr>,
    /// The invite type the request asks to use, e.g. userJoinCluster [default: the one of
    /// --expect invite:TYPE].
    #[arg(long, value_name = "T")]
    invite_type: Option<String>,
    /// The kind of token expected: access, identity, invite or invite:INVITE_TYPE. Another kind
    /// is rejected (notAnAccessToken, notAnIdentityToken, notAnInviteToken) [default: any].
    #[arg(long, value_name = "KIND")]
    expect: Option<String>,
    /// The interface the request came through: rest, oneclient or graphsync.
    #[arg(long, value_name = "I")]
    interface: Option<String>,
    /// The service the token is used in, e.g. ozw-onezone or opw-PROVIDER_ID (no wildcard).
    #[arg(long, value_name = "S")]
    service: Option<String>,
    /// Who consumes the token: usr-ID or prv-ID. Group entries (grp-ID) of consumer caveats
    /// admit nobody here: the command knows no group memberships.
    #[arg(long, value_name = "C")]
    consumer: Option<String>,
}

/// How the verifier is set up, and what it knows of revocation.
#[derive(Debug, Args)]
#[command(next_help_heading = "Verifier")]
struct VerifierArgs {
    /// Seconds of clock skew allowed on time caveats.
    #[arg(long, value_name = "S", default_value_t = 0)]
    leeway: u64,
    /// Let data-access caveats (data.readonly, data.path, data.objectid) hold; the caller must
    /// then enforce them on each data operation (they are listed in "deferredCaveats").
    /// Without it, a token carrying one is rejected.
    #[arg(long)]
    allow_data_access_caveats: bool,
    /// The current generation of temporary tokens of the token's subject: an older token is
    /// tokenRevoked, a newer one tokenInvalid [default: temporary tokens are not checked].
    #[arg(long, value_name = "N")]
    current_generation: Option<u64>,
    /// The id of a revoked named token (tokenRevoked); repeatable. Named tokens not listed are
    /// active.
    #[arg(long = "revoked", value_name = "ID")]
    revoked: Vec<String>,
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
    let key = args.key.root_key()?;
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
    let now = match args.now {
        Some(now) => now,
        None => system_now()?,
    };
    let token = IssuancePolicy::new()
        .with_max_ttl(args.max_ttl)
        .mint(args.format, &key, &identifier, &caveats, now)
        .map_err(Failure::BadValue)?;
    Ok(json!({ "token": token.to_text() }))
}

/// `caveat attenuate`: `{"token":"…"}`.
fn attenuate(args: AttenuateArgs) -> Result<Value, Failure> {
    let caveats = parse_caveats(&args.caveats)?;
    let limits = Limits::default();
    let text = token_text(args.token, &limits)?;
    let mut token = Token::from_text(&text, &limits).map_err(Failure::Rejected)?;
    if let Some(format) = args.format {
        if format != token.format() {
            return Err(Failure::Usage(format!(
                "the token is in the {} format, not {}; attenuating keeps a token's format",
                token.format().name(),
                format.name()
            )));
        }
    }
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
            Err(_) => unknown_caveat(token.format(), bytes),
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

/// `caveat verify`: `{"ok":true,"subject":…,"type":…,"expires":…,"format":…,"tokenId":…,
/// "persistence":…,"deferredCaveats":[…]}`.
fn verify(mut args: VerifyArgs) -> Result<Value, Failure> {
    let key = args.key.root_key()?;
    let ctx = args.request.context()?;
    let verifier = args.state.verifier();
    let text = token_text(args.token, verifier.limits())?;
    let verified = verifier
        .verify_text(&text, &key, &ctx)
        .map_err(Failure::Rejected)?;
    let identifier = verified.identifier();
    // Caveats that held only because the caller checks each operation against them.
    let deferred: Vec<Value> = verified
        .caveats()
        .iter()
        .filter(|c| matches!(c, Caveat::Api(_)) || c.is_data_access())
        .map(Caveat::to_json)
        .collect();
    Ok(json!({
        "ok": true,
        "subject": identifier.subject.to_string(),
        "type": identifier.token_type.to_json(),
        "expires": verified.expires(),
        "format": verified.token().format().name(),
        "tokenId": identifier.token_id,
        "persistence": identifier.to_json()["persistence"],
        "deferredCaveats": deferred,
    }))
}

impl KeyArgs {
    /// The root key, from whichever form was given; the key text is wiped.
    fn root_key(&mut self) -> Result<RootKey, Failure> {
        let key = match (&self.key_hex, &self.key) {
            (Some(hex_text), _) => RootKey::from_hex(hex_text).map_err(Failure::BadValue),
            (None, Some(text)) => RootKey::from_bytes(text.as_bytes()).map_err(Failure::BadValue),
            // clap's group makes one of them required.
            (None, None) => Err(Failure::Usage("give --key-hex or --key".into())),
        };
        self.key_hex.zeroize();
        self.key.zeroize();
        key
    }
}

impl RequestArgs {
    /// The verification context; values the library refuses are usage errors.
    fn context(&self) -> Result<Context, Failure> {
        let invite_type = self
            .invite_type
            .as_deref()
            .map(InviteType::parse)
            .transpose()
            .map_err(Failure::BadValue)?;
        let expect = self
            .expect
            .as_deref()
            .map(Expect::parse)
            .transpose()
            .map_err(Failure::BadValue)?;
        let interface = self
            .interface
            .as_deref()
            .map(Interface::parse)
            .transpose()
            .map_err(for_flag("interface"))?;
        let service = self
            .service
            .as_deref()
            .map(request_service)
            .transpose()
            .map_err(for_flag("service"))?;
        let consumer = self
            .consumer
            .as_deref()
            .map(|c| Subject::parse(c).map(Subject::into_owned))
            .transpose()
            .map_err(for_flag("consumer"))?;
        let now = match self.now {
            Some(now) => now,
            None => system_now()?,
        };
        Ok(Context {
            now,
            ip: self.ip,
            invite_type,
            expect,
            interface,
            service,
            consumer,
            ..Context::default()
        })
    }
}

impl VerifierArgs {
    /// The verifier: leeway, data-access permission, and the revocation sources given.
    fn verifier(&self) -> Verifier {
        let mut verifier = Verifier::new()
            .with_leeway(self.leeway)
            .with_data_access_caveats(self.allow_data_access_caveats);
        if !self.revoked.is_empty() {
            let revoked: RevokedList = self.revoked.iter().map(String::as_str).collect();
            verifier = verifier.with_revocation_source(Arc::new(revoked));
        }
        if let Some(generation) = self.current_generation {
            verifier = verifier.with_generation_source(Arc::new(FixedGeneration(generation)));
        }
        verifier
    }
}

/// The service a request is made in: `<code>-<id>`, where a whitelist's `*` names no service.
fn request_service(text: &str) -> Result<Service, Error> {
    let service = Service::parse(text)?;
    if service.id == WILDCARD {
        return Err(Error::BadValueCaveat {
            key: "service".into(),
            reason: "a request is made in one service, not a wildcard",
        });
    }
    Ok(service)
}

/// A usage error for a library-refused flag value, naming the flag as the error's key (the
/// library names the field it parses, e.g. a caveat's `whitelist`).
fn for_flag(flag: &'static str) -> impl Fn(Error) -> Failure {
    move |e| {
        Failure::BadValue(match e {
            Error::BadValueCaveat { reason, .. } => Error::BadValueCaveat {
                key: flag.into(),
                reason,
            },
            Error::BadValueIdentifier { reason, .. } => {
                Error::BadValueIdentifier { key: flag, reason }
            }
            other => other,
        })
    }
}

/// `--format`: a format's name, as the library spells it (see `Format::ALL`).
fn format_parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::ALL.iter().map(|f| f.name()))
        .try_map(|name| Format::from_name(&name).ok_or("unknown format"))
}

/// How `inspect` shows a caveat it cannot decode: its bytes as hex, plus the text itself for
/// formats whose caveats are text (Onedata).
fn unknown_caveat(format: Format, bytes: &[u8]) -> Value {
    match (format, std::str::from_utf8(bytes)) {
        (Format::Onedata, Ok(text)) => json!({ "unknown": hex::encode(bytes), "text": text }),
        _ => json!({ "unknown": hex::encode(bytes) }),
    }
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
