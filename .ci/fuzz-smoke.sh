#!/usr/bin/env bash
# Fuzz smoke run: every cargo-fuzz target in fuzz/ for N seconds each (default 45), on the
# nightly toolchain, starting from the committed corpus and the saved regressions.
#
#   bash .ci/fuzz-smoke.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Without the nightly toolchain it prints a line saying the smoke run was skipped and exits 0:
# the corpus replay (`cargo test --test fuzz_corpus`, stable) still covers every committed input.
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

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz smoke: SKIPPED: no nightly toolchain (cargo-fuzz needs it; install with" \
        "'rustup toolchain install nightly'). The corpus replay still runs in the tests."
    exit 0
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz smoke: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

cd fuzz
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
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
