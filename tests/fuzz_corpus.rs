//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) and every saved crash
//! (`fuzz/regressions/<target>/`) through the fuzz targets' own checks, on the stable toolchain:
//! an input that once broke something keeps being tested by `cargo test`. The checks are
//! `fuzz/src/checks/`, included below, so the fuzzer and this test run the same code and
//! decode structured inputs the same way. See `fuzz/README.md`.
//!
//! The corpus also holds generated seeds (`seed-*`: tokens minted with the fixed fuzz keys,
//! caveat samples). `generated_seeds_are_committed` fails when they are stale; regenerate them
//! with `FUZZ_WRITE_SEEDS=1 cargo test --test fuzz_corpus`.
// Needs the optional format(s) it covers: `cargo test --all-features` runs it.
#![cfg(all(feature = "onedata", feature = "macaroons", feature = "cache"))]

#[path = "../fuzz/src/checks/mod.rs"]
mod checks;

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use checks::Decision;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Every input file under `fuzz/<kind>/<target>/`, as `(target, path)`, sorted. Files directly
/// in `fuzz/<kind>/` (a README) are not inputs; a folder that names no target is an error.
fn inputs(kind: &str) -> Vec<(String, PathBuf)> {
    let root = fuzz_dir().join(kind);
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(&root) else {
        return out;
    };
    for entry in entries {
        let path = entry.expect("readable directory entry").path();
        if !path.is_dir() {
            continue;
        }
        let target = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 folder name")
            .to_owned();
        assert!(
            checks::TARGETS.contains(&target.as_str()),
            "fuzz/{kind}/{target}/ names no fuzz target (targets: {:?})",
            checks::TARGETS
        );
        for file in fs::read_dir(&path).expect("readable target folder") {
            let file = file.expect("readable directory entry").path();
            if file.is_file() {
                out.push((target.clone(), file));
            }
        }
    }
    out.sort();
    out
}

/// Runs every input through its target's checks; fails naming each input that panicked.
fn replay(kind: &str) -> usize {
    let inputs = inputs(kind);
    let mut failures = Vec::new();
    for (target, path) in &inputs {
        let data = fs::read(path).expect("readable input");
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| checks::run(target, &data)));
        match outcome {
            Ok(true) => {}
            Ok(false) => failures.push(format!("{} (unknown target)", path.display())),
            Err(_) => failures.push(path.display().to_string()),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs in fuzz/{kind}/ failed their checks (panic messages above):\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
    inputs.len()
}

#[test]
fn corpus_replays_without_a_failure() {
    let n = replay("corpus");
    for target in checks::TARGETS {
        let count = inputs("corpus").iter().filter(|(t, _)| t == target).count();
        assert!(
            count > 0,
            "fuzz/corpus/{target}/ is empty: the fuzzer needs seeds"
        );
    }
    eprintln!("replayed {n} corpus inputs");
}

#[test]
fn regressions_replay_without_a_failure() {
    let n = replay("regressions");
    eprintln!("replayed {n} regression inputs");
}

#[test]
fn generated_seeds_are_committed() {
    let write = std::env::var_os("FUZZ_WRITE_SEEDS").is_some();
    let seeds = checks::unique_seeds();
    let mut stale = Vec::new();
    for (target, name, bytes) in &seeds {
        let path = fuzz_dir().join("corpus").join(target).join(name);
        if fs::read(&path).ok().as_ref() == Some(bytes) {
            continue;
        }
        if write {
            fs::create_dir_all(path.parent().expect("corpus folder")).expect("create folder");
            fs::write(&path, bytes).expect("write seed");
        } else {
            stale.push(path.display().to_string());
        }
    }
    // Seeds the generator no longer makes.
    for (target, path) in inputs("corpus") {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("seed-") && !seeds.iter().any(|(t, n, _)| *t == target && n == name) {
            if write {
                fs::remove_file(&path).expect("remove stale seed");
            } else {
                stale.push(format!("{} (no longer generated)", path.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated seeds differ from the committed corpus; run \
         `FUZZ_WRITE_SEEDS=1 cargo test --test fuzz_corpus` and commit:\n{}",
        stale.join("\n")
    );
}

#[test]
fn oracle_tag_is_the_hmac_chain_of_the_seed_tokens() {
    // The oracle would be vacuous if it never recognised a genuine token: every seed token's tag
    // is the chain under the key that minted it, and never under the other one.
    for (name, token) in checks::seed_tokens() {
        let (mine, other) = if name == "invite-params-key-b" {
            (checks::KEY_B, checks::KEY_A)
        } else {
            (checks::KEY_A, checks::KEY_B)
        };
        let tag = token.tag();
        assert_eq!(
            checks::reference_chain(mine, &token),
            *tag.as_bytes(),
            "{name}"
        );
        assert_ne!(
            checks::reference_chain(other, &token),
            *tag.as_bytes(),
            "{name}"
        );
    }
}

/// The decisions a target reaches over the committed corpus.
fn decisions(target: &str, run: fn(&[u8]) -> Option<Decision>) -> Vec<Decision> {
    inputs("corpus")
        .into_iter()
        .filter(|(t, _)| t == target)
        .filter_map(|(_, p)| run(&fs::read(p).expect("readable input")))
        .collect()
}

fn assert_reaches_every_outcome(decisions: &[Decision]) {
    let has = |f: &dyn Fn(&Decision) -> bool| decisions.iter().any(f);
    assert!(
        has(&|d| matches!(d, Decision::Allow { expires: Some(_) })),
        "{decisions:?}"
    );
    assert!(
        has(&|d| matches!(d, Decision::Unverified(_))),
        "{decisions:?}"
    );
    assert!(has(&|d| matches!(d, Decision::Unknown(_))), "{decisions:?}");
}

#[test]
fn verify_oracle_seeds_reach_every_outcome() {
    // The seeds must take the fuzzer to acceptance, to each kind of denial and to forgery.
    let d = decisions("verify_oracle", checks::verify_oracle);
    assert_reaches_every_outcome(&d);
    assert!(d.contains(&Decision::Other("tokenInvalid")), "{d:?}");
}

#[test]
fn roundtrip_corpus_reaches_every_outcome() {
    let d = decisions("roundtrip", checks::roundtrip);
    assert_reaches_every_outcome(&d);
    assert!(d.contains(&Decision::Other("tokenTooLarge")), "{d:?}");
    assert!(d.contains(&Decision::Other("badValueIdentifier")), "{d:?}");
}
