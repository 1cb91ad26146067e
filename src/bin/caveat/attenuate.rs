//! `caveat attenuate`: append caveats to a token, without the key.

use std::ffi::OsString;
use std::fmt;

use caveat_token::{Format, Limits, Token, NONCE_LEN};
use clap::{ArgGroup, Args};
use serde_json::{json, Value};

use crate::args::{
    caveat_key, format_parser, now_or_clock, parse_caveats, parse_duration, random_bytes,
    token_text, ttl_caveat, PredicateArgs,
};
use crate::Failure;

#[derive(Debug, Args)]
pub struct AttenuateArgs {
    /// The token's text form, or - to read it from stdin.
    #[arg(value_name = "TOKEN")]
    token: OsString,
    /// A caveat in JSON form; repeatable. At least one caveat, --ttl, predicate or third-party
    /// caveat.
    #[arg(
        long = "caveat",
        value_name = "JSON",
        required_unless_present_any = ["predicates", "third_party", "ttl"]
    )]
    caveats: Vec<String>,
    /// Add a time caveat expiring DURATION after now (90s, 15m, 2h, 7d), after the --caveat ones.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    ttl: Option<u64>,
    /// "Now" for --ttl, in unix seconds [default: the system clock].
    #[arg(long, value_name = "UNIX", requires = "ttl")]
    now: Option<u64>,
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

/// `caveat attenuate`: `{"token":"…"}`.
pub fn attenuate(args: AttenuateArgs) -> Result<Value, Failure> {
    let mut caveats = parse_caveats(&args.caveats)?;
    if let Some(ttl) = args.ttl {
        caveats.push(ttl_caveat(now_or_clock(args.now)?, ttl)?);
    }
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
        let key = caveat_key(&mut self.caveat_key_hex, &mut self.caveat_key)?;
        let cid = self.cid.as_deref().unwrap_or_default();
        let nonce = random_bytes::<NONCE_LEN>()?;
        token
            .attenuate_third_party(location, &key, cid.as_bytes(), &nonce)
            .map_err(Failure::BadValue)
    }
}
