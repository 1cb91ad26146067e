#!/usr/bin/env python3
"""libmacaroons and go-macaroon as live peers of caveat-token's libmacaroons formats.

Usage: differential.py CAVEAT_BINARY PEER_NAME=PEER_BINARY...
       (peers: libmacaroons, gomacaroon; run by tests/peers/run.sh)

Both directions, in every format a peer has (libmacaroons 0.3.0: V1; go-macaroon: V1, V2,
V2J):

1. the peer mints (and attenuates, and binds discharges); `caveat verify` must give the
   verdict the peer gives, and the verdict the case expects;
2. `caveat mint / attenuate / discharge --bind` mints; the peer must give the verdict
   `caveat verify` gives, and the one the case expects.

Covered: first-party exact predicates, a general predicate (`time < N`, which both peers
check with a general satisfier of the meaning caveat-token gives it), third-party caveats with
bound, unbound, missing, unsatisfied and wrongly keyed discharges, an empty location on the
token and on a third-party caveat, a flipped bit (in a caveat, the signature, a discharge), a
wrong root key, and tokens of one side attenuated by the other.

A peer program that exits other than 0 (accept) or 1 (deny), or fails to mint, is a test
failure, never a denial. Where caveat-token is deliberately stricter (KNOWN_DIFFERENCES, with
the SPEC.md section 11.8 reason), the case asserts that caveat-token refuses with the listed
error id, and the peer's verdict is reported, not compared.

Prints one line per case and a closing "N passed, M failed" line; exits non-zero on any
failure. Uses only the Python standard library.
"""

import base64
import json
import subprocess
import sys

NOW = 1_700_000_000
KEY = "this is the key"
WRONG_KEY = "this is not the key"
LOCATION = "http://example.org/"
TP_LOCATION = "http://auth.mybank/"
CAVEAT_KEY = "this is the caveat key"
PREDICATE = "account = 3735928559"

# caveat-token's format names, by peer format name.
FORMATS = {"v1": "macaroon-v1", "v2": "macaroon-v2", "v2j": "macaroon-v2j"}
PEER_FORMATS = {"libmacaroons": ["v1"], "gomacaroon": ["v1", "v2", "v2j"]}

# Where caveat-token refuses what a peer may accept (SPEC.md section 11.8): the case's name
# (without the peer and format) -> (caveat-token's error id, the reason).
KNOWN_DIFFERENCES = {
    "two discharges with the same identifier": (
        "dischargeAmbiguous",
        "SPEC 11.8: one cid, two discharges is refused; libmacaroons 0.3.0 takes the last "
        "one, go-macaroon the first (and then refuses the other as unused)",
    ),
    "a supplied discharge that discharges nothing": (
        "dischargeUnused",
        "SPEC 11.8: every supplied discharge must be used; libmacaroons 0.3.0 ignores an "
        "extra one",
    ),
}


class PeerFailure(Exception):
    """A peer program (or the caveat command) failed: not a verdict."""


