//! The adversarial catalogue through the `caveat` binary (issue 4): every hostile input given to
//! `caveat inspect` and `caveat verify` must end the process normally (never a signal), and the
//! answer must be the library's own, computed here through the public API:
//!
//! - an input the library rejects at decoding (`Token::from_text`, and for `inspect` the
//!   untrusted identifier): exit 1 and exactly the library's error JSON on stdout;
//! - an input that decodes: `verify` exits 0 or 1 as `Verifier` decides under the same key and
//!   context, `inspect` exits 0 and shows the token's format and tag;
//! - every token vector of `spec/vectors/{valid,chain,encoding,clearing}.json` whose verifier
//!   settings the command line can express: `verify` gives the vector's expected outcome (id and
//!   details), valid ones `{"ok":true,…}` with the vector's subject and expiry.

use std::ffi::OsString;
use std::fs;
use std::net::IpAddr;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use caveat_token::chain;
use caveat_token::{Caveat, Context, InviteType, Limits, RootKey, Token, Verified, Verifier};
use serde_json::{json, Value};

use crate::cli_common::Run;
use crate::common::{array, bstr, cat, envelope, envelope_version, parts, uint, KEY_HEX, NOW};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// The root key, in the form the command line is given it.
#[derive(Clone, Debug)]
enum Key {
    /// `--key-hex`.
    Hex(String),
    /// `--key` (the text's UTF-8 bytes).
    Text(String),
}

impl Key {
    fn root_key(&self) -> RootKey {
        match self {
            Self::Hex(h) => RootKey::from_hex(h),
            Self::Text(t) => RootKey::from_bytes(t.as_bytes()),
        }
        .expect("fixed key")
    }

    fn flags(&self) -> [&str; 2] {
        match self {
            Self::Hex(h) => ["--key-hex", h],
            Self::Text(t) => ["--key", t],
        }
    }
}

/// The verifier settings and request context `caveat verify` can express.
#[derive(Clone, Debug)]
struct Settings {
    key: Key,
    now: u64,
    ip: Option<IpAddr>,
    invite_type: Option<String>,
    leeway: u64,
    /// `--exact` predicates (libmacaroons' satisfy_exact).
    exact: Vec<String>,
    /// `--discharge` tokens (texts that decode).
    discharges: Vec<String>,
}

impl Settings {
    fn new(key: Key, now: u64) -> Self {
        Self {
            key,
            now,
            ip: None,
            invite_type: None,
            leeway: 0,
            exact: Vec::new(),
            discharges: Vec::new(),
        }
    }

    /// The test key and the fixed `NOW`.
    fn base() -> Self {
        Self::new(Key::Hex(KEY_HEX.to_owned()), NOW)
    }

    fn with_ip(mut self, ip: &str) -> Self {
        self.ip = Some(ip.parse().expect("ip"));
        self
    }

    /// `verify`'s flags after the token.
    fn flags(&self) -> Vec<String> {
        let mut f: Vec<String> = self.key.flags().iter().map(|s| (*s).to_owned()).collect();
        f.extend(["--now".to_owned(), self.now.to_string()]);
        f.extend(["--leeway".to_owned(), self.leeway.to_string()]);
        if let Some(ip) = self.ip {
            f.extend(["--ip".to_owned(), ip.to_string()]);
        }
        if let Some(t) = &self.invite_type {
            f.extend(["--invite-type".to_owned(), t.clone()]);
        }
        for p in &self.exact {
            f.extend(["--exact".to_owned(), p.clone()]);
        }
        for d in &self.discharges {
            f.extend(["--discharge".to_owned(), d.clone()]);
        }
        f
    }

    /// The library verifier these flags stand for.
    fn verifier(&self) -> Verifier {
        self.exact
            .iter()
            .fold(Verifier::new().with_leeway(self.leeway), |v, p| {
                v.satisfy_exact(p.as_str())
            })
    }

    /// The library context these flags stand for.
    fn context(&self) -> Context {
        Context {
            now: self.now,
            ip: self.ip,
            invite_type: self
                .invite_type
                .as_deref()
                .map(|t| InviteType::parse(t).expect("invite type")),
            ..Context::default()
        }
    }
}

/// How the input reaches the binary.
enum Feed {
    /// As the `TOKEN` argument.
    Arg(OsString),
    /// On stdin, with `-` as the argument.
    Stdin(Vec<u8>),
}

/// One hostile input.
struct Case {
    name: String,
    feed: Feed,
    /// The text the library is asked about: the argument, or stdin trimmed (as the command
    /// documents). An input that is not UTF-8 cannot be given to any `&str` API: `Err` holds the
    /// id the command must answer with instead.
    library_text: Result<String, &'static str>,
}

impl Case {
    /// The input as the `TOKEN` argument.
    fn arg(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            name: name.into(),
            feed: Feed::Arg(OsString::from(&text)),
            library_text: Ok(text),
        }
    }

    /// The input on stdin; the command trims surrounding whitespace.
    fn stdin(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = bytes.into();
        // Not UTF-8 (and not too large to read): not text, so not a token.
        let library_text = std::str::from_utf8(&bytes)
            .map(|t| t.trim().to_owned())
            .map_err(|_| "badToken");
        Self {
            name: name.into(),
            feed: Feed::Stdin(bytes),
            library_text,
        }
    }

    /// What the library is asked about.
    fn text(&self) -> Result<&str, &'static str> {
        self.library_text.as_deref().map_err(|e| *e)
    }

    /// An input on stdin far longer than any token: the command stops reading it (so never
    /// trims it); the library is asked about the raw text. Bytes that are not UTF-8 are refused
    /// for their size before anything looks at them.
    fn stdin_huge(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        let library_text = String::from_utf8(bytes.clone()).map_err(|_| "tokenTooLarge");
        Self {
            name: name.into(),
            feed: Feed::Stdin(bytes),
            library_text,
        }
    }
}

