"""A minimal, independent verifier written from spec/SPEC.md alone (Python 3 standard library).

It exists to show that the specification is sufficient: it decodes, verifies and clears every
token vector in spec/vectors/ (SPEC.md §9) without sharing any code with the Rust crate, and
compares the outcome with "expected" (error ids and details, except badToken's informative
"reason" and the JSON form of an unverified caveat, which it does not rebuild).

    python3 spec/reference/verify_vectors.py [VECTOR_DIR]

Exit status 0 when every vector agrees. Not a production verifier.
"""

import base64
import glob
import hashlib
import hmac
import ipaddress
import json
import os
import re
import sys

KEY_GENERATOR = b"macaroons-key-generator"
INVITE_TYPES = [
    "userJoinGroup", "groupJoinGroup", "userJoinSpace", "groupJoinSpace", "harvesterJoinSpace",
    "supportSpace", "registerOneprovider", "userJoinCluster", "groupJoinCluster",
    "userJoinHarvester", "groupJoinHarvester", "spaceJoinHarvester", "userJoinAtmInventory",
    "groupJoinAtmInventory",
]
ID = re.compile(r"^[A-Za-z0-9\-._~@+=]{1,255}$")
APP_NAME = re.compile(r"^[a-z0-9._\-]+/[a-z0-9._\-]+$")
BASE64URL = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class Failure(Exception):
    def __init__(self, id, details=None):
        super().__init__(id)
        self.id = id
        self.details = details or {}


def bad(reason):
    return Failure("badToken", {"reason": reason})


