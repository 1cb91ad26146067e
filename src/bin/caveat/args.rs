//! Argument parsing shared by the commands: keys (flags, key file, `CAVEAT_KEY`), typed value
//! parsers over the library's `FromStr`s, durations, caveats, and the `TOKEN` argument.

use caveat_token::{DecodeError, Limit, ValueError};
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use caveat_token::{Caveat, Error, Format, Limits, RootKey, Token, TokenType, MIN_SECRET_LEN};
use clap::builder::{PossibleValuesParser, StringValueParser, TypedValueParser};
use clap::{ArgGroup, Args, ValueEnum};
use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

use crate::render;
use crate::Failure;

/// The environment variable a root key is read from when no key flag is given.
pub const KEY_ENV: &str = "CAVEAT_KEY";

/// Whitespace tolerated around a token read from stdin, beyond the longest text the limits allow.
/// Reading stops there, so a huge stdin costs bounded memory.
const STDIN_SLACK: usize = 4096;

/// The most a key file (or a key on stdin) may hold, in bytes.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// A flag value parsed by the library's `FromStr`. A value the library refuses is kept with its
/// error, so that the command reports it as the error JSON (exit 2) rather than as clap's message.
#[derive(Clone)]
pub struct Lib<T>(pub Result<T, Error>);

impl<T> Lib<T> {
    /// The value, or the library's refusal as a usage error with its JSON.
    pub fn get(self) -> Result<T, Failure> {
        self.0.map_err(Failure::BadValue)
    }
}

impl<T: fmt::Debug> fmt::Debug for Lib<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The parser of a [`Lib`] value: the library's `FromStr`.
pub fn lib<T>() -> impl TypedValueParser<Value = Lib<T>>
where
    T: FromStr<Err = Error> + Clone + Send + Sync + 'static,
{
    StringValueParser::new().map(|text| Lib(text.parse::<T>()))
}

/// `--type`: the CLI form (`access`, `invite:T:TARGET`, …) or Onedata's type JSON
/// (`{"inviteToken":{"inviteType":"userJoinCluster","clusterId":"c-42"}}`).
pub fn token_type() -> impl TypedValueParser<Value = Lib<TokenType<'static>>> {
    StringValueParser::new().map(|text| {
        Lib(if text.trim_start().starts_with('{') {
            token_type_from_json(&text)
        } else {
            text.parse()
        })
    })
}

/// Onedata's type JSON, as `inspect` prints it, read into a token type through its CLI form (so
/// every rule of the CLI form applies).
fn token_type_from_json(text: &str) -> Result<TokenType<'static>, Error> {
    let bad = |reason| Error::Value(ValueError::TokenType { reason });
    let value: Value = serde_json::from_str(text).map_err(|_| bad("not valid JSON"))?;
    let (kind, inner) = value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
        .ok_or(bad(
            "expected one key: accessToken, identityToken or inviteToken",
        ))?;
    let inner = inner
        .as_object()
        .ok_or(bad("the type's value is not an object"))?;
    let field = |name: &str| -> Result<Option<&str>, Error> {
        // `:` separates the parts of the CLI form, and no id may contain one.
        inner
            .get(name)
            .map(|v| match v.as_str() {
                Some(s) if s.contains(':') => {
                    Err(bad("allowed characters are A-Z a-z 0-9 - . _ ~ @ + ="))
                }
                Some(s) => Ok(s),
                None => Err(bad("a type field is not a string")),
            })
            .transpose()
    };
    let only = |allowed: &[&str]| {
        if inner.keys().all(|k| allowed.contains(&k.as_str())) {
            Ok(())
        } else {
            Err(bad("unknown field in the token type"))
        }
    };
    let cli_form = match kind.as_str() {
        "accessToken" => {
            only(&["sessionId"])?;
            match field("sessionId")? {
                Some(session) => format!("access:{session}"),
                None => "access".to_owned(),
            }
        }
        "identityToken" => {
            only(&[])?;
            "identity".to_owned()
        }
        "inviteToken" => {
            let name = field("inviteType")?.ok_or(bad("missing inviteType"))?;
            let invite_type = caveat_token::InviteType::parse(name)?;
            let target_kind = invite_type.target_kind();
            only(&["inviteType", target_kind, "parameters"])?;
            let target = field(target_kind)?.ok_or(bad("missing invite target"))?;
            match field("parameters")? {
                Some(params) if !params.is_empty() => format!("invite:{name}:{target}:{params}"),
                _ => format!("invite:{name}:{target}"),
            }
        }
        _ => {
            return Err(bad(
                "expected one key: accessToken, identityToken or inviteToken",
            ))
        }
    };
    cli_form.parse()
}

/// `--format`: a format's name, as the library spells it (see `Format::ALL`, `Format::MACAROON`).
pub fn format_parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::ALL.iter().chain(Format::MACAROON).map(|f| f.name()))
        .try_map(|name| Format::from_name(&name).ok_or("unknown format"))
}

/// `discharge --format`: only the libmacaroons formats (a discharge's identifier is opaque).
pub fn macaroon_format_parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::MACAROON.iter().map(|f| f.name()))
        .try_map(|name| Format::from_name(&name).ok_or("unknown format"))
}