/// What the command must answer.
#[derive(Debug)]
enum Expected {
    /// Exit 0; stdout has (at least) these fields with these values.
    Ok(Value),
    /// Exit 1; stdout is exactly this error JSON.
    Rejected(Value),
    /// Exit 1; an error JSON with this id (the library has no `&str` to be asked about).
    RejectedId(&'static str),
}

impl Expected {
    fn is_ok(&self) -> bool {
        matches!(self, Self::Ok(_))
    }

    fn error_id(&self) -> Option<&str> {
        match self {
            Self::Ok(_) => None,
            Self::Rejected(e) => e["error"]["id"].as_str(),
            Self::RejectedId(id) => Some(id),
        }
    }
}

/// The library's answer for `caveat inspect`: decoding with the default limits, then (but for
/// libmacaroons' opaque identifiers) the untrusted identifier.
fn inspect_expected(text: Result<&str, &'static str>) -> Expected {
    let text = match text {
        Ok(t) => t,
        Err(id) => return Expected::RejectedId(id),
    };
    match Token::from_text(text, &Limits::default()) {
        Err(e) => Expected::Rejected(e.to_json()),
        Ok(t) => {
            if !t.format().is_macaroon() {
                if let Err(e) = t.untrusted_identifier() {
                    return Expected::Rejected(e.to_json());
                }
            }
            Expected::Ok(json!({
                "unverified": true,
                "format": t.format().name(),
                "tag": t.tag().to_hex(),
            }))
        }
    }
}

/// The library's answer for `caveat verify` with these settings.
fn verify_expected(text: Result<&str, &'static str>, settings: &Settings) -> Expected {
    let text = match text {
        Ok(t) => t,
        Err(id) => return Expected::RejectedId(id),
    };
    let verifier = settings.verifier();
    let token = match Token::from_text(text, verifier.limits()) {
        Ok(t) => t,
        Err(e) => return Expected::Rejected(e.to_json()),
    };
    let key = settings.key.root_key();
    let ctx = settings.context();
    let discharges: Vec<Token> = settings
        .discharges
        .iter()
        .map(|d| Token::from_text(d, verifier.limits()).expect("discharge decodes"))
        .collect();
    if token.format().is_macaroon() || !discharges.is_empty() {
        match verifier.verify_any(token, &discharges, &key, &ctx) {
            Ok(Verified::Macaroon(v)) => Expected::Ok(json!({
                "ok": true,
                "format": v.token().format().name(),
                "expires": v.expires(),
            })),
            Ok(Verified::Token(v)) => Expected::Ok(json!({
                "ok": true,
                "subject": v.identifier().subject.to_string(),
                "expires": v.expires(),
            })),
            Err(e) => Expected::Rejected(e.to_json()),
        }
    } else {
        match verifier.verify(token, &key, &ctx) {
            Ok(v) => Expected::Ok(json!({
                "ok": true,
                "subject": v.identifier().subject.to_string(),
                "expires": v.expires(),
                "format": v.token().format().name(),
                "tokenId": v.identifier().token_id,
            })),
            Err(e) => Expected::Rejected(e.to_json()),
        }
    }
}

/// The one JSON document on stdout, or why there is none.
fn stdout_json(run: &Run) -> Result<Value, String> {
    if !run.stdout.ends_with('\n') || run.stdout.trim_end().contains('\n') {
        return Err(format!("stdout is not one JSON line: {:?}", run.stdout));
    }
    serde_json::from_str(&run.stdout)
        .map_err(|e| format!("stdout is not JSON ({e}): {:?}", run.stdout))
}

/// Checks a run against what the library answers.
fn compare(run: &Run, expected: &Expected) -> Result<Value, String> {
    let want_code = if expected.is_ok() { 0 } else { 1 };
    if run.code != want_code {
        return Err(format!(
            "exit {} (expected {want_code}, {expected:?}); stdout {} stderr {}",
            run.code, run.stdout, run.stderr
        ));
    }
    let got = stdout_json(run)?;
    match expected {
        Expected::Ok(fields) => {
            for (k, v) in fields.as_object().expect("object") {
                if got.get(k) != Some(v) {
                    return Err(format!("{k}: got {:?}, expected {v}", got.get(k)));
                }
            }
        }
        Expected::Rejected(want) => {
            if &got != want {
                return Err(format!("got {got}, the library says {want}"));
            }
        }
        Expected::RejectedId(id) => {
            let err = &got["error"];
            if err["id"] != *id || !err["details"].is_object() || !err["description"].is_string() {
                return Err(format!("got {got}, expected an error JSON with id {id}"));
            }
        }
    }
    Ok(got)
}

/// Runs the binary, turning a panic of the helper (a signal, an exit code other than 0/1/2,
/// non-UTF-8 stdout) into a failure message.
fn spawn(args: &[OsString], feed: &Feed) -> Result<Run, String> {
    panic::catch_unwind(AssertUnwindSafe(|| match feed {
        Feed::Arg(_) => crate::cli_common::caveat(args),
        Feed::Stdin(bytes) => crate::cli_common::caveat_stdin(args, bytes),
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "the run panicked".to_owned())
    })
}

/// Runs cases through the binary and collects every mismatch, so that one run reports all.
#[derive(Default)]
struct Harness {
    failures: Vec<String>,
    spawns: usize,
    /// Runs where the command rejected the input at decoding (the library's `from_text` or,
    /// for `inspect`, its identifier).
    rejected_at_decoding: usize,
}

impl Harness {
    fn token_arg(feed: &Feed) -> OsString {
        match feed {
            Feed::Arg(t) => t.clone(),
            Feed::Stdin(_) => OsString::from("-"),
        }
    }

