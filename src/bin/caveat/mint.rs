//! `caveat mint`: a new token, in any format.

use caveat_token::{Format, Identifier, IssuancePolicy, Persistence, Subject, Token, TokenType};
use clap::{ArgGroup, Args};
use serde_json::{json, Value};

use crate::args::{
    self, format_parser, now_or_clock, parse_caveats, parse_duration, random_bytes, ttl_caveat,
    warn_if_expired, KeyArgs, Lib, PredicateArgs,
};
use crate::Failure;

/// Bytes of the random token id `mint` picks when `--id` is not given (128 bits: collisions are
/// out of reach for any realistic number of tokens).
const RANDOM_ID_BYTES: usize = 16;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("persistence").args(["named", "temporary"]).multiple(false)))]
pub struct MintArgs {
    #[command(flatten)]
    key: KeyArgs,
    /// The token format.
    #[arg(long, value_name = "FORMAT", value_parser = format_parser(), default_value = "native")]
    format: Format,
    /// The root key's id, recorded in the token for key rotation (the onedata format has no
    /// place for it).
    #[arg(long, value_name = "ID")]
    key_id: Option<String>,
    /// Who the token speaks for: usr-<id> or prv-<id>. Required, but for macaroon formats.
    #[arg(long, value_name = "SUBJECT", value_parser = args::lib::<Subject<'static>>())]
    subject: Option<Lib<Subject<'static>>>,
    /// access, access:SESSION, identity or invite:INVITE_TYPE:TARGET[:PARAMS], or Onedata's
    /// type JSON, e.g. '{"inviteToken":{"inviteType":"userJoinCluster","clusterId":"c-42"}}'.
    /// Required, but for macaroon formats.
    #[arg(long = "type", value_name = "TYPE", value_parser = args::token_type())]
    token_type: Option<Lib<TokenType<'static>>>,
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
    /// Add a time caveat expiring DURATION after now (90s, 15m, 2h, 7d), after the --caveat ones.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    ttl: Option<u64>,
    #[command(flatten)]
    predicates: PredicateArgs,
    /// Issuance policy for --temporary: the token needs a time caveat whose earliest validUntil
    /// lies in (now, now + MAX_TTL], else tokenTimeCaveatRequired (exit 2).
    #[arg(long, value_name = "SECONDS", default_value_t = caveat_token::DEFAULT_MAX_TTL)]
    max_ttl: u64,
    /// "Now" for the issuance policy and --ttl, in unix seconds [default: the system clock].
    #[arg(long, value_name = "UNIX")]
    now: Option<u64>,
}

/// `caveat mint`: `{"token":"…"}`.
pub fn mint(mut args: MintArgs) -> Result<Value, Failure> {
    if args.format.is_macaroon() {
        return mint_macaroon(args);
    }
    let key = args.key.root_key()?;
    let required = |flag: &str| Failure::Usage(format!("{flag} is required for this format"));
    let subject = args.subject.ok_or_else(|| required("--subject"))?.get()?;
    let token_type = args.token_type.ok_or_else(|| required("--type"))?.get()?;
    let mut caveats = parse_caveats(&args.caveats)?;
    let now = now_or_clock(args.now)?;
    if let Some(ttl) = args.ttl {
        caveats.push(ttl_caveat(now, ttl)?);
    }
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
    let token = IssuancePolicy::new()
        .with_max_ttl(args.max_ttl)
        .mint(args.format, &key, &identifier, &caveats, now)
        .map_err(Failure::BadValue)?;
    let token = args.predicates.apply(token)?;
    warn_if_expired(&caveats, now);
    Ok(json!({ "token": token.to_text() }))
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
    let mut caveats = parse_caveats(&args.caveats)?;
    let now = now_or_clock(args.now)?;
    if let Some(ttl) = args.ttl {
        caveats.push(ttl_caveat(now, ttl)?);
    }
    let id = match args.id {
        Some(id) => id,
        None => hex::encode(random_bytes::<RANDOM_ID_BYTES>()?),
    };
    let token = Token::mint_macaroon(args.format, &key, &args.location, id.as_bytes(), &caveats)
        .map_err(Failure::BadValue)?;
    let token = args.predicates.apply(token)?;
    warn_if_expired(&caveats, now);
    Ok(json!({ "token": token.to_text() }))
}