/// `--ttl`: a positive number of seconds, with an optional unit: `90s`, `15m`, `2h`, `7d`
/// (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let scale: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "unknown unit {unit:?}: use s, m, h or d (e.g. 90s, 15m, 2h, 7d)"
            ))
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| "expected a number with a unit: 90s, 15m, 2h, 7d".to_owned())?;
    match n.checked_mul(scale) {
        Some(0) => Err("the duration must be positive".to_owned()),
        Some(secs) => Ok(secs),
        None => Err("the duration is too large".to_owned()),
    }
}

/// How the text of `--key-file` and `CAVEAT_KEY` is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyEncoding {
    /// Hex digits, as `caveat keygen` prints them (surrounding whitespace ignored).
    Hex,
    /// The UTF-8 bytes of the text are the key (one trailing newline ignored).
    Text,
}

/// The root key, given one of four ways: `--key-hex`, `--key`, `--key-file` (at most one), or
/// else the `CAVEAT_KEY` environment variable.
#[derive(Args)]
#[command(group(ArgGroup::new("key_source").args(["key_hex", "key", "key_file"]).multiple(false)))]
pub struct KeyArgs {
    /// The root key, as hex (see `caveat keygen`). A key on the command line is visible to
    /// other local users and kept in shell history: prefer --key-file or CAVEAT_KEY.
    #[arg(long, value_name = "HEX")]
    key_hex: Option<String>,
    /// The root key as text: its UTF-8 bytes are the key (Onedata's secrets are given so).
    #[arg(long, value_name = "TEXT")]
    key: Option<String>,
    /// Read the root key from PATH, or from stdin for `-` (hex unless --key-encoding text).
    /// Without a key flag, the key is read from the environment variable CAVEAT_KEY.
    #[arg(long, value_name = "PATH")]
    key_file: Option<PathBuf>,
    /// How the text of --key-file and CAVEAT_KEY is read.
    #[arg(long, value_name = "ENCODING", value_enum, default_value_t = KeyEncoding::Hex)]
    key_encoding: KeyEncoding,
}

/// Key material never prints.
impl fmt::Debug for KeyArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyArgs(***OMITTED***)")
    }
}

impl KeyArgs {
    /// Whether the key is to be read from stdin (`--key-file -`).
    pub fn reads_stdin(&self) -> bool {
        self.key_file
            .as_deref()
            .is_some_and(|p| p.as_os_str() == "-")
    }

    /// The root key, from whichever source was given; the key texts are wiped. A key shorter
    /// than `MIN_SECRET_LEN` bytes gets a warning on stderr.
    pub fn root_key(&mut self) -> Result<RootKey, Failure> {
        let secret = self.secret();
        self.key_hex.zeroize();
        self.key.zeroize();
        let secret = secret?;
        if !secret.is_empty() && secret.len() < MIN_SECRET_LEN {
            render::warn(&format!(
                "the root key is only {} bytes; a key should have at least {MIN_SECRET_LEN} \
                 (caveat keygen makes 32)",
                secret.len()
            ));
        }
        RootKey::from_bytes(&secret).map_err(Failure::BadValue)
    }

    fn secret(&self) -> Result<Zeroizing<Vec<u8>>, Failure> {
        if let Some(hex_text) = &self.key_hex {
            return decode_hex(hex_text);
        }
        if let Some(text) = &self.key {
            return Ok(Zeroizing::new(text.as_bytes().to_vec()));
        }
        let text = match &self.key_file {
            Some(path) => read_key_file(path)?,
            None => match std::env::var_os(KEY_ENV) {
                Some(value) => Zeroizing::new(
                    value
                        .into_string()
                        .map_err(|_| Failure::Usage(format!("{KEY_ENV} is not UTF-8 text")))?,
                ),
                None => {
                    return Err(Failure::Usage(format!(
                        "no root key: give --key-hex, --key or --key-file, or set {KEY_ENV}"
                    )))
                }
            },
        };
        match self.key_encoding {
            KeyEncoding::Hex => decode_hex(&text),
            KeyEncoding::Text => {
                let t = text.strip_suffix('\n').unwrap_or(&text);
                let t = t.strip_suffix('\r').unwrap_or(t);
                Ok(Zeroizing::new(t.as_bytes().to_vec()))
            }
        }
    }
}

/// Hex key text (surrounding whitespace ignored) to bytes; `badValueKey` when it is not hex.
fn decode_hex(text: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
    hex::decode(text.trim())
        .map(Zeroizing::new)
        .map_err(|_| Failure::BadValue(Error::Value(ValueError::Key { reason: "not hex" })))
}