    fn record(&mut self, what: &str, case: &Case, result: Result<Value, String>) -> Option<Value> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.failures.push(format!("{what} [{}]: {e}", case.name));
                None
            }
        }
    }

    /// `caveat inspect` of the case; returns the output JSON when it matched the library.
    fn inspect(&mut self, case: &Case) -> Option<Value> {
        let args = vec![OsString::from("inspect"), Self::token_arg(&case.feed)];
        let expected = inspect_expected(case.text());
        self.spawns += 1;
        if !expected.is_ok() {
            self.rejected_at_decoding += 1;
        }
        let result = spawn(&args, &case.feed).and_then(|run| compare(&run, &expected));
        self.record("inspect", case, result)
    }

    /// `caveat verify` of the case; returns the output JSON when it matched the library.
    fn verify(&mut self, case: &Case, settings: &Settings) -> Option<Value> {
        let mut args = vec![OsString::from("verify"), Self::token_arg(&case.feed)];
        args.extend(settings.flags().into_iter().map(OsString::from));
        let expected = verify_expected(case.text(), settings);
        let decodes = case
            .text()
            .is_ok_and(|t| Token::from_text(t, settings.verifier().limits()).is_ok());
        if !decodes {
            self.rejected_at_decoding += 1;
        }
        self.spawns += 1;
        let result = spawn(&args, &case.feed).and_then(|run| compare(&run, &expected));
        self.record("verify", case, result)
    }

    /// Both commands.
    fn both(&mut self, case: &Case, settings: &Settings) {
        self.inspect(case);
        self.verify(case, settings);
    }

    fn finish(self, what: &str) {
        println!(
            "{what}: {} runs of the binary, {} rejected at decoding",
            self.spawns, self.rejected_at_decoding
        );
        assert!(
            self.failures.is_empty(),
            "{what}: {} mismatches between the CLI and the library:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(self.spawns > 0);
    }
}

