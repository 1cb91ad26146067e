"""The Onedata format and profile (SPEC.md §10), from the specification alone."""

import hmac
import re

from common import Failure, b64_strict, bad, chain, too_large
import caveats
import native

DEFAULT_LIMITS = {"max_token_bytes": 16384, "max_caveats": 256, "max_caveat_bytes": 1024,
                  "max_identifier_bytes": 2048}
ESCAPES = {"0": "0", "1": "_", "2": "-", "3": "/", "4": "+", "5": "="}
CODES = ["ujg", "gjg", "ujs", "gjs", "hjs", "ssp", "rop", "ujc", "gjc", "ujh", "gjh", "sjh",
         "uji", "gji"]
DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")


def unescape(text):
    """SPEC.md §10.1.1 step 3."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "0":
            if i + 1 >= len(text) or text[i + 1] not in ESCAPES:
                raise bad("invalid escape")
            out.append(ESCAPES[text[i + 1]])
            i += 2
            continue
        if c in "_-/+=":
            raise bad("unescaped character")
        if not (c.isascii() and (c.isalpha() or c in "123456789")):
            raise bad("invalid character")
        out.append(c)
        i += 1
    return "".join(out)


def escape(b64):
    inverse = {v: "0" + k for k, v in ESCAPES.items()}
    return "".join(inverse.get(c, c) for c in b64)


def packets(binary, limits):
    """SPEC.md §10.1.2, one packet at a time: (location, identifier, cids, signature)."""
    if len(binary) > limits["max_token_bytes"]:
        raise too_large("size", limits["max_token_bytes"])
    pos, n = 0, 0
    location = identifier = signature = None
    cids = []
    while pos < len(binary):
        if len(binary) - pos < 4:
            raise bad("truncated packet length")
        digits = binary[pos:pos + 4]
        if not re.match(rb"^[0-9a-f]{4}$", digits):
            raise bad("packet length must be 4 lowercase hex digits")
        length = int(digits, 16)
        if length < 6:
            raise bad("packet too short")
        if pos + length > len(binary):
            raise bad("packet length exceeds the input")
        body = binary[pos + 4:pos + length]
        if body[-1:] != b"\n":
            raise bad("packet does not end with a newline")
        key, space, value = body[:-1].partition(b" ")
        if not space:
            raise bad("packet has no key")
        pos += length
        if signature is not None:
            raise bad("data after the signature packet")
        if n == 0 and key not in (b"location", b"identifier"):
            raise bad("missing location packet")
        if n == 1 and key not in (b"location", b"identifier"):
            raise bad("missing identifier packet")
        if key == b"location":
            if n != 0:
                raise bad("duplicate or misplaced location packet")
            location = value
        elif key == b"identifier":
            if n != 1:
                raise bad("duplicate or misplaced identifier packet")
            if len(value) > limits["max_identifier_bytes"]:
                raise too_large("identifierSize", limits["max_identifier_bytes"])
            identifier = value
        elif key == b"cid":
            if len(value) > limits["max_caveat_bytes"]:
                raise too_large("caveatSize", limits["max_caveat_bytes"])
            cids.append(value)
            if len(cids) > limits["max_caveats"]:
                raise too_large("caveats", limits["max_caveats"])
        elif key in (b"vid", b"cl"):
            raise bad("third-party caveats are not supported")
        elif key == b"signature":
            signature = value
        else:
            raise bad("unknown packet key")
        n += 1
    if identifier is None:
        raise bad("missing identifier packet")
    if signature is None:
        raise bad("missing signature packet")
    if len(signature) != 32:
        raise bad("signature must be 32 bytes")
    return location, identifier, cids, signature


def parse_identifier(text):
    """SPEC.md §10.1.4: the identifier's fields, as native.decode_identifier gives them."""
    fields = text.split("/")
    if len(fields) != 5 or fields[0] != "2":
        raise bad("identifier")
    _, persistence, subject, kind, token_id = fields
    generation = None
    if persistence.startswith("tmp-") and DECIMAL.match(persistence[4:]) \
            and int(persistence[4:]) < 1 << 64:
        generation = int(persistence[4:])
    elif persistence != "nmd":
        raise bad("persistence")
    if subject[:4] not in ("usr-", "prv-") or not caveats.ID.match(subject[4:]):
        raise bad("subject")
    if not caveats.ID.match(token_id):
        raise bad("bad token id")
    if kind == "act":
        ty = ("access", native.type_json("access"))
    elif kind.startswith("act:") and caveats.ID.match(kind[4:]):
        ty = ("access", native.type_json("access", kind[4:]))
    elif kind == "idn":
        ty = ("identity", native.type_json("identity"))
    else:
        parts = kind.split(":")
        if (len(parts) != 3 or parts[0] not in CODES or not caveats.ID.match(parts[1])
                or not (parts[2] == "" or caveats.ID.match(parts[2]))):
            raise bad("token type")
        invite = caveats.INVITE_TYPES[CODES.index(parts[0])]
        ty = ("invite", native.type_json("invite", None, invite, parts[1], parts[2]))
    return {"keyId": None, "id": token_id, "subject": subject, "class": ty[0], "type": ty[1],
            "generation": generation, "typeText": kind, "persistenceText": persistence}