/// The text of a key file (`-`: stdin), at most `MAX_KEY_FILE` bytes.
fn read_key_file(path: &std::path::Path) -> Result<Zeroizing<String>, Failure> {
    let cannot =
        |e: io::Error| Failure::Usage(format!("cannot read the key from {}: {e}", path.display()));
    let mut bytes = Zeroizing::new(Vec::new());
    if path.as_os_str() == "-" {
        io::stdin()
            .lock()
            .take(MAX_KEY_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
    } else {
        File::open(path)
            .and_then(|f| f.take(MAX_KEY_FILE + 1).read_to_end(&mut bytes))
            .map_err(cannot)?;
    }
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_KEY_FILE {
        return Err(Failure::Usage(format!(
            "the key file {} is larger than {MAX_KEY_FILE} bytes",
            path.display()
        )));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Failure::Usage(format!("the key file {} is not UTF-8 text", path.display()))
    })?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// First-party caveats given as raw text (libmacaroons predicates).
#[derive(Debug, Args)]
pub struct PredicateArgs {
    /// A first-party caveat as raw text, e.g. 'account = 3735928559' (macaroon formats); added
    /// after the --caveat ones; repeatable.
    #[arg(long = "predicate", value_name = "TEXT")]
    pub predicates: Vec<String>,
}

impl PredicateArgs {
    /// Appends the predicates, in order.
    pub fn apply(&self, mut token: Token) -> Result<Token, Failure> {
        for p in &self.predicates {
            token = token
                .attenuate_raw(p.as_bytes())
                .map_err(Failure::BadValue)?;
        }
        Ok(token)
    }
}

/// Parses each `--caveat` JSON value, in order. For text that is not JSON, stderr says where
/// (line and column) and which `--caveat` it is.
pub fn parse_caveats(texts: &[String]) -> Result<Vec<Caveat>, Failure> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Caveat::from_json_str(t).map_err(|e| {
                if let Err(syntax) = serde_json::from_str::<Value>(t) {
                    render::stderr_line(&format!(
                        "--caveat #{} is not JSON: {syntax} (line {}, column {})",
                        i + 1,
                        syntax.line(),
                        syntax.column()
                    ));
                }
                Failure::BadValue(e)
            })
        })
        .collect()
}

/// The earliest `validUntil` of the time caveats among `caveats`.
pub fn earliest_expiry(caveats: &[Caveat]) -> Option<u64> {
    caveats
        .iter()
        .filter_map(|c| match c {
            Caveat::Time(t) => Some(t.valid_until()),
            _ => None,
        })
        .min()
}

/// Warns when a token just made can never verify because a time caveat has already passed.
pub fn warn_if_expired(caveats: &[Caveat], now: u64) {
    if let Some(until) = earliest_expiry(caveats) {
        if until <= now {
            render::warn(&format!(
                "the token expired at {until} (now is {now}): it will never verify; \
                 use --ttl or a later validUntil"
            ));
        }
    }
}

/// A time caveat `ttl` seconds after `now`.
pub fn ttl_caveat(now: u64, ttl: u64) -> Result<Caveat, Failure> {
    now.checked_add(ttl)
        .map(Caveat::time)
        .ok_or_else(|| Failure::Usage("--now plus --ttl is past the end of time".into()))
}

/// The token text of a `TOKEN` argument: the argument itself, or stdin (trimmed) for `-`.
///
/// Text that is not UTF-8 cannot be a token (`badToken`); stdin longer than any token the limits
/// allow is `tokenTooLarge` without being read further.
pub fn token_text(arg: OsString, limits: &Limits) -> Result<String, Failure> {
    let not_text = || {
        Failure::Rejected(Error::Decode(DecodeError::Malformed {
            reason: "not UTF-8 text",
        }))
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
        return Err(Failure::Rejected(Error::Decode(DecodeError::TooLarge {
            limit: Limit::Size,
            max: limits.max_token_bytes,
        })));
    }
    let text = String::from_utf8(bytes).map_err(|_| not_text())?;
    Ok(text.trim().to_owned())
}

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], Failure> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(no_randomness)?;
    Ok(buf)
}

/// The usage error for a random source that failed.
pub fn no_randomness(e: getrandom::Error) -> Failure {
    Failure::Usage(format!("no randomness from the operating system: {e}"))
}

/// `--now` if given, else the system clock in unix seconds (the library never reads a clock;
/// the CLI may).
pub fn now_or_clock(now: Option<u64>) -> Result<u64, Failure> {
    match now {
        Some(now) => Ok(now),
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .map_err(|_| Failure::Usage("the system clock is before 1970; pass --now".into())),
    }
}

/// A caveat key (for third-party caveats and discharges) from hex or text, exactly one given;
/// the texts are wiped, and a short key gets a warning.
pub fn caveat_key(
    hex_text: &mut Option<String>,
    text: &mut Option<String>,
) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let key = match (hex_text.as_deref(), text.as_deref()) {
        (Some(h), _) => decode_hex(h),
        (None, Some(t)) => Ok(Zeroizing::new(t.as_bytes().to_vec())),
        (None, None) => Err(Failure::Usage(
            "give --caveat-key-hex or --caveat-key".into(),
        )),
    };
    hex_text.zeroize();
    text.zeroize();
    if let Ok(k) = &key {
        if !k.is_empty() && k.len() < MIN_SECRET_LEN {
            render::warn(&format!(
                "the caveat key is only {} bytes; a key should have at least {MIN_SECRET_LEN}",
                k.len()
            ));
        }
    }
    key
}