class Reader:
    """The CBOR subset of SPEC.md §1.3."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def left(self):
        return len(self.data) - self.pos

    def take(self, n):
        if n > self.left():
            raise bad("truncated")
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def head(self, major):
        initial = self.take(1)[0]
        if initial >> 5 != major:
            raise bad("unexpected CBOR type")
        info = initial & 31
        if info < 24:
            return info
        if info in (24, 25, 26, 27):
            size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
            value = int.from_bytes(self.take(size), "big")
            if value < {24: 24, 25: 1 << 8, 26: 1 << 16, 27: 1 << 32}[info]:
                raise bad("non-minimal integer encoding")
            return value
        raise bad("indefinite length or reserved additional information")

    def uint(self):
        return self.head(0)

    def array(self):
        return self.head(4)

    def bytes(self, limit=None):
        n = self.head(2)
        if n > self.left():
            raise bad("truncated")
        if limit is not None and n > limit:
            raise bad("string longer than allowed")
        return self.take(n)

    def text(self, limit):
        n = self.head(3)
        if n > self.left():
            raise bad("truncated")
        if n > limit:
            raise bad("string longer than allowed")
        try:
            return self.take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise bad("invalid UTF-8 in text string")

    def null(self):
        if self.left() and self.data[self.pos] == 0xF6:
            self.pos += 1
            return True
        return False

    def end(self):
        if self.left():
            raise bad("trailing bytes")


def is_id(s):
    return ID.match(s) is not None


def is_location(s):
    return 1 <= len(s.encode()) <= 255 and all(0x21 <= ord(c) <= 0x7E for c in s)


def decode_identifier(data):
    """SPEC.md §4.2–§4.3; returns the key id and the subject."""
    r = Reader(data)
    if r.array() != 6:
        raise bad("identifier is not an array of 6")
    location = r.text(255)
    key_id = None if r.null() else r.text(255)
    token_id = r.text(255)
    if r.array() != 2:
        raise bad("subject")
    kind = r.uint()
    if kind not in (0, 1):
        raise bad("unknown subject kind")
    subject_id = r.text(255)
    ids = [token_id, subject_id] + ([key_id] if key_id is not None else [])
    params = ""
    n, token_type = r.array(), r.uint()
    if (token_type, n) == (0, 2):
        ids.append(r.text(255))
    elif (token_type, n) == (2, 4):
        if r.uint() > 13:
            raise bad("unknown invite type")
        ids.append(r.text(255))
        params = r.text(255)
    elif (token_type, n) not in ((0, 1), (1, 1)):
        raise bad("unknown token type")
    n, persistence = r.array(), r.uint()
    if (persistence, n) == (1, 2):
        r.uint()
    elif (persistence, n) != (0, 1):
        raise bad("unknown persistence")
    r.end()
    if not (is_location(location) and all(map(is_id, ids)) and (params == "" or is_id(params))):
        raise bad("identifier field breaks the charset or length rules")
    return key_id, ("usr-" if kind == 0 else "prv-") + subject_id


def base64url_strict(body):
    """SPEC.md §4.4: unpadded, URL-safe alphabet, canonical."""
    data = body.encode()
    if any(c not in BASE64URL for c in data) or len(data) % 4 == 1:
        raise bad("invalid base64url")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != body:
        raise bad("invalid base64url (non-zero trailing bits)")
    return raw


def decode(text, limits):
    """SPEC.md §4.5."""
    max_bytes = limits["max_token_bytes"]
    too_large = lambda limit, m: Failure("tokenTooLarge", {"limit": limit, "max": m})
    if len(text) > 5 + 4 * -(-max_bytes // 3):
        raise too_large("size", max_bytes)
    if text == "":
        raise bad("empty input")
    if text.startswith("cvt1_"):
        raw = base64url_strict(text[5:])
    elif re.match(r"^cvt[0-9]+_", text):
        raise bad("unsupported version")
    else:
        raise bad("unknown token format")
    if len(raw) > max_bytes:
        raise too_large("size", max_bytes)
    r = Reader(raw)
    if r.array() != 4:
        raise bad("envelope is not an array of 4")
    if r.uint() != 1:
        raise bad("unsupported version")
    identifier = r.bytes()
    if len(identifier) > limits["max_identifier_bytes"]:
        raise too_large("identifierSize", limits["max_identifier_bytes"])
    n = r.array()
    if n > r.left():
        raise bad("truncated")
    if n > limits["max_caveats"]:
        raise too_large("caveats", limits["max_caveats"])
    caveats = []
    for _ in range(n):
        caveat = r.bytes()
        if len(caveat) > limits["max_caveat_bytes"]:
            raise too_large("caveatSize", limits["max_caveat_bytes"])
        caveats.append(caveat)
    tag = r.bytes()
    if len(tag) != 32:
        raise bad("tag must be 32 bytes")
    r.end()
    key_id, subject = decode_identifier(identifier)
    return identifier, caveats, tag, key_id, subject


def chain_tags(root_key, identifier, caveats):
    """SPEC.md §6.1–§6.3: tag_0 … tag_n."""
    mac = lambda key, msg: hmac.new(key, msg, hashlib.sha256).digest()
    tags = [mac(mac(KEY_GENERATOR, root_key), identifier)]
    for caveat in caveats:
        tags.append(mac(tags[-1], caveat))
    return tags


def decode_caveat(data):
    """SPEC.md §5; None when the caveat is not understood."""
    try:
        r = Reader(data)
        n, kind = r.array(), r.uint()
        if (kind, n) == (0, 2):
            caveat = ("time", r.uint())
        elif (kind, n) == (1, 2):
            count = r.array()
            if not 1 <= count <= 64:
                return None
            networks = []
            for _ in range(count):
                entry = r.bytes(17)
                if len(entry) not in (5, 17) or entry[-1] > 8 * (len(entry) - 1):
                    return None
                address = ipaddress.ip_address(entry[:-1])
                networks.append(ipaddress.ip_network((address, entry[-1]), strict=False))
            caveat = ("ip", networks)
        elif (kind, n) == (2, 2):
            codes = [r.uint() for _ in range(r.array())]
            if not 1 <= len(codes) <= 14 or len(set(codes)) != len(codes) or max(codes) > 13:
                return None
            caveat = ("inviteType", [INVITE_TYPES[c] for c in codes])
        elif (kind, n) == (3, 3):
            name, value = r.text(64), r.text(255)
            if not (3 <= len(name) and APP_NAME.match(name)):
                return None
            if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
                return None
            caveat = ("app", (name, value))
        else:
            return None
        r.end()
        return caveat
    except Failure:
        return None


def canonical(address):
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def verify(vector):
    """SPEC.md §6.4 with the vector's verifier settings and context (SPEC.md §9.1)."""
    settings, context = vector["verifier"], vector["context"]
    identifier, caveats, tag, key_id, subject = decode(vector["token"], settings["limits"])
    keys = settings["keys"]
    key = keys["default"] if key_id is None else keys["by_id"].get(key_id)
    if key is None:
        raise Failure("tokenInvalid")
    if not hmac.compare_digest(chain_tags(bytes.fromhex(key), identifier, caveats)[-1], tag):
        raise Failure("tokenInvalid")
    expires = None
    for index, data in enumerate(caveats):
        caveat = decode_caveat(data)
        if caveat is None:
            raise Failure("tokenCaveatUnknown", {"index": index, "caveat": data.hex()})
        kind, value = caveat
        if kind == "time":
            expires = value if expires is None else min(expires, value)
            end = value + settings["leeway"]
            holds = end < 1 << 64 and context["now"] < end
        elif kind == "ip":
            ip = context["ip"]
            client = None if ip is None else canonical(ipaddress.ip_address(ip))
            holds = client is not None and any(
                n.version == client.version and client in n for n in value
            )
        elif kind == "inviteType":
            holds = context["inviteType"] in value
        else:
            name, text = value
            if name not in settings["predicates"]:
                as_json = json.dumps(
                    {"type": "app", "name": name, "value": text},
                    separators=(",", ":"),
                    ensure_ascii=False,
                )
                raise Failure("tokenCaveatUnknown", {"index": index, "caveat": as_json})
            holds = context["attributes"].get(name) == text
        if not holds:
            raise Failure("tokenCaveatUnverified", {"index": index})
    return {"ok": True, "expires": expires, "subject": subject}


def check(vector):
    """The problems with one vector, as a list of strings."""
    problems = []
    tags = chain_tags(
        bytes.fromhex(vector["key_hex"]),
        bytes.fromhex(vector["identifier_hex"]),
        [bytes.fromhex(c["hex"]) for c in vector["caveats"]],
    )
    if [t.hex() for t in tags] != vector["tags"]:
        problems.append("tags differ")
    expected = vector["expected"]
    try:
        outcome = verify(vector)
        if outcome != expected:
            problems.append(f"got {outcome}, expected {expected}")
    except Failure as failure:
        want = dict(expected.get("details", {}))
        got = dict(failure.details)
        if failure.id == "tokenCaveatUnverified":
            want.pop("caveat", None)
        if failure.id == "badToken":
            want.pop("reason", None)
            got.pop("reason", None)
        if expected.get("error") != failure.id or want != got:
            problems.append(f"got {failure.id} {failure.details}, expected {expected}")
    return problems


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    directory = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "vectors")
    count, failures = 0, 0
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        if document.get("schema") != "caveat-token/token-vectors/1":
            continue
        for vector in document["vectors"]:
            count += 1
            for problem in check(vector):
                failures += 1
                print(f"{os.path.basename(path)}: {vector['name']}: {problem}")
    print(f"{count} token vectors, {failures} failures")
    return 1 if failures or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