fn spec_file(path: &str) -> Value {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec/vectors")
        .join(path);
    let text = fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn vectors_of(file: &str) -> Vec<Value> {
    spec_file(file)["vectors"]
        .as_array()
        .expect("vectors")
        .clone()
}

/// The vector named `name` in `file`.
fn vector(file: &str, name: &str) -> Value {
    vectors_of(file)
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name} in {file}"))
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The native text of these envelope bytes.
fn native_text(bytes: &[u8]) -> String {
    format!("cvt1_{}", b64(bytes))
}

// ---------------------------------------------------------------------------------------------
// Token vectors
// ---------------------------------------------------------------------------------------------

/// The command-line settings of a token vector (§9.1), or why the command line cannot express
/// them.
fn vector_settings(v: &Value) -> Result<Settings, String> {
    let verifier = &v["verifier"];
    let defaults = Limits::default();
    let limits = &verifier["limits"];
    let default_limits = json!({
        "max_token_bytes": defaults.max_token_bytes,
        "max_caveats": defaults.max_caveats,
        "max_caveat_bytes": defaults.max_caveat_bytes,
        "max_identifier_bytes": defaults.max_identifier_bytes,
    });
    if *limits != default_limits {
        return Err("custom limits".into());
    }
    if !verifier["predicates"]
        .as_array()
        .expect("predicates")
        .is_empty()
    {
        return Err("registered predicates".into());
    }
    // The command takes one key, used whatever key id the token names; a ring is expressible
    // only when it holds exactly the one key this token looks up.
    let keys = &verifier["keys"];
    let by_id = keys["by_id"].as_object().expect("by_id");
    let default = keys["default"].as_str();
    let text = v["token"].as_str().expect("token");
    let key_id = Token::from_text(text, &defaults).ok().and_then(|t| {
        t.untrusted_identifier()
            .ok()
            .map(|i| i.key_id.map(|k| k.into_owned()))
    });
    let key = match (default, by_id.len()) {
        (Some(k), 0) => match key_id {
            Some(Some(_)) => return Err("a ring without the token's key id".into()),
            _ => k,
        },
        (None, 1) => {
            let (id, k) = by_id.iter().next().expect("one");
            match key_id {
                Some(Some(kid)) if kid == *id => k.as_str().expect("hex"),
                // A token that does not decode never reaches the key lookup.
                None => k.as_str().expect("hex"),
                Some(_) => return Err("a ring without the token's key id".into()),
            }
        }
        (d, n) => {
            return Err(format!(
                "a key ring of {} keys",
                n + usize::from(d.is_some())
            ))
        }
    };
    let ctx = &v["context"];
    let mut s = Settings::new(Key::Hex(key.to_owned()), ctx["now"].as_u64().expect("now"));
    s.leeway = verifier["leeway"].as_u64().expect("leeway");
    s.ip = ctx["ip"].as_str().map(|ip| ip.parse().expect("ip"));
    s.invite_type = ctx["inviteType"].as_str().map(str::to_owned);
    Ok(s)
}

/// Checks `verify`'s output against the vector's `expected`.
fn matches_vector(got: &Value, expected: &Value) -> Result<(), String> {
    if let Some(id) = expected.get("error") {
        if got["error"]["id"] != *id || got["error"]["details"] != expected["details"] {
            return Err(format!("got {got}, the vector expects {expected}"));
        }
    } else if got["ok"] != true
        || got["subject"] != expected["subject"]
        || got["expires"] != expected["expires"]
    {
        return Err(format!("got {got}, the vector expects {expected}"));
    }
    Ok(())
}

#[test]
fn token_vectors_through_inspect_and_verify() {
    let mut h = Harness::default();
    let (mut total, mut run, mut valid_ok) = (0usize, 0usize, 0usize);
    let mut skipped = Vec::new();
    for file in ["valid", "chain", "encoding", "clearing"] {
        let vectors = vectors_of(&format!("{file}.json"));
        assert!(!vectors.is_empty(), "{file}.json has vectors");
        for v in vectors {
            total += 1;
            let name = format!("{file}/{}", v["name"].as_str().expect("name"));
            let case = Case::arg(name.clone(), v["token"].as_str().expect("token"));
            // Whatever the verifier settings, inspect decodes with the default limits.
            h.inspect(&case);
            let settings = match vector_settings(&v) {
                Ok(s) => s,
                Err(why) => {
                    skipped.push(format!("{name}: {why}"));
                    continue;
                }
            };
            run += 1;
            if let Some(got) = h.verify(&case, &settings) {
                match matches_vector(&got, &v["expected"]) {
                    Ok(()) => valid_ok += usize::from(got["ok"] == true),
                    Err(e) => h.failures.push(format!("vector [{name}]: {e}")),
                }
            }
        }
    }
    println!(
        "token vectors: {run} of {total} verified through the CLI, {} skipped:\n  {}",
        skipped.len(),
        skipped.join("\n  ")
    );
    assert!(
        run * 5 >= total * 4,
        "only {run} of {total} vectors run: {skipped:#?}"
    );
    assert!(valid_ok >= 25, "only {valid_ok} valid vectors verified");
    assert!(
        h.rejected_at_decoding >= 70,
        "only {} decoding rejections",
        h.rejected_at_decoding
    );
    h.finish("token vectors");
}

/// libmacaroons' vectors (pymacaroons.json): every token and discharge through `inspect`,
/// every vector through `verify` with its key, predicates and discharges.
#[test]
fn macaroon_vectors_through_inspect_and_verify() {
    let mut h = Harness::default();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|s| s.as_str().expect("string").to_owned())
            .collect()
    };
    let vectors = vectors_of("macaroons/pymacaroons.json");
    assert!(vectors.len() >= 18);
    for v in &vectors {
        let name = format!("pymacaroons/{}", v["name"].as_str().expect("name"));
        let case = Case::arg(name.clone(), v["token"].as_str().expect("token"));
        h.inspect(&case);
        let mut settings = Settings::new(Key::Text(v["key"].as_str().expect("key").into()), NOW);
        settings.exact = strings(&v["exact"]);
        settings.discharges = strings(&v["discharges"]);
        for (i, d) in settings.discharges.iter().enumerate() {
            h.inspect(&Case::arg(format!("{name}, discharge {i}"), d.clone()));
        }
        if let Some(got) = h.verify(&case, &settings) {
            let expected = &v["expected"];
            let agrees = match expected.get("error") {
                Some(id) => got["error"]["id"] == *id,
                None => got["ok"] == true,
            };
            if !agrees {
                h.failures
                    .push(format!("vector [{name}]: got {got}, expected {expected}"));
            }
        }
    }
    assert_eq!(h.rejected_at_decoding, 0, "every macaroon vector decodes");
    h.finish("macaroon vectors");
}

// ---------------------------------------------------------------------------------------------
// Truncations and substitutions
// ---------------------------------------------------------------------------------------------

/// The full text must verify; then every proper prefix (including the empty one) goes through
/// both commands, and every one of them must be rejected at decoding.
fn every_truncation(what: &str, text: &str, settings: &Settings) {
    assert!(text.is_ascii(), "{what}: token texts are ASCII");
    let mut h = Harness::default();
    let full = Case::arg(format!("{what}, whole"), text);
    assert!(
        verify_expected(full.text(), settings).is_ok(),
        "{what}: the whole token verifies in the library"
    );
    let got = h.verify(&full, settings);
    assert_eq!(got.map(|v| v["ok"].clone()), Some(json!(true)), "{what}");
    let mut rejected_by_library = 0;
    for n in 0..text.len() {
        let case = Case::arg(format!("{what}, first {n} chars"), &text[..n]);
        rejected_by_library +=
            usize::from(Token::from_text(&text[..n], &Limits::default()).is_err());
        h.both(&case, settings);
    }
    assert_eq!(
        rejected_by_library,
        text.len(),
        "{what}: every truncation is a decoding error"
    );
    // Every prefix is rejected at decoding by both commands.
    assert_eq!(h.rejected_at_decoding, 2 * text.len(), "{what}");
    h.finish(what);
}

#[test]
fn every_truncation_of_a_native_token() {
    let v = vector("valid.json", "valid_access_named_no_caveats");
    let settings = vector_settings(&v).expect("expressible");
    every_truncation("native", v["token"].as_str().expect("token"), &settings);
}

