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
//! native, `MDA…` Onedata, else libmacaroons' V1, `Ag…` V2 or `{…}` V2J); `mint --format`
//! picks it. The key is given as hex (`--key-hex`) or as text whose UTF-8 bytes are the key
//! (`--key`, as Onedata's and pymacaroons' secrets are).
//!
//! libmacaroons formats: `mint --format macaroon-v1|macaroon-v2|macaroon-v2j` takes an
//! opaque `--id` and no subject or type; `--predicate TEXT` adds a first-party caveat as raw
//! text; `attenuate --third-party LOCATION --cid ID --caveat-key-hex HEX` adds a third-party
//! caveat (fresh random nonce); `discharge` mints a discharge (optionally `--bind`-ing it to the
//! token it goes with); `verify --discharge TOKEN --exact PREDICATE` verifies with discharges
//! and satisfies predicates exactly.
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
use caveat_token::{
    Caveat, Context, Error, Expect, FixedGeneration, Format, Identifier, InviteType,
    IssuancePolicy, Limits, Persistence, RevokedList, RootKey, Subject, Token, TokenType, Verified,
    Verifier, NONCE_LEN,
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
    /// Mint a discharge for a third-party caveat (libmacaroons formats): {"token":"…"}.
    Discharge(DischargeArgs),
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
    /// Who the token speaks for: usr-<id> or prv-<id> (required but for macaroon formats).
    #[arg(long, value_name = "SUBJECT")]
    subject: Option<String>,
    /// access, access:SESSION, identity or invite:INVITE_TYPE:TARGET[:PARAMS] (required but for
    /// macaroon formats).
    #[arg(long = "type", value_name = "TYPE")]
    token_type: Option<String>,
    /// A named token, revocable one by one (the default).
    #[arg(long)]
    named: bool,
    /// A temporary token of subject generation GEN.
    #[arg(long, value_name = "GEN")]
    temporary: Option<u64>,
    /// The token id [default: 32 random hex digits, so every token is distinct]; for macaroon
    /// formats, the whole (opaque) identifier.
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// The issuer's domain.
    #[arg(long, value_name = "DOMAIN", default_value = "localhost")]
    location: String,
    /// A caveat in JSON form, e.g. '{"type":"time","validUntil":1700000000}'; repeatable.
    #[arg(long = "caveat", value_name = "JSON")]
    caveats: Vec<String>,
    #[command(flatten)]
    predicates: PredicateArgs,
    /// Issuance policy for --temporary: the token needs a time caveat whose earliest validUntil
    /// lies in (now, now + MAX_TTL], else tokenTimeCaveatRequired (exit 2).
    #[arg(long, value_name = "SECONDS", default_value_t = caveat_token::DEFAULT_MAX_TTL)]
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
    /// A caveat in JSON form; repeatable. At least one caveat, predicate or third-party caveat.
    #[arg(
        long = "caveat",
        value_name = "JSON",
        required_unless_present_any = ["predicates", "third_party"]
    )]
    caveats: Vec<String>,
    #[command(flatten)]
    predicates: PredicateArgs,
    #[command(flatten)]
    third_party: ThirdPartyArgs,
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
    #[command(flatten)]
    macaroons: MacaroonVerifyArgs,
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
        Command::Discharge(args) => discharge(args),
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
    if args.format.is_macaroon() {
        return mint_macaroon(args);
    }
    let key = args.key.root_key()?;
    let required = |flag: &str| Failure::Usage(format!("{flag} is required for this format"));
    let subject = Subject::parse(
        args.subject
            .as_deref()
            .ok_or_else(|| required("--subject"))?,
    )
    .map_err(Failure::BadValue)?;
    let token_type = TokenType::parse(
        args.token_type
            .as_deref()
            .ok_or_else(|| required("--type"))?,
    )
    .map_err(Failure::BadValue)?;
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
    let token = args.predicates.apply(token)?;
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
    let token = args.predicates.apply(token)?;
    let mut third_party = args.third_party;
    let token = third_party.apply(token)?;
    Ok(json!({ "token": token.to_text() }))
}

