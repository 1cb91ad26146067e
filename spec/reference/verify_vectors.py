"""A minimal, independent verifier written from spec/SPEC.md alone (Python 3 standard library).

It exists to show that the specification is sufficient: it reads every vector file under
spec/vectors/ that spec/vectors/COVERAGE.json assigns to it, checks every vector in it (native
tokens and caveat forms, §9; the Onedata format and profile, §10.9; libmacaroons formats, third-
party caveats and discharges, §11.9) without sharing any code with an implementation, and
compares each outcome with "expected": error ids and details, including the "reason" word and
facts of every tokenCaveatUnverified (§8.1); only the "reason" texts of badToken and
badValueCaveat are informative and not compared (§8).

    python3 spec/reference/verify_vectors.py [VECTOR_DIR]

It prints, per file, how many vectors it checked (or which other check covers it), then
"N passed, M failed". Exit status 0 only when every vector agrees and every vector file is
covered by COVERAGE.json. Not a production verifier.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import macaroons  # noqa: E402
import native  # noqa: E402
import onedata  # noqa: E402


def token_vectors(document):
    problems = []
    for v in document["vectors"]:
        problems += [f"{v['name']}: {p}" for p in native.check_token_vector(v)]
    return len(document["vectors"]), problems


def caveat_forms(document):
    problems = []
    for f in document["forms"]:
        problems += [f"{f['name']}: {p}" for p in native.check_form(f)]
    return len(document["forms"]), problems


CHECKERS = {
    "caveat-token/token-vectors/1": token_vectors,
    "caveat-token/caveat-forms/1": caveat_forms,
    "onedata-compat-20.02": onedata.check_compat,
    "caveat-token/onedata-vectors/1": onedata.check_seed,
    "caveat-token/onedata-decoding/1": onedata.check_decoding,
    "caveat-token/macaroon-vectors/1": macaroons.check_pymacaroons,
    "caveat-token/third-party-vectors/1": macaroons.check_third_party,
}


def vector_files(directory):
    for root, _, files in os.walk(directory):
        for name in files:
            if name.endswith(".json") and name != "COVERAGE.json":
                yield os.path.relpath(os.path.join(root, name), directory).replace(os.sep, "/")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "vectors")
    with open(os.path.join(directory, "COVERAGE.json"), encoding="utf-8") as f:
        coverage = json.load(f)["files"]
    passed = failed = 0
    present = sorted(vector_files(directory))
    for path in present:
        entry = coverage.get(path)
        if entry is None:
            print(f"{path}: FAILED: covered by no check (add it to COVERAGE.json)")
            failed += 1
            continue
        if entry["check"] != "reference":
            print(f"{path}: not read here; covered by {entry['check']} ({entry['command']})")
            continue
        with open(os.path.join(directory, path), encoding="utf-8") as f:
            document = json.load(f)
        checker = CHECKERS.get(entry["as"])
        if checker is None or document.get("schema", entry["as"]) != entry["as"]:
            print(f"{path}: FAILED: no reference check for schema {document.get('schema')}")
            failed += 1
            continue
        try:
            count, problems = checker(document)
        except Exception as e:  # a vector the reference cannot even read is a failure
            print(f"{path}: FAILED: {type(e).__name__}: {e}")
            failed += 1
            continue
        for p in problems:
            print(f"{path}: {p}")
        bad = min(len(problems), count)
        passed += count - bad
        failed += bad
        print(f"{path}: {count} vectors checked, {bad} failed")
    for path in sorted(set(coverage) - set(present)):
        print(f"{path}: listed in COVERAGE.json, not present")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