#[test]
fn every_truncation_of_an_onedata_compat_token() {
    let file = spec_file("onedata/compat-20.02.json");
    let v = file["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .min_by_key(|v| v["token"].as_str().map_or(usize::MAX, str::len))
        .expect("a vector")
        .clone();
    let settings = Settings::new(
        Key::Text(v["secret"].as_str().expect("secret").to_owned()),
        NOW,
    );
    every_truncation("onedata", v["token"].as_str().expect("token"), &settings);
}

#[test]
fn every_truncation_of_a_macaroon_v2_token() {
    let v = vector("macaroons/pymacaroons.json", "macaroon-v2_readme");
    assert_eq!(v["expected"], json!({"ok": true}));
    let mut settings = Settings::new(Key::Text(v["key"].as_str().expect("key").to_owned()), NOW);
    settings.exact = v["exact"]
        .as_array()
        .expect("exact")
        .iter()
        .map(|p| p.as_str().expect("predicate").to_owned())
        .collect();
    every_truncation(
        "macaroon-v2",
        v["token"].as_str().expect("token"),
        &settings,
    );
}

/// One substitution at every position of a valid text with three caveats, the replacement
/// cycling through base64url characters (most give tokens that still decode, with a broken
/// chain or a caveat no longer understood) and characters base64url does not have.
#[test]
fn single_character_substitutions_at_every_position() {
    let v = vector("valid.json", "valid_three_caveats");
    let settings = vector_settings(&v).expect("expressible");
    let text = v["token"].as_str().expect("token");
    assert!(text.is_ascii());
    let candidates = [
        'A', '+', 'g', '_', ' ', 'w', '/', '-', '=', 'Q', '.', '9', 'é', 'z', '~',
    ];
    let mut h = Harness::default();
    let mut decoded = 0;
    for (i, original) in text.char_indices() {
        let mut c = candidates[i % candidates.len()];
        if c == original {
            c = candidates[(i + 1) % candidates.len()];
        }
        let mut changed = text.to_owned();
        changed.replace_range(i..=i, c.encode_utf8(&mut [0; 4]));
        decoded += usize::from(Token::from_text(&changed, &Limits::default()).is_ok());
        h.both(&Case::arg(format!("'{c}' at {i}"), changed), &settings);
    }
    // Some substitutions decode (and reach the MAC and caveat checks), most do not.
    assert!(decoded >= 10, "only {decoded} substitutions decode");
    assert!(
        h.rejected_at_decoding >= text.len(),
        "{}",
        h.rejected_at_decoding
    );
    h.finish("substitutions");
}

// ---------------------------------------------------------------------------------------------
// Empty, whitespace, huge and non-UTF-8 inputs
// ---------------------------------------------------------------------------------------------

fn valid_text() -> String {
    vector("valid.json", "valid_access_named_no_caveats")["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

#[test]
fn empty_whitespace_huge_and_binary_inputs() {
    let ten_mb = 10 * 1024 * 1024;
    let valid = valid_text();
    let mut h = Harness::default();
    let settings = Settings::base();
    let cases = vec![
        Case::arg("empty argument", ""),
        Case::stdin("empty stdin", ""),
        Case::arg("whitespace argument", " \t \n "),
        Case::stdin("whitespace-only stdin", " \t\r\n \n"),
        Case::arg("prefix alone", "cvt1_"),
        Case::stdin("a lone NUL on stdin", "\0"),
        Case::stdin(
            "NUL inside the token on stdin",
            format!("cvt1_\0{}", &valid[5..]),
        ),
        Case::arg("unknown prefix", "macaroon_abc"),
        Case::arg("upper-case prefix", valid.replacen("cvt1_", "CVT1_", 1)),
        // The one trimming case that must succeed: stdin is trimmed.
        Case::stdin(
            "valid token in whitespace on stdin",
            format!("\n  {valid}\r\n\t"),
        ),
        // Argument lengths stay under the kernel's 128 KiB per argument.
        Case::arg("100 kB argument", format!("cvt1_{}", "A".repeat(100_000))),
        Case::stdin_huge(
            "10 MB on stdin with the prefix",
            format!("cvt1_{}", "A".repeat(ten_mb)).into_bytes(),
        ),
        Case::stdin_huge("10 MB of spaces on stdin", vec![b' '; ten_mb]),
        Case::stdin_huge(
            "10 MB on stdin: a valid token then a long base64 tail",
            format!("{valid}{}", "A".repeat(ten_mb)).into_bytes(),
        ),
    ];
    for case in &cases {
        h.both(case, &settings);
    }
    // Not UTF-8: no library text to ask about; the command answers badToken.
    let mut binary = b"cvt1_".to_vec();
    binary.extend_from_slice(&[0xff, 0xfe, 0x80, 0xc0, 0x41]);
    h.both(
        &Case::stdin("invalid UTF-8 on stdin", binary.clone()),
        &settings,
    );
    h.both(
        &Case::stdin(
            "a valid token, then a lone 0xff, on stdin",
            [valid.as_bytes(), &[0xff]].concat(),
        ),
        &settings,
    );
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        h.both(
            &Case {
                name: "invalid UTF-8 argument".into(),
                feed: Feed::Arg(OsString::from_vec(binary)),
                library_text: Err("badToken"),
            },
            &settings,
        );
    }
    // 10 MB that is not UTF-8 either: too large comes first.
    h.both(
        &Case::stdin_huge("10 MB of 0xff on stdin", vec![0xff; ten_mb]),
        &settings,
    );
    // The library refuses the 10 MB texts for their size, before decoding (and the command
    // answered as it does, above).
    for case in cases.iter().filter(|c| c.name.starts_with("10 MB")) {
        assert_eq!(
            inspect_expected(case.text()).error_id(),
            Some("tokenTooLarge"),
            "{}",
            case.name
        );
    }
    h.finish("empty, whitespace, huge and binary inputs");
}

// ---------------------------------------------------------------------------------------------
// Hand-made hostile texts (the text-level rows of tests/adversarial.rs)
// ---------------------------------------------------------------------------------------------

/// The catalogue's base token: two ordinary caveats that hold at `NOW` for client 10.1.2.3.
fn base() -> Token {
    crate::common::mint(&[
        Caveat::time(NOW + 3600),
        crate::common::caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#),
    ])
}

/// Settings under which the base token verifies.
fn base_settings() -> Settings {
    Settings::base().with_ip("10.1.2.3")
}

/// An envelope with these identifier and caveat bytes, correctly MACed under the test key.
fn maced(identifier: &[u8], caveats: &[Vec<u8>]) -> Vec<u8> {
    let tag = chain::compute(
        &crate::common::key(),
        identifier,
        caveats.iter().map(Vec::as_slice),
    );
    envelope(identifier, caveats, tag.as_bytes())
}

/// A valid token whose binary length is 1 mod 3 (so its base64 has spare bits and would be
/// padded) and whose text has both `-` and `_` (so the standard alphabet differs).
fn awkward_token() -> Token {
    (0..10_000u64)
        .map(|i| {
            base()
                .attenuate(&Caveat::time(NOW + 7200 + i))
                .expect("attenuate")
        })
        .find(|t| {
            let text = t.to_text();
            t.as_bytes().len() % 3 == 1 && text[5..].contains('-') && text[5..].contains('_')
        })
        .expect("an awkward token")
}

fn base64_rows() -> Vec<Case> {
    let t = awkward_token();
    let good = t.to_text();
    let bytes = t.as_bytes();
    // The last character carries 2 data bits and 4 zero bits; set the lowest zero bit.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = good.as_bytes()[good.len() - 1];
    let idx = alphabet.iter().position(|&c| c == last).expect("base64url");
    assert_eq!(idx & 0x0f, 0, "canonical trailing bits are zero");
    let mut trailing_bits = good.clone();
    trailing_bits.pop();
    trailing_bits.push(char::from(alphabet[idx | 1]));
    let mid = good.len() / 2;
    let insert = |at: usize, s: &str| {
        let mut x = good.clone();
        x.insert_str(at, s);
        x
    };
    vec![
        Case::arg("base64: the awkward token itself", good.clone()),
        Case::arg("base64: padded", format!("cvt1_{}", URL_SAFE.encode(bytes))),
        Case::arg("base64: one '=' appended", format!("{good}=")),
        Case::arg("base64: two '=' appended", format!("{good}==")),
        Case::arg(
            "base64: standard alphabet (+ and /)",
            format!("cvt1_{}", STANDARD_NO_PAD.encode(bytes)),
        ),
        Case::arg(
            "base64: standard alphabet, padded",
            format!("cvt1_{}", STANDARD.encode(bytes)),
        ),
        Case::arg("base64: one '-' as '+'", good.replacen('-', "+", 1)),
        Case::arg("base64: one '_' as '/'", good.replacen('_', "/", 1)),
        Case::arg("base64: leading space", format!(" {good}")),
        Case::arg("base64: trailing space", format!("{good} ")),
        Case::arg("base64: trailing newline", format!("{good}\n")),
        Case::arg("base64: trailing CRLF", format!("{good}\r\n")),
        Case::arg("base64: space in the middle", insert(mid, " ")),
        Case::arg("base64: newline in the middle", insert(mid, "\n")),
        Case::stdin("base64: newline in the middle, on stdin", insert(mid, "\n")),
        Case::arg("base64: tab after the prefix", insert(5, "\t")),
        Case::arg("base64: non-zero trailing bits", trailing_bits),
        Case::arg("base64: a '.' inside", insert(mid, ".")),
        Case::arg("base64: non-ASCII inside", insert(mid, "é")),
        Case::arg("base64: length 1 mod 4", format!("{good}A")),
    ]
}

fn envelope_rows() -> Vec<Case> {
    let t = base();
    let (id, cavs, tag) = parts(&t);
    let raw = t.as_bytes().to_vec();
    let after_version = &raw[2..];
    let body = &t.to_text()[5..];
    let mut rows = Vec::new();
    let mut bin = |name: &str, bytes: &[u8]| rows.push(Case::arg(name, native_text(bytes)));

    // Trailing bytes.
    for (name, extra) in [
        ("trailing 0x00", vec![0x00]),
        ("trailing 0xff", vec![0xff]),
        ("trailing empty bstr", vec![0x40]),
        ("trailing copy of the token", raw.clone()),
    ] {
        bin(name, &cat(&[&raw, &extra]));
    }
    // Versions.
    for (name, v) in [
        ("version 0", uint(0)),
        ("version 2", uint(2)),
        ("version 24", uint(24)),
        ("version 2^32", uint(1 << 32)),
        ("version u64::MAX", uint(u64::MAX)),
    ] {
        bin(name, &envelope_version(&v, &id, &cavs, &tag));
    }
    // Tags of the wrong length.
    for len in [0usize, 16, 31, 33, 64] {
        let wrong: Vec<u8> = tag.iter().copied().cycle().take(len).collect();
        bin(
            &format!("tag of {len} bytes"),
            &envelope(&id, &cavs, &wrong),
        );
    }
    // Declared lengths far beyond the input: 2^32 and 2^64 - 1.
    for (len_name, arg) in [
        ("2^32", &[0x1b, 0, 0, 0, 1, 0, 0, 0, 0][..]),
        (
            "2^64 - 1",
            &[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..],
        ),
    ] {
        let head = |major: u8| {
            let mut h = arg.to_vec();
            h[0] |= major << 5;
            h
        };
        let caveat_list = |v: &mut Vec<u8>| {
            for c in &cavs {
                v.extend(bstr(c));
            }
        };
        let mut v = cat(&[&[0x84, 0x01], &head(2), &id, &[0; 64]]);
        bin(&format!("identifier length {len_name}"), &v);
        v = cat(&[&[0x84, 0x01], &bstr(&id), &head(4)]);
        caveat_list(&mut v);
        v.extend(bstr(&tag));
        bin(&format!("caveat count {len_name}"), &v);
        v = cat(&[
            &[0x84, 0x01],
            &bstr(&id),
            &array(1),
            &head(2),
            &cavs[0],
            &bstr(&tag),
        ]);
        bin(&format!("caveat length {len_name}"), &v);
        v = cat(&[&[0x84, 0x01], &bstr(&id), &array(0), &head(2), &tag]);
        bin(&format!("tag length {len_name}"), &v);
        v = cat(&[&head(4), &raw[1..]]);
        bin(&format!("outer array of {len_name}"), &v);
    }
    // Non-canonical CBOR, indefinite lengths, tags, maps, byte strings as arrays.
    let rest = |v: &mut Vec<u8>| {
        v.extend(array(cavs.len()));
        for c in &cavs {
            v.extend(bstr(c));
        }
        v.extend(bstr(&tag));
    };
    bin(
        "non-minimal version",
        &cat(&[&[0x84, 0x18, 0x01], after_version]),
    );
    bin(
        "non-minimal tag length",
        &cat(&[&raw[..raw.len() - 34], &[0x59, 0x00, 0x20], &tag]),
    );
    bin(
        "indefinite outer array",
        &cat(&[&[0x9f], &raw[1..], &[0xff]]),
    );
    let mut v = cat(&[&[0x84, 0x01], &bstr(&id), &[0x9f]]);
    for c in &cavs {
        v.extend(bstr(c));
    }
    v.extend_from_slice(&[0xff]);
    v.extend(bstr(&tag));
    bin("indefinite caveat array", &v);
    bin(
        "self-describe CBOR tag around the envelope",
        &cat(&[&[0xd9, 0xd9, 0xf7], &raw]),
    );
    let mut v = vec![0xa4, 0x00, 0x01, 0x01];
    v.extend(bstr(&id));
    v.push(0x02);
    rest(&mut v);
    v.insert(v.len() - 34, 0x03);
    bin("envelope as a map", &v);
    let mut v = vec![0x84, 0x01];
    v.extend(array(id.len()));
    for b in &id {
        v.extend(uint(u64::from(*b)));
    }
    rest(&mut v);
    bin("identifier as an array of bytes", &v);
    let mut v = raw.clone();
    v[2] = (v[2] & 0x1f) | (3 << 5);
    bin("identifier as a text string", &v);
    bin(
        "non-minimal integer inside a MACed caveat",
        &maced(&id, &[vec![0x82, 0x18, 0x00, 0x1a, 0, 0, 0, 5]]),
    );
    bin(
        "CBOR tag inside a MACed caveat",
        &maced(&id, &[cat(&[&[0xc1], &Caveat::time(NOW + 5).to_native()])]),
    );
    bin(
        "MACed caveat that is a map with duplicate keys",
        &maced(&id, &[vec![0xa2, 0x00, 0x01, 0x00, 0x01]]),
    );
    bin(
        "MACed identifier that is a map",
        &maced(&[0xa2, 0x00, 0x01, 0x00, 0x02], &[]),
    );
    // Deep nesting within the default limits (1000 levels) and far beyond them (100k).
    let nested = |depth: usize| {
        let mut n = vec![0x81; depth];
        n.push(0x00);
        n
    };
    bin("1000-deep arrays", &nested(1000));
    bin(
        "1000-deep arrays as a MACed caveat",
        &maced(&id, &[nested(1000)]),
    );
    bin(
        "1000-deep arrays as a MACed identifier",
        &maced(&nested(1000), &[]),
    );
    bin(
        "1000-deep indefinite arrays as a MACed caveat",
        &maced(&id, &[cat(&[&[0x9f; 500], &[0xff; 500]])]),
    );
    rows.push(Case::stdin_huge(
        "100k-deep arrays, on stdin",
        native_text(&nested(100_000)).into_bytes(),
    ));
    rows.push(Case::stdin_huge(
        "100k-deep arrays as a MACed caveat, on stdin",
        native_text(&maced(&id, &[nested(100_000)])).into_bytes(),
    ));
    // Text prefixes.
    for prefix in ["cvt0_", "cvt2_", "cvt10_", "cvt1", "cvt_"] {
        rows.push(Case::arg(
            format!("text prefix {prefix:?}"),
            format!("{prefix}{body}"),
        ));
    }
    // Intermediate chain tags (and the derived key) offered as the final tag.
    let three = crate::common::mint(&[
        Caveat::time(NOW + 3600),
        crate::common::caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#),
        Caveat::time(NOW + 1800),
    ]);
    let (id3, cavs3, _) = parts(&three);
    let tags = chain::tags(&crate::common::key(), &id3, cavs3.iter().map(Vec::as_slice));
    for (i, intermediate) in tags[..3].iter().enumerate() {
        rows.push(Case::arg(
            format!("tag_{i} offered as the final tag"),
            native_text(&envelope(&id3, &cavs3, intermediate.as_bytes())),
        ));
    }
    let derived = chain::derive_key(&hex::decode(KEY_HEX).expect("hex"));
    rows.push(Case::arg(
        "derived key offered as the tag",
        native_text(&envelope(&id3, &cavs3, derived.as_bytes())),
    ));
    rows
}

#[test]
fn hand_made_hostile_texts() {
    let settings = base_settings();
    let rows: Vec<Case> = base64_rows().into_iter().chain(envelope_rows()).collect();
    let mut h = Harness::default();
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for case in &rows {
        h.both(case, &settings);
        let id = verify_expected(case.text(), &settings)
            .error_id()
            .unwrap_or("ok")
            .to_owned();
        *outcomes.entry(id).or_default() += 1;
    }
    println!("hostile texts, verify outcomes: {outcomes:?}");
    // The rows reach every stage: decoding, the size check, the MAC and the caveats.
    for id in [
        "ok",
        "badToken",
        "tokenTooLarge",
        "tokenInvalid",
        "tokenCaveatUnknown",
    ] {
        assert!(outcomes.contains_key(id), "no row gives {id}: {outcomes:?}");
    }
    assert_eq!(outcomes["ok"], 1, "only the awkward token itself verifies");
    h.finish("hostile texts");
}

// ---------------------------------------------------------------------------------------------
// Clearing rows of the catalogue: times, leeway, addresses, caveat counts
// ---------------------------------------------------------------------------------------------

#[test]
fn clearing_rows_through_verify() {
    let time = |t: u64| crate::common::mint(&[Caveat::time(t)]);
    let ip8 = || {
        crate::common::mint(&[crate::common::caveat(
            r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#,
        )])
    };
    let raw_time = |int: &[u8]| {
        crate::common::mint(&[])
            .attenuate_raw(&cat(&[&[0x82, 0x00], int]))
            .expect("raw caveat")
    };
    let at = |now: u64| Settings::new(Key::Hex(KEY_HEX.to_owned()), now);
    let leeway = |now: u64, leeway: u64| Settings { leeway, ..at(now) };
    let id = parts(&base()).0;
    let times = |n: u64| -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| Caveat::time(NOW + 1 + i).to_native())
            .collect()
    };
    let rows: Vec<(&str, String, Settings, &str)> = vec![
        (
            "validUntil == now",
            time(NOW).to_text(),
            at(NOW),
            "tokenCaveatUnverified",
        ),
        (
            "validUntil == now + 1",
            time(NOW).to_text(),
            at(NOW - 1),
            "ok",
        ),
        (
            "validUntil 0",
            time(0).to_text(),
            at(NOW),
            "tokenCaveatUnverified",
        ),
        (
            "validUntil i64::MAX",
            time(i64::MAX as u64).to_text(),
            at(NOW),
            "ok",
        ),
        (
            "validUntil i64::MAX at i64::MAX",
            time(i64::MAX as u64).to_text(),
            at(i64::MAX as u64),
            "tokenCaveatUnverified",
        ),
        (
            "validUntil u64::MAX",
            time(u64::MAX).to_text(),
            at(NOW),
            "ok",
        ),
        // Leeway overflow fails closed: validUntil + leeway does not fit in u64.
        (
            "u64::MAX with leeway 1",
            time(u64::MAX).to_text(),
            leeway(0, 1),
            "tokenCaveatUnverified",
        ),
        (
            "1 with leeway u64::MAX",
            time(1).to_text(),
            leeway(0, u64::MAX),
            "tokenCaveatUnverified",
        ),
        (
            "0 with leeway u64::MAX",
            time(0).to_text(),
            leeway(5, u64::MAX),
            "ok",
        ),
        (
            "validUntil -1 (raw CBOR)",
            raw_time(&[0x20]).to_text(),
            at(NOW),
            "tokenCaveatUnknown",
        ),
        (
            "validUntil i64::MIN (raw CBOR)",
            raw_time(&[0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).to_text(),
            at(NOW),
            "tokenCaveatUnknown",
        ),
        (
            "two time caveats, the later one's instant",
            crate::common::mint(&[Caveat::time(NOW + 10), Caveat::time(NOW + 5)]).to_text(),
            at(NOW + 5),
            "tokenCaveatUnverified",
        ),
        (
            "two time caveats, within both",
            crate::common::mint(&[Caveat::time(NOW + 10), Caveat::time(NOW + 5)]).to_text(),
            at(NOW + 4),
            "ok",
        ),
        (
            "::ffff:10.1.2.3 against 10.0.0.0/8",
            ip8().to_text(),
            at(NOW).with_ip("::ffff:10.1.2.3"),
            "ok",
        ),
        (
            "10.1.2.3 against 10.0.0.0/8",
            ip8().to_text(),
            at(NOW).with_ip("10.1.2.3"),
            "ok",
        ),
        (
            "IPv6 client, IPv4 whitelist",
            ip8().to_text(),
            at(NOW).with_ip("2001:db8::1"),
            "tokenCaveatUnverified",
        ),
        (
            "no client address",
            ip8().to_text(),
            at(NOW),
            "tokenCaveatUnverified",
        ),
        (
            "256 caveats",
            native_text(&maced(&id, &times(256))),
            at(NOW),
            "ok",
        ),
        (
            "257 caveats",
            native_text(&maced(&id, &times(257))),
            at(NOW),
            "tokenTooLarge",
        ),
        (
            "10k caveats",
            native_text(&maced(&id, &times(10_000))),
            at(NOW),
            "tokenTooLarge",
        ),
    ];
    let mut h = Harness::default();
    for (name, text, settings, id) in rows {
        let case = Case::arg(name, text);
        // The library's answer is the catalogue's (tests/adversarial.rs) ...
        assert_eq!(
            verify_expected(case.text(), &settings)
                .error_id()
                .unwrap_or("ok"),
            id,
            "{name}"
        );
        // ... and the command's is the library's.
        h.both(&case, &settings);
    }
    h.finish("clearing rows");
}