/// `caveat inspect`: the identifier, caveats and tag, marked `"unverified":true`.
fn inspect(args: &InspectArgs) -> Result<Value, Failure> {
    let limits = Limits::default();
    let text = token_text(args.token.clone(), &limits)?;
    let token = Token::from_text(&text, &limits).map_err(Failure::Rejected)?;
    if token.format().is_macaroon() {
        return Ok(inspect_macaroon(&token));
    }
    let identifier = token.untrusted_identifier().map_err(Failure::Rejected)?;
    let caveats: Vec<Value> = token
        .caveat_bytes()
        .zip(token.untrusted_caveats())
        .enumerate()
        .map(|(index, (bytes, caveat))| match caveat {
            Ok(c) => c.to_json(),
            Err(_) if token.is_third_party(index) => third_party_json(&token, index),
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
    let verifier = args.macaroons.satisfy(args.state.verifier());
    let text = token_text(args.token, verifier.limits())?;
    let token = Token::from_text(&text, verifier.limits()).map_err(Failure::Rejected)?;
    let discharges = args.macaroons.discharges(verifier.limits())?;
    let verified = if discharges.is_empty() && !token.format().is_macaroon() {
        verifier.verify(token, &key, &ctx)
    } else {
        match verifier.verify_any(token, &discharges, &key, &ctx) {
            Ok(Verified::Token(verified)) => Ok(verified),
            Ok(Verified::Macaroon(verified)) => return Ok(verified_macaroon_json(&verified)),
            Err(e) => Err(e),
        }
    }
    .map_err(Failure::Rejected)?;
    let identifier = verified.identifier();
    let deferred = deferred_json(verified.restrictions());
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
        let mut ctx = Context::at(now).with_ip_opt(self.ip);
        if let Some(invite_type) = invite_type {
            ctx = ctx.with_invite_type(invite_type);
        }
        if let Some(expect) = expect {
            ctx = ctx.expecting(expect);
        }
        if let Some(interface) = interface {
            ctx = ctx.with_interface(interface);
        }
        if let Some(service) = service {
            ctx = ctx.with_service(service);
        }
        if let Some(consumer) = consumer {
            ctx = ctx.with_consumer(consumer);
        }
        Ok(ctx)
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
    if service.id() == WILDCARD {
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

/// `--format`: a format's name, as the library spells it (see `Format::ALL`, `Format::MACAROON`).
fn format_parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::ALL.iter().chain(Format::MACAROON).map(|f| f.name()))
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

// -------------------------------------------------------------------------------------------
// libmacaroons formats, third-party caveats and discharges
// -------------------------------------------------------------------------------------------

/// First-party caveats given as raw text (libmacaroons predicates).
#[derive(Debug, Args)]
struct PredicateArgs {
    /// A first-party caveat as raw text, e.g. 'account = 3735928559' (macaroon formats); added
    /// after the --caveat ones; repeatable.
    #[arg(long = "predicate", value_name = "TEXT")]
    predicates: Vec<String>,
}

impl PredicateArgs {
    /// Appends the predicates, in order.
    fn apply(&self, mut token: Token) -> Result<Token, Failure> {
        for p in &self.predicates {
            token = token
                .attenuate_raw(p.as_bytes())
                .map_err(Failure::BadValue)?;
        }
        Ok(token)
    }
}

/// A third-party caveat to add (last, after the first-party ones).
#[derive(Args)]
#[command(group(ArgGroup::new("caveat_key_given").args(["caveat_key_hex", "caveat_key"]).multiple(false)))]
struct ThirdPartyArgs {
    /// Add a third-party caveat to be discharged at LOCATION (needs --cid and the caveat key).
    #[arg(long, value_name = "LOCATION", requires_all = ["cid", "caveat_key_given"])]
    third_party: Option<String>,
    /// The caveat root key, as hex: the third party mints the discharge with it.
    #[arg(long, value_name = "HEX", requires = "third_party")]
    caveat_key_hex: Option<String>,
    /// The caveat root key as text (its UTF-8 bytes), as pymacaroons takes it.
    #[arg(long, value_name = "TEXT", requires = "third_party")]
    caveat_key: Option<String>,
    /// The caveat id: what the third party reads, and the identifier of the discharge.
    #[arg(long, value_name = "ID", requires = "third_party")]
    cid: Option<String>,
}

/// Key material never prints.
impl fmt::Debug for ThirdPartyArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThirdPartyArgs")
            .field("third_party", &self.third_party)
            .field("cid", &self.cid)
            .finish_non_exhaustive()
    }
}

impl ThirdPartyArgs {
    /// Appends the third-party caveat, if one was asked for, with a fresh random nonce.
    fn apply(&mut self, token: Token) -> Result<Token, Failure> {
        let Some(location) = self.third_party.as_deref() else {
            return Ok(token);
        };
        let mut key = caveat_key(&mut self.caveat_key_hex, &mut self.caveat_key)?;
        let cid = self.cid.as_deref().unwrap_or_default();
        let nonce = random_bytes::<NONCE_LEN>()?;
        let out = token
            .attenuate_third_party(location, &key, cid.as_bytes(), &nonce)
            .map_err(Failure::BadValue);
        key.zeroize();
        out
    }
}

/// The caveat key from hex or text (exactly one given); the texts are wiped.
fn caveat_key(
    hex_text: &mut Option<String>,
    text: &mut Option<String>,
) -> Result<Vec<u8>, Failure> {
    let key = match (hex_text.as_deref(), text.as_deref()) {
        (Some(h), _) => hex::decode(h.trim())
            .map_err(|_| Failure::BadValue(Error::BadValueKey { reason: "not hex" })),
        (None, Some(t)) => Ok(t.as_bytes().to_vec()),
        (None, None) => Err(Failure::Usage(
            "give --caveat-key-hex or --caveat-key".into(),
        )),
    };
    hex_text.zeroize();
    text.zeroize();
    key
}

/// `verify`'s discharges and exact predicates.
#[derive(Debug, Args)]
#[command(next_help_heading = "Third-party caveats and predicates")]
struct MacaroonVerifyArgs {
    /// A discharge for a third-party caveat, bound to the token (any format); repeatable.
    #[arg(long = "discharge", value_name = "TOKEN")]
    discharges: Vec<String>,
    /// A predicate that holds in this request (libmacaroons' satisfy_exact); repeatable.
    #[arg(long = "exact", value_name = "PREDICATE")]
    exact: Vec<String>,
}

impl MacaroonVerifyArgs {
    /// The verifier with the exact predicates declared.
    fn satisfy(&self, verifier: Verifier) -> Verifier {
        self.exact
            .iter()
            .fold(verifier, |v, p| v.satisfy_exact(p.as_str()))
    }

    /// The discharges, decoded; one that does not decode rejects the token, naming it.
    fn discharges(&self, limits: &Limits) -> Result<Vec<Token>, Failure> {
        self.discharges
            .iter()
            .enumerate()
            .map(|(i, text)| {
                Token::from_text(text.trim(), limits).map_err(|e| {
                    Failure::Rejected(Error::InDischarge {
                        discharge: i,
                        error: Box::new(e),
                    })
                })
            })
            .collect()
    }
}

/// `caveat discharge`'s arguments.
#[derive(Args)]
#[command(group(ArgGroup::new("caveat_key_given").args(["caveat_key_hex", "caveat_key"]).required(true).multiple(false)))]
struct DischargeArgs {
    /// The caveat root key, as hex (given by whoever added the third-party caveat).
    #[arg(long, value_name = "HEX")]
    caveat_key_hex: Option<String>,
    /// The caveat root key as text (its UTF-8 bytes).
    #[arg(long, value_name = "TEXT")]
    caveat_key: Option<String>,
    /// The caveat id of the caveat discharged: the discharge's identifier.
    #[arg(long, value_name = "ID")]
    cid: String,
    /// The discharge's location (not covered by its tag).
    #[arg(long, value_name = "LOCATION", default_value = "")]
    location: String,
    /// The discharge's format (a macaroon format: its identifier is the opaque cid).
    #[arg(long, value_name = "FORMAT", value_parser = format_parser(), default_value = "macaroon-v2")]
    format: Format,
    /// A caveat in JSON form, e.g. '{"type":"time","validUntil":1700000000}'; repeatable.
    #[arg(long = "caveat", value_name = "JSON")]
    caveats: Vec<String>,
    #[command(flatten)]
    predicates: PredicateArgs,
    /// Bind the discharge to TOKEN, the token it will be sent with (a top-level token, also for
    /// nested discharges); without it the discharge is printed unbound.
    #[arg(long, value_name = "TOKEN")]
    bind: Option<String>,
}

/// Key material never prints.
impl fmt::Debug for DischargeArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DischargeArgs")
            .field("cid", &self.cid)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// `caveat mint --format macaroon-…`: `{"token":"…"}` with `--id` as the opaque identifier.
fn mint_macaroon(mut args: MintArgs) -> Result<Value, Failure> {
    for (given, flag) in [
        (args.subject.is_some(), "--subject"),
        (args.token_type.is_some(), "--type"),
        (args.key_id.is_some(), "--key-id"),
        (
            args.temporary.is_some() || args.named,
            "--named/--temporary",
        ),
    ] {
        if given {
            return Err(Failure::Usage(format!(
                "{flag} does not apply to {} tokens (their identifier is --id, opaque)",
                args.format.name()
            )));
        }
    }
    let key = args.key.root_key()?;
    let caveats = parse_caveats(&args.caveats)?;
    let id = match args.id {
        Some(id) => id,
        None => hex::encode(random_bytes::<RANDOM_ID_BYTES>()?),
    };
    let token = Token::mint_macaroon(args.format, &key, &args.location, id.as_bytes(), &caveats)
        .map_err(Failure::BadValue)?;
    let token = args.predicates.apply(token)?;
    Ok(json!({ "token": token.to_text() }))
}

/// `caveat discharge`: `{"token":"…"}`.
fn discharge(mut args: DischargeArgs) -> Result<Value, Failure> {
    let mut secret = caveat_key(&mut args.caveat_key_hex, &mut args.caveat_key)?;
    let key = RootKey::from_bytes(&secret).map_err(Failure::BadValue);
    secret.zeroize();
    let key = key?;
    let caveats = parse_caveats(&args.caveats)?;
    let token = Token::mint_macaroon(
        args.format,
        &key,
        &args.location,
        args.cid.as_bytes(),
        &caveats,
    )
    .map_err(Failure::BadValue)?;
    let mut token = args.predicates.apply(token)?;
    if let Some(root) = &args.bind {
        let limits = Limits::default();
        let root = Token::from_text(root.trim(), &limits).map_err(Failure::Rejected)?;
        token = token.bind_to(&root);
    }
    Ok(json!({ "token": token.to_text() }))
}

/// Bytes as JSON: the text when they are UTF-8, else `null`, and always the hex.
fn bytes_json(bytes: &[u8]) -> (Value, Value) {
    (
        std::str::from_utf8(bytes).map_or(Value::Null, |t| json!(t)),
        json!(hex::encode(bytes)),
    )
}

/// How `inspect` shows a third-party caveat.
fn third_party_json(token: &Token, index: usize) -> Value {
    match token
        .untrusted_third_party_caveats()
        .find(|c| c.index == index)
    {
        Some(c) => {
            let (cid, cid_hex) = bytes_json(c.cid);
            json!({"thirdParty": {
                "location": String::from_utf8_lossy(c.location),
                "cid": cid,
                "cidHex": cid_hex,
                "vid": hex::encode(c.vid),
            }})
        }
        None => json!({ "unknown": "" }),
    }
}

/// `caveat inspect` of a macaroon-format token: opaque identifier, untrusted location,
/// predicates (typed ones as JSON too) and third-party caveats.
fn inspect_macaroon(token: &Token) -> Value {
    let (identifier, identifier_hex) = bytes_json(token.identifier_bytes());
    let caveats: Vec<Value> = token
        .caveat_bytes()
        .zip(token.untrusted_caveats())
        .enumerate()
        .map(|(index, (bytes, caveat))| {
            if token.is_third_party(index) {
                return third_party_json(token, index);
            }
            match (caveat, std::str::from_utf8(bytes)) {
                (Ok(c), Ok(text)) => json!({ "predicate": text, "caveat": c.to_json() }),
                (Err(_), Ok(text)) => json!({ "predicate": text }),
                (_, Err(_)) => json!({ "unknown": hex::encode(bytes) }),
            }
        })
        .collect();
    json!({
        "unverified": true,
        "format": token.format().name(),
        "identifier": identifier,
        "identifierHex": identifier_hex,
        "location": token.untrusted_location(),
        "caveats": caveats,
        "tag": token.tag().to_hex(),
    })
}

/// `caveat verify`'s output for a macaroon-format token.
fn verified_macaroon_json(verified: &caveat_token::VerifiedMacaroon) -> Value {
    let (identifier, identifier_hex) = bytes_json(verified.identifier());
    json!({
        "ok": true,
        "format": verified.token().format().name(),
        "identifier": identifier,
        "identifierHex": identifier_hex,
        "expires": verified.expires(),
        "deferredCaveats": deferred_json(verified.restrictions()),
    })
}

/// Caveats that held only because the caller checks each operation against them (`api`,
/// `data.*`), from the token and from every discharge: each caveat's JSON, plus `discharge`
/// (the position of the discharge it sits in) when it is not the token's own.
fn deferred_json(restrictions: &caveat_token::Restrictions) -> Vec<Value> {
    restrictions
        .iter()
        .map(|r| {
            let mut caveat = r.caveat().to_json();
            if let (Some(d), Value::Object(map)) = (r.at().discharge, &mut caveat) {
                map.insert("discharge".into(), json!(d));
            }
            caveat
        })
        .collect()
}
