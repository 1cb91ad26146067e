#!/usr/bin/env bash
# Runs the README's shell examples as a reader would paste them: every ```sh block, in order,
# in one bash session (set -euo pipefail), in a scratch folder, with the `caveat` binary first on
# the PATH and no CAVEAT_KEY inherited. A block right after
#   <!-- readme-snippets: in-ci (why) -->    is not run here; each of its commands must be a
#                                            line of .ci/run, which runs it;
#   <!-- readme-snippets: skip (why) -->     is not run (the reason says why).
# Fails if a block fails, if anything is written to stderr (warnings included), or if the output
# lacks what the README says it shows.
#
#   bash tests/readme_snippets.sh [PATH_TO_CAVEAT]   (default: $CARGO_TARGET_DIR or target,
#                                                      release/caveat; build it with
#                                                      cargo build --release --features cli)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$root/target}/release/caveat}"
if [ ! -x "$bin" ]; then
    echo "readme snippets: no binary at $bin (cargo build --release --features cli)" >&2
    exit 2
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/run"
ln -s "$bin" "$work/bin/caveat"

# Split the README into the script to run and the commands .ci/run must hold.
awk -v script="$work/script.sh" -v inci="$work/in-ci.txt" -v listing="$work/blocks.txt" '
    /^<!-- readme-snippets: (in-ci|skip)/ { mode = ($0 ~ /in-ci/) ? "in-ci" : "skip"; next }
    /^```(sh|console)$/ && !inblock {
        inblock = 1; n++
        printf "block %d (line %d): %s\n", n, NR, (mode == "" ? "run" : mode) > listing
        if (mode == "") printf "\n# --- README.md line %d\n", NR > script
        next
    }
    /^```/ && inblock { inblock = 0; mode = ""; next }
    inblock && mode == "" { print > script; next }
    inblock && mode == "in-ci" { line = $0; sub(/[ \t]+#.*$/, "", line); if (line != "") print line > inci; next }
    inblock { next }
    { if ($0 !~ /^[ \t]*$/) mode = "" }
' "$root/README.md"
cat "$work/blocks.txt"

status=0
if [ -f "$work/in-ci.txt" ]; then
    while IFS= read -r cmd; do
        if ! grep -qxF "$cmd" "$root/.ci/run"; then
            echo "readme snippets: FAILED: '$cmd' (README, marked in-ci) is not a line of .ci/run" >&2
            status=1
        fi
    done <"$work/in-ci.txt"
fi

set +e
(
    cd "$work/run"
    unset CAVEAT_KEY
    PATH="$work/bin:$PATH" bash -euo pipefail "$work/script.sh"
) >"$work/stdout" 2>"$work/stderr"
rc=$?
set -e
echo "--- stdout"
cat "$work/stdout"
echo "--- stderr"
cat "$work/stderr"
if [ "$rc" -ne 0 ]; then
    echo "readme snippets: FAILED: the README's shell examples exit $rc" >&2
    status=1
fi
if [ -s "$work/stderr" ]; then
    echo "readme snippets: FAILED: the README's shell examples wrote to stderr" >&2
    status=1
fi
# What the README's comments say the commands show.
for expected in '"unverified":true' '"ok":true,"subject":"usr-alice"' \
    '"id":"tokenCaveatUnverified"' 'refused: exit 1' '"inviteToken"'; do
    if ! grep -qF "$expected" "$work/stdout"; then
        echo "readme snippets: FAILED: the output lacks $expected" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "readme snippets: ok"
exit "$status"