def run(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    except subprocess.TimeoutExpired as e:
        raise PeerFailure(f"{argv[0]} {argv[1]} timed out") from e
    return out.returncode, out.stdout.strip(), out.stderr.strip()


class Peer:
    def __init__(self, name, binary):
        self.name = name
        self.binary = binary

    def _token(self, *args):
        rc, out, err = run([self.binary, *args])
        if rc != 0:
            raise PeerFailure(f"{self.name} {args[0]} exited {rc}: {out} {err}")
        return out

    def mint(self, fmt, location, key, identifier, predicates=()):
        t = self._token("mint", fmt, location, key, identifier)
        for p in predicates:
            t = self.first(fmt, t, p)
        return t

    def first(self, fmt, token, predicate):
        return self._token("first", fmt, token, predicate)

    def third(self, fmt, token, location, caveat_key, cid):
        return self._token("third", fmt, token, location, caveat_key, cid)

    def bind(self, fmt, token, discharge):
        return self._token("bind", fmt, token, discharge)

    def third_party_count(self, fmt, token):
        return int(self._token("third-party-count", fmt, token))

    def verify(self, fmt, token, key, exact=(), discharges=()):
        """(accepted, reason)."""
        args = ["verify", fmt, token, key, str(NOW)]
        args += [f"exact:{p}" for p in exact] + [f"discharge:{d}" for d in discharges]
        rc, out, err = run([self.binary, *args])
        if rc == 0 and out == "accept":
            return True, None
        if rc == 1 and out.startswith("deny"):
            return False, out
        raise PeerFailure(f"{self.name} verify exited {rc}: {out} {err}")


class Caveat:
    def __init__(self, binary):
        self.binary = binary

    def token(self, *args):
        rc, out, err = run([self.binary, *args])
        if rc != 0:
            raise PeerFailure(f"caveat {args[0]} exited {rc}: {out} {err}")
        return json.loads(out)["token"]

    def mint(self, fmt, location, key, identifier, predicates=(), caveats=()):
        args = ["mint", "--format", FORMATS[fmt], "--id", identifier, "--location", location,
                "--key", key]
        for c in caveats:
            args += ["--caveat", c]
        for p in predicates:
            args += ["--predicate", p]
        return self.token(*args)

    def first(self, token, predicate):
        return self.token("attenuate", token, "--predicate", predicate)

    def third(self, token, location, caveat_key, cid):
        return self.token("attenuate", token, "--third-party", location, "--cid", cid,
                          "--caveat-key", caveat_key)

    def discharge(self, fmt, caveat_key, cid, location="", predicates=(), bind=None):
        args = ["discharge", "--format", FORMATS[fmt], "--caveat-key", caveat_key, "--cid",
                cid, "--location", location]
        for p in predicates:
            args += ["--predicate", p]
        if bind is not None:
            args += ["--bind", bind]
        return self.token(*args)

    def verify(self, token, key, exact=(), discharges=()):
        """(accepted, error id)."""
        args = ["verify", token, "--key", key, "--now", str(NOW)]
        for p in exact:
            args += ["--exact", p]
        for d in discharges:
            args += ["--discharge", d]
        rc, out, err = run([self.binary, *args])
        if rc == 0:
            return True, None
        if rc == 1:
            return False, json.loads(out)["error"]["id"]
        raise PeerFailure(f"caveat verify exited {rc}: {out} {err}")


# ------------------------------------------------------------------------- tampering


def b64decode(text):
    """Either alphabet, padded or not."""
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def b64encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def flip_in(fmt, token, needle):
    """The token with the low bit of the last byte of `needle` flipped (a caveat's bytes)."""
    if fmt == "v2j":
        doc = json.loads(token)
        text = json.dumps(doc, separators=(",", ":"))
        at = text.index(json.dumps(needle)[1:-1]) + len(needle) - 1
        return text[:at] + chr(ord(text[at]) ^ 1) + text[at + 1:]
    data = bytearray(b64decode(token))
    at = data.index(needle.encode()) + len(needle) - 1
    data[at] ^= 1
    return b64encode(bytes(data))


def flip_signature(fmt, token):
    """The token with one bit of its signature flipped."""
    if fmt == "v2j":
        doc = json.loads(token)
        key = "s64" if "s64" in doc else "s"
        sig = bytearray(b64decode(doc[key]))
        sig[0] ^= 1
        doc[key] = b64encode(bytes(sig))
        return json.dumps(doc, separators=(",", ":"))
    data = bytearray(b64decode(token))
    # V1 ends "signature <32 bytes>\n", V2 ends with the 32 bytes.
    data[-2 if fmt == "v1" else -1] ^= 1
    return b64encode(bytes(data))


# ------------------------------------------------------------------------- the cases


class Differential:
    def __init__(self, caveat, peers):
        self.caveat = caveat
        self.peers = peers
        self.passed = 0
        self.failed = 0
        self.known = 0

    def ok(self, line):
        self.passed += 1
        print(f"ok    {line}")

    def fail(self, line):
        self.failed += 1
        print(f"FAIL  {line}")

    def case(self, peer, fmt, name, expect, token, key=KEY, exact=(), discharges=()):
        """Both verify `token`; both must give the verdict `expect` (True: accept)."""
        label = f"{peer.name} {fmt} {name}"
        try:
            ours, err = self.caveat.verify(token, key, exact, discharges)
            theirs, why = peer.verify(fmt, token, key, exact, discharges)
        except PeerFailure as e:
            self.fail(f"{label}: {e}")
            return
        verdict = {True: "accept", False: "reject"}
        if name in KNOWN_DIFFERENCES:
            want, reason = KNOWN_DIFFERENCES[name]
            if not ours and err == want and not theirs:
                self.ok(f"{label}: both reject ({err})")
            elif not ours and err == want:
                self.known += 1
                self.ok(f"{label}: caveat-token rejects ({err}), {peer.name} accepts; "
                        f"known difference: {reason}")
            else:
                self.fail(f"{label}: caveat-token should reject with {want}, got "
                          f"{'accept' if ours else err}")
            return
        if ours == theirs == expect:
            self.ok(f"{label}: both {verdict[ours]}" + (f" ({err})" if err else ""))
        else:
            self.fail(f"{label}: expected {verdict[expect]}; caveat-token {verdict[ours]}s"
                      f" ({err}), {peer.name} {verdict[theirs]}s ({why})")

    def attempt(self, label, fn):
        """Runs the minting part of a group; a failure there fails the group, not the run."""
        try:
            fn()
        except PeerFailure as e:
            self.fail(f"{label}: {e}")

    # ------------------------------------------------------------ peer mints, caveat-token too

    def peer_mints(self, peer, fmt):
        ct = self.caveat

        def first_party():
            t = peer.mint(fmt, LOCATION, KEY, "keyid", [PREDICATE])
            self.case(peer, fmt, "peer: exact predicate", True, t, exact=[PREDICATE])
            self.case(peer, fmt, "peer: predicate unsatisfied", False, t)
            self.case(peer, fmt, "peer: other predicate", False, t, exact=["account = 1"])
            self.case(peer, fmt, "peer: wrong key", False, t, key=WRONG_KEY, exact=[PREDICATE])
            both = [PREDICATE, "account = 3735928558"]
            self.case(peer, fmt, "peer: a caveat bit flipped", False,
                      flip_in(fmt, t, PREDICATE), exact=both)
            self.case(peer, fmt, "peer: a signature bit flipped", False,
                      flip_signature(fmt, t), exact=both)
            e = peer.mint(fmt, "", KEY, "keyid", [PREDICATE])
            self.case(peer, fmt, "peer: empty location", True, e, exact=[PREDICATE])
            # caveat-token attenuates the peer's token.
            a = ct.first(t, "user = alice")
            self.case(peer, fmt, "peer, attenuated by caveat-token", True, a,
                      exact=[PREDICATE, "user = alice"])
            self.case(peer, fmt, "peer, attenuated by caveat-token, unsatisfied", False, a,
                      exact=[PREDICATE])

        def general():
            for delta, expect in [(10, True), (0, False)]:
                t = peer.mint(fmt, LOCATION, KEY, "keyid", [f"time < {NOW + delta}"])
                self.case(peer, fmt, f"peer: time < now{delta:+d}", expect, t)

        def third_party(tp_location, what):
            root = peer.mint(fmt, LOCATION, KEY, "keyid", [PREDICATE])
            root = peer.third(fmt, root, tp_location, CAVEAT_KEY, "cid one")
            d = peer.mint(fmt, tp_location, CAVEAT_KEY, "cid one", ["user = alice"])
            bound = peer.bind(fmt, root, d)
            wrong = peer.bind(fmt, root, peer.mint(fmt, "", "not the caveat key", "cid one"))
            both = [PREDICATE, "user = alice"]
            name = f"peer: third-party{what}"
            self.case(peer, fmt, f"{name}, bound discharge", True, root, exact=both,
                      discharges=[bound])
            self.case(peer, fmt, f"{name}, discharge unsatisfied", False, root,
                      exact=[PREDICATE], discharges=[bound])
            self.case(peer, fmt, f"{name}, no discharge", False, root, exact=both)
            self.case(peer, fmt, f"{name}, unbound discharge", False, root, exact=both,
                      discharges=[d])
            self.case(peer, fmt, f"{name}, discharge with the wrong key", False, root,
                      exact=both, discharges=[wrong])
            self.case(peer, fmt, f"{name}, a discharge bit flipped", False, root,
                      exact=both + ["user = alicd"],
                      discharges=[flip_in(fmt, bound, "user = alice")])
            self.case(peer, fmt, f"{name}, wrong root key", False, root, key=WRONG_KEY,
                      exact=both, discharges=[bound])
            # caveat-token mints the discharge for the peer's caveat.
            ours = ct.discharge(fmt, CAVEAT_KEY, "cid one", tp_location, ["user = alice"],
                                bind=root)
            self.case(peer, fmt, f"{name}, discharge minted by caveat-token", True, root,
                      exact=both, discharges=[ours])

        def stricter():
            root = peer.mint(fmt, LOCATION, KEY, "keyid")
            root = peer.third(fmt, root, TP_LOCATION, CAVEAT_KEY, "cid one")
            good = peer.bind(fmt, root, peer.mint(fmt, TP_LOCATION, CAVEAT_KEY, "cid one"))
            other = peer.bind(fmt, root, peer.mint(fmt, TP_LOCATION, CAVEAT_KEY, "cid one",
                                                   ["user = alice"]))
            self.case(peer, fmt, "two discharges with the same identifier", False, root,
                      exact=["user = alice"], discharges=[good, other])
            extra = peer.bind(fmt, root, peer.mint(fmt, "", "k", "extra"))
            self.case(peer, fmt, "a supplied discharge that discharges nothing", False, root,
                      discharges=[good, extra])

        self.attempt(f"{peer.name} {fmt} peer: first-party", first_party)
        self.attempt(f"{peer.name} {fmt} peer: general", general)
        self.attempt(f"{peer.name} {fmt} peer: third-party",
                     lambda: third_party(TP_LOCATION, ""))
        self.attempt(f"{peer.name} {fmt} peer: third-party, empty location",
                     lambda: third_party("", " with an empty location"))
        self.attempt(f"{peer.name} {fmt} peer: stricter", stricter)

    # ------------------------------------------------------------ caveat-token mints, peer too

    def caveat_mints(self, peer, fmt):
        ct = self.caveat

        def first_party():
            t = ct.mint(fmt, LOCATION, KEY, "keyid", [PREDICATE])
            self.case(peer, fmt, "ct: exact predicate", True, t, exact=[PREDICATE])
            self.case(peer, fmt, "ct: predicate unsatisfied", False, t)
            self.case(peer, fmt, "ct: wrong key", False, t, key=WRONG_KEY, exact=[PREDICATE])
            both = [PREDICATE, "account = 3735928558"]
            self.case(peer, fmt, "ct: a caveat bit flipped", False,
                      flip_in(fmt, t, PREDICATE), exact=both)
            self.case(peer, fmt, "ct: a signature bit flipped", False,
                      flip_signature(fmt, t), exact=both)
            e = ct.mint(fmt, "", KEY, "keyid", [PREDICATE])
            self.case(peer, fmt, "ct: empty location", True, e, exact=[PREDICATE])
            if fmt == "v2j":
                # An empty `l`, as caveat-token writes a V2 empty location field in V2J.
                doc = json.loads(e)
                doc = {"v": doc.pop("v"), "l": "", **doc}
                self.case(peer, fmt, "ct: empty l field", True,
                          json.dumps(doc, separators=(",", ":")), exact=[PREDICATE])
            # The peer attenuates caveat-token's token.
            a = peer.first(fmt, t, "user = alice")
            self.case(peer, fmt, "ct, attenuated by the peer", True, a,
                      exact=[PREDICATE, "user = alice"])

        def general():
            for delta, expect in [(10, True), (0, False)]:
                typed = json.dumps({"type": "time", "validUntil": NOW + delta})
                t = ct.mint(fmt, LOCATION, KEY, "keyid", caveats=[typed])
                self.case(peer, fmt, f"ct: typed time caveat, now{delta:+d}", expect, t)

        def third_party(tp_location, what):
            root = ct.third(ct.mint(fmt, LOCATION, KEY, "keyid", [PREDICATE]), tp_location,
                            CAVEAT_KEY, "cid one")
            bound = ct.discharge(fmt, CAVEAT_KEY, "cid one", tp_location, ["user = alice"],
                                 bind=root)
            unbound = ct.discharge(fmt, CAVEAT_KEY, "cid one", tp_location, ["user = alice"])
            wrong = ct.discharge(fmt, "not the caveat key", "cid one", bind=root)
            both = [PREDICATE, "user = alice"]
            name = f"ct: third-party{what}"
            # The peer sees the caveat as third-party (libmacaroons 0.3.0 lists one only when
            # it has both a vid and a cl packet in V1).
            count = peer.third_party_count(fmt, root)
            if count == 1:
                self.ok(f"{peer.name} {fmt} {name}: the peer lists 1 third-party caveat")
            else:
                self.fail(f"{peer.name} {fmt} {name}: the peer lists {count} third-party "
                          "caveats, not 1")
            self.case(peer, fmt, f"{name}, bound discharge", True, root, exact=both,
                      discharges=[bound])
            self.case(peer, fmt, f"{name}, discharge unsatisfied", False, root,
                      exact=[PREDICATE], discharges=[bound])
            self.case(peer, fmt, f"{name}, no discharge", False, root, exact=both)
            self.case(peer, fmt, f"{name}, unbound discharge", False, root, exact=both,
                      discharges=[unbound])
            self.case(peer, fmt, f"{name}, discharge with the wrong key", False, root,
                      exact=both, discharges=[wrong])
            self.case(peer, fmt, f"{name}, a discharge bit flipped", False, root,
                      exact=both + ["user = alicd"],
                      discharges=[flip_in(fmt, bound, "user = alice")])
            self.case(peer, fmt, f"{name}, wrong root key", False, root, key=WRONG_KEY,
                      exact=both, discharges=[bound])
            # The peer binds caveat-token's discharge.
            theirs = peer.bind(fmt, root, unbound)
            self.case(peer, fmt, f"{name}, discharge bound by the peer", True, root,
                      exact=both, discharges=[theirs])

        self.attempt(f"{peer.name} {fmt} ct: first-party", first_party)
        self.attempt(f"{peer.name} {fmt} ct: general", general)
        self.attempt(f"{peer.name} {fmt} ct: third-party", lambda: third_party(TP_LOCATION, ""))
        self.attempt(f"{peer.name} {fmt} ct: third-party, empty location",
                     lambda: third_party("", " with an empty location"))


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    caveat = Caveat(sys.argv[1])
    peers = []
    for arg in sys.argv[2:]:
        name, _, binary = arg.partition("=")
        if name not in PEER_FORMATS or not binary:
            print(f"unknown peer {arg!r}; peers: {', '.join(PEER_FORMATS)}")
            return 2
        peers.append(Peer(name, binary))
    d = Differential(caveat, peers)
    for peer in peers:
        for fmt in PEER_FORMATS[peer.name]:
            d.peer_mints(peer, fmt)
            d.caveat_mints(peer, fmt)
    print(f"peer differential: {d.known} known differences (caveat-token stricter)")
    print(f"{d.passed} passed, {d.failed} failed")
    return 1 if d.failed else 0


if __name__ == "__main__":
    sys.exit(main())