def decode(text, limits=DEFAULT_LIMITS):
    """SPEC.md §10.1: (location, identifier bytes, cids, signature, fields)."""
    if len(text) > 2 * 4 * -(-limits["max_token_bytes"] // 3):
        raise too_large("size", limits["max_token_bytes"])
    if text == "":
        raise bad("empty input")
    if not text.startswith("MD"):
        raise bad("unknown token format")
    raw = b64_strict(unescape(text))
    if raw is None:
        raise bad("invalid base64url")
    location, identifier, cids, signature = packets(raw, limits)
    if not native.is_location(location.decode("latin-1")):
        raise bad("location breaks the charset or length rules")
    try:
        fields = parse_identifier(identifier.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad("identifier is not UTF-8")
    return location, identifier, cids, signature, fields


def encode(location, identifier, cids, signature):
    import base64
    pk = lambda k, v: b"%04x" % (4 + len(k) + 1 + len(v) + 1) + k + b" " + v + b"\n"
    binary = pk(b"location", location) + pk(b"identifier", identifier) + b"".join(
        pk(b"cid", c) for c in cids) + pk(b"signature", signature)
    return escape(base64.urlsafe_b64encode(binary).decode().rstrip("="))


def caveat_of(text_bytes):
    """SPEC.md §10.2: the canonical JSON of a cid's text, or None (not canonical, not UTF-8)."""
    try:
        text = text_bytes.decode("utf-8")
        c = caveats.from_text(text)
    except (UnicodeDecodeError, Failure):
        return None
    return c if caveats.to_text(c) == text else None


def verify(text, secret, ctx, verifier):
    """SPEC.md §10.4 with a seed.json context (SPEC.md §10.9)."""
    location, identifier, cids, signature, fields = decode(text)
    if not hmac.compare_digest(chain(secret, identifier, cids)[-1], signature):
        raise Failure("tokenInvalid")
    native.expectation(fields, ctx.get("expect"))
    status = ctx.get("namedStatus")
    if fields["generation"] is None and status is not None:
        if status == "revoked":
            raise Failure("tokenRevoked")
        if status == "unknown":
            raise Failure("tokenInvalid")
    current = ctx.get("currentGeneration")
    if fields["generation"] is not None and current is not None:
        if current > fields["generation"]:
            raise Failure("tokenRevoked")
        if current < fields["generation"]:
            raise Failure("tokenInvalid")
    found = []
    for index, cid in enumerate(cids):
        caveat = caveat_of(cid)
        if caveat is None:
            raise Failure("tokenCaveatUnknown",
                          {"index": index, "caveat": cid.decode("utf-8", "replace")})
        native.clear(index, caveat, fields, ctx, verifier)
        found.append(caveat)
    native.require_time(fields, any(c["type"] == "time" for c in found))
    api = ctx.get("api")
    if api is not None:
        operation = f"{api['service']}/{api['operation']}/{api['gri']}"
        for index, caveat in enumerate(found):
            if caveat["type"] == "api" and not caveats.api_allows(
                    caveat, api["service"], api["operation"], api["gri"]):
                raise Failure("tokenCaveatUnverified",
                              {"index": index, "caveat": caveat,
                               "reason": "operationNotAllowed", "operation": operation})
    return "ok"


def outcome(run):
    try:
        return run()
    except Failure as f:
        return {"error": {"id": f.id, "details": f.details}}


def same(got, expected):
    """Outcomes agree; badToken's reason is informative (SPEC.md §8)."""
    strip = lambda o: {"error": {"id": "badToken"}} if isinstance(o, dict) and o.get(
        "error", {}).get("id") == "badToken" else o
    return strip(got) == strip(expected)


def check_seed(document):
    """onedata/seed.json (SPEC.md §10.9): (count, problems)."""
    problems, count = [], 0
    secret = document["secret"].encode()
    verifier = {"geo": document["geo"], "groups": document["groups"],
                "predicates": ["example.com/action"], "leeway": 0}
    for c in document["caveats"]:
        count += 1
        got = caveats.from_json(c["json"])
        if got != c["json"] or caveats.to_text(got) != c["text"] \
                or caveats.to_native(got).hex() != c["nativeHex"] \
                or caveats.from_native(bytes.fromhex(c["nativeHex"])) != c["json"] \
                or caveats.from_text(c["text"]) != c["json"]:
            problems.append(f"caveat {c['name']}: forms differ")
    for t in document["tokens"]:
        count += 1
        location, identifier, cids, signature, _ = decode(t["token"])
        if identifier.decode() != t["identifier"] or [c.decode() for c in cids] != t["caveats"] \
                or signature.hex() != t["signatureHex"]:
            problems.append(f"{t['name']}: fields differ")
        ctx = dict(t["context"])
        v = dict(verifier, leeway=0)
        got = outcome(lambda: verify(t["token"], secret, ctx, v))
        if not same(got, t["expected"]):
            problems.append(f"{t['name']}: got {got}, expected {t['expected']}")
    for i in document["issuance"]:
        count += 1
        ends = [c["validUntil"] for c in i["caveats"] if c["type"] == "time"]
        ok = bool(ends) and 0 < min(ends) - i["now"] <= i["maxTtl"]
        got = "ok" if ok else {"error": {"id": "tokenTimeCaveatRequired",
                                         "details": {"maxTtl": i["maxTtl"]}}}
        if got != i["expected"]:
            problems.append(f"issuance {i}: got {got}")
    return count, problems


def check_decoding(document):
    problems = []
    secret = document["secret"].encode()
    verifier = {"predicates": [], "leeway": 0}
    for v in document["vectors"]:
        got = outcome(lambda: verify(v["token"], secret, {"now": document["now"]}, verifier))
        if not same(got, v["expected"]):
            problems.append(f"{v['name']}: got {got}, expected {v['expected']}")
        if v["binary_hex"] is not None:
            import base64
            b64 = base64.urlsafe_b64encode(bytes.fromhex(v["binary_hex"])).decode().rstrip("=")
            if escape(b64) != v["token"]:
                problems.append(f"{v['name']}: binary_hex is not the token's binary")
    return len(document["vectors"]), problems


def check_compat(document):
    """onedata/compat-20.02.json (SPEC.md §10.9)."""
    problems = []
    for n, v in enumerate(document["vectors"]):
        name = f"#{n} {v['identifier']}"
        location, identifier, cids, signature, fields = decode(v["token"])
        parsed = v["parsed_identifier"]
        subject = {"usr": "user", "prv": "oneprovider"}[fields["subject"][:3]]
        mine = {"version": 2,
                "persistence": "named" if fields["generation"] is None else "temporary",
                "generation": fields["generation"],
                "subject": {"type": subject, "id": fields["subject"][4:]},
                "type": fields["typeText"], "id": fields["id"]}
        if mine != parsed:
            problems.append(f"{name}: parsed {mine}")
        if location.decode() != v["location"] or identifier.decode() != v["identifier"] \
                or [c.decode() for c in cids] != v["caveats"] \
                or signature.hex() != v["signature_hex"]:
            problems.append(f"{name}: fields differ")
        secret = v["secret"].encode()
        if chain(secret, identifier, cids)[-1] != signature:
            problems.append(f"{name}: signature does not verify")
        if chain(secret + b"x", identifier, cids)[-1] == signature:
            problems.append(f"{name}: verifies with another secret")
        if encode(location, identifier, cids, signature) != v["token"]:
            problems.append(f"{name}: does not re-encode to the same text")
        for c in cids:
            if caveat_of(c) is None:
                problems.append(f"{name}: caveat {c!r} is not canonical")
    return len(document["vectors"]), problems
