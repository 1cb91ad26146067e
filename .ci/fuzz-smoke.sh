#!/usr/bin/env bash
# Fuzz smoke run: every cargo-fuzz target in fuzz/ for N seconds each (default 45), on the
# nightly toolchain, starting from the committed corpus and the saved regressions.
#
#   bash .ci/fuzz-smoke.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Without the nightly toolchain or cargo-fuzz (which it tries to install), or when `cargo fuzz
# list` names no target, nothing can be fuzzed: under CI=true that is a failure (exit 1); elsewhere
# it says so loudly on stderr and exits 0 (the corpus replay, `cargo test --test fuzz_corpus` on
# stable, still covers every committed input).
# New inputs the fuzzer finds go to a temporary folder, never into fuzz/corpus/. A crash exits 1
# after printing the input's path (fuzz/artifacts/TARGET/) and what to do with it.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-45}"
shift || true
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -eq 0 ]; then
    echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
fi

# Nothing can be fuzzed: a failure under CI=true, a loud skip elsewhere.
cannot_fuzz() {
    if [ "${CI:-}" = "true" ]; then
        echo "fuzz smoke: FAILED: $1; under CI=true the smoke run must fuzz every target." >&2
        exit 1
    fi
    {
        echo "************************************************************************"
        echo "fuzz smoke: SKIPPED, NOTHING WAS FUZZED: $1."
        echo "The corpus replay (cargo test --test fuzz_corpus) still runs in the tests."
        echo "************************************************************************"
    } >&2
    exit 0
}

if ! cargo +nightly --version >/dev/null 2>&1; then
    cannot_fuzz "no nightly toolchain (cargo-fuzz needs it: rustup toolchain install nightly)"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz smoke: installing cargo-fuzz"
    cargo install cargo-fuzz --locked || true
    if ! cargo fuzz --version >/dev/null 2>&1; then
        cannot_fuzz "cargo-fuzz is missing and could not be installed (cargo install cargo-fuzz --locked)"
    fi
fi

cd fuzz
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
if [ "${#targets[@]}" -eq 0 ]; then
    echo "fuzz smoke: FAILED: cargo fuzz list names no target in fuzz/" >&2
    exit 1
fi

echo "fuzz smoke: building ${targets[*]}"
cargo +nightly fuzz build

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for t in "${targets[@]}"; do
    mkdir -p "$work/$t" "corpus/$t"
    dirs=("$work/$t" "corpus/$t")
    [ -d "regressions/$t" ] && dirs+=("regressions/$t")
    args=("-max_total_time=$secs" "-timeout=25" "-print_final_stats=1")
    [ -f "dict/$t.dict" ] && args+=("-dict=dict/$t.dict")
    log="$work/$t.log"
    echo "fuzz smoke: $t for ${secs}s"
    if ! cargo +nightly fuzz run "$t" "${dirs[@]}" -- "${args[@]}" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz smoke: $t FAILED: the crashing input is under fuzz/artifacts/$t/." \
            "Minimize it (cargo fuzz tmin $t ARTIFACT), copy it to fuzz/regressions/$t/," \
            "fix the bug, and check with cargo test --test fuzz_corpus."
        exit 1
    fi
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    echo "fuzz smoke: $t ok: ${runs:-?} executions in ${secs}s, no crash"
done
echo "fuzz smoke: ${#targets[@]} targets fuzzed for ${secs}s each, no crash"
