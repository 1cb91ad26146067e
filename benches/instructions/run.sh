#!/usr/bin/env bash
# The deterministic performance gate: instruction counts of caveat-token's hot paths, counted by
# callgrind, compared with the committed baseline.
#
#   bash benches/instructions/run.sh            measure, print `INSTR ...` lines, compare; exits 1
#                                               when a count rose more than 3 % over the baseline
#   bash benches/instructions/run.sh --update   measure and rewrite baseline.txt (on purpose:
#                                               commit the new file with the change that moved it)
#
# Needs valgrind (Debian: `apt-get install valgrind`; installed here when missing and running as
# root in CI). Counts depend on the compiler version and on the CPU features valgrind reports, so
# refresh the baseline when the toolchain changes; they do not depend on load or clock speed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
baseline="$here/baseline.txt"
threshold="${INSTR_THRESHOLD:-1.03}"
iters=20
mode="${1:-check}"

if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "valgrind missing: installing it with apt-get" >&2
        apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
    else
        echo "valgrind is needed: apt-get install valgrind (Debian/Ubuntu)" >&2
        exit 2
    fi
fi

target="${CARGO_TARGET_DIR:-$here/target}"
cargo build --release --locked --quiet --manifest-path "$here/Cargo.toml" --target-dir "$target"
bin="$target/release/instructions"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
measured="$out/measured.txt"
for case in verify:1 verify:5 verify:20 cached:5 decode:5 mint:5; do
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*::measured_region' \
        --callgrind-out-file="$out/cg.out" "$bin" "$case" "$iters" 2>"$out/valgrind.log" \
        || { cat "$out/valgrind.log" >&2; exit 2; }
    total="$(awk '$1 == "totals:" { print $2 }' "$out/cg.out")"
    [ -n "$total" ] || { echo "no totals in callgrind output for $case" >&2; exit 2; }
    echo "INSTR ${case%%:*} n=${case##*:} $(( (total + iters / 2) / iters ))" | tee -a "$measured"
done

toolchain="$(rustc --version) / $(valgrind --version)"
if [ "$mode" = "--update" ]; then
    {
        echo "# Instruction counts per call (callgrind), compared by benches/instructions/run.sh."
        echo "# Refresh on purpose with: bash benches/instructions/run.sh --update"
        echo "# toolchain: $toolchain"
        cat "$measured"
    } >"$baseline"
    echo "baseline written: $baseline"
    exit 0
fi

[ -f "$baseline" ] || { echo "no baseline: run with --update" >&2; exit 2; }
recorded="$(sed -n 's/^# toolchain: //p' "$baseline")"
if [ "$recorded" != "$toolchain" ]; then
    echo "note: baseline recorded with '$recorded', measuring with '$toolchain'" >&2
fi
awk -v threshold="$threshold" '
    FNR == NR { if ($1 == "INSTR") old[$2 " " $3] = $4; next }
    $1 == "INSTR" {
        key = $2 " " $3
        if (!(key in old)) { printf "NEW %s %s (no baseline)\n", key, $4; next }
        ratio = $4 / old[key]
        verdict = ratio > threshold ? "FAIL" : "ok"
        printf "%-4s %-14s old %9d new %9d ratio %.4f\n", verdict, key, old[key], $4, ratio
        if (ratio > threshold) failed = 1
    }
    END {
        if (failed) { printf "instruction count rose more than %.0f %%\n", (threshold - 1) * 100; exit 1 }
    }
' "$baseline" "$measured"
