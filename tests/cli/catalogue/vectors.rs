//! The spec's token vectors and libmacaroons' vectors through `caveat inspect` and `caveat verify`.

use super::*;

// ---------------------------------------------------------------------------------------------
// Token vectors
// ---------------------------------------------------------------------------------------------

/// The command-line settings of a token vector (§9.1), or why the command line cannot express
/// them.
pub(super) fn vector_settings(v: &Value) -> Result<Settings, String> {
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
    s.expect = ctx["expect"].as_str().map(str::to_owned);
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
