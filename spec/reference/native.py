"""The native format (SPEC.md §3–§4) and the verifier of §6.4, from the specification alone."""

import hmac
import json
import re

from common import Failure, Reader, b64_strict, bad, chain, excerpt, too_large
import caveats

ID = caveats.ID
TARGET_KINDS = ["groupId", "groupId", "spaceId", "spaceId", "spaceId", "spaceId", "adminUserId",
                "clusterId", "clusterId", "harvesterId", "harvesterId", "harvesterId",
                "atmInventoryId", "atmInventoryId"]


def is_location(s):
    return 1 <= len(s.encode()) <= 255 and all(0x21 <= ord(c) <= 0x7E for c in s)


def type_json(kind, session=None, invite=None, target=None, params=""):
    """SPEC.md §3.1: the JSON `type` of a token."""
    if kind == "access":
        return {"accessToken": {} if session is None else {"sessionId": session}}
    if kind == "identity":
        return {"identityToken": {}}
    code = caveats.INVITE_TYPES.index(invite)
    out = {"inviteType": invite, TARGET_KINDS[code]: target}
    if params:
        out["parameters"] = params
    return {"inviteToken": out}


def decode_identifier(data):
    """SPEC.md §4.2–§4.3: a dict with keyId, subject, kind, type (JSON), persistence."""
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
        session = r.text(255)
        ids.append(session)
        ty = ("access", type_json("access", session))
    elif (token_type, n) == (2, 4):
        code = r.uint()
        if code > 13:
            raise bad("unknown invite type")
        target = r.text(255)
        ids.append(target)
        params = r.text(255)
        ty = ("invite", type_json("invite", None, caveats.INVITE_TYPES[code], target, params))
    elif (token_type, n) == (0, 1):
        ty = ("access", type_json("access"))
    elif (token_type, n) == (1, 1):
        ty = ("identity", type_json("identity"))
    else:
        raise bad("unknown token type")
    n, persistence = r.array(), r.uint()
    generation = None
    if (persistence, n) == (1, 2):
        generation = r.uint()
    elif (persistence, n) != (0, 1):
        raise bad("unknown persistence")
    r.end()
    if not (is_location(location) and all(ID.match(i) for i in ids)
            and (params == "" or ID.match(params))):
        raise bad("identifier field breaks the charset or length rules")
    return {"keyId": key_id, "id": token_id,
            "subject": ("usr-" if kind == 0 else "prv-") + subject_id,
            "class": ty[0], "type": ty[1], "generation": generation}


def base64url_strict(body):
    raw = b64_strict(body)
    if raw is None:
        raise bad("invalid base64url")
    return raw


def decode(text, limits):
    """SPEC.md §4.5."""
    max_bytes = limits["max_token_bytes"]
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
    found = []
    for _ in range(n):
        caveat = r.bytes()
        if len(caveat) > limits["max_caveat_bytes"]:
            raise too_large("caveatSize", limits["max_caveat_bytes"])
        found.append(caveat)
    tag = r.bytes()
    if len(tag) != 32:
        raise bad("tag must be 32 bytes")
    r.end()
    return identifier, found, tag, decode_identifier(identifier)


def expectation(ident, expect):
    """SPEC.md §10.3: the token's type against the request's expectation."""
    if expect is None:
        return
    cls, received = ident["class"], ident["type"]
    if expect == "access" and cls != "access":
        raise Failure("notAnAccessToken", {"received": received})
    if expect == "identity" and cls != "identity":
        raise Failure("notAnIdentityToken", {"received": received})
    if expect.startswith("invite"):
        wanted = expect[len("invite:"):] if expect.startswith("invite:") else None
        if cls != "invite" or (wanted is not None
                               and received["inviteToken"]["inviteType"] != wanted):
            raise Failure("notAnInviteToken", {"expectedInviteType": wanted,
                                               "received": received})


def clear(index, caveat, ident, ctx, verifier, raw_text=None):
    """SPEC.md §6.4 step 6 for one decoded caveat (canonical JSON); a denial's details carry
    its reason and facts (§8)."""
    kind = caveat["type"]
    if kind == "app" and caveat["name"] not in verifier.get("predicates", []):
        compact = json.dumps(caveat, separators=(",", ":"), ensure_ascii=False)
        raise Failure("tokenCaveatUnknown", {"index": index, "caveat": compact})
    # A libmacaroons-format token has no type (class None): every kind is allowed (§11.5).
    if ident["class"] is not None and kind not in caveats.ALLOWED[ident["class"]]:
        why = {"reason": "notAllowedForTokenType", "tokenType": ident["class"]}
    else:
        why = caveats.denial(caveat, ctx, verifier)
    if why is not None:
        raise Failure("tokenCaveatUnverified", dict({"index": index, "caveat": caveat}, **why))


def require_time(ident, own_time):
    """SPEC.md §6.4 step 7: a temporary token without a time caveat of its own."""
    if ident.get("generation") is not None and not own_time:
        raise Failure("tokenTimeCaveatRequired", {"maxTtl": None})


def verify(vector):
    """SPEC.md §6.4 with the vector's verifier settings and context (SPEC.md §9.1)."""
    settings, context = vector["verifier"], vector["context"]
    identifier, found, tag, ident = decode(vector["token"], settings["limits"])
    keys = settings["keys"]
    key = keys["default"] if ident["keyId"] is None else keys["by_id"].get(ident["keyId"])
    if key is None:
        raise Failure("tokenInvalid")
    if not hmac.compare_digest(chain(bytes.fromhex(key), identifier, found)[-1], tag):
        raise Failure("tokenInvalid")
    expectation(ident, context.get("expect"))
    expires = None
    for index, data in enumerate(found):
        caveat = caveats.from_native(data)
        if caveat is None:
            raise Failure("tokenCaveatUnknown", {"index": index, "caveat": excerpt(data)})
        clear(index, caveat, ident, context, settings)
        if caveat["type"] == "time":
            v = caveat["validUntil"]
            expires = v if expires is None else min(expires, v)
    require_time(ident, expires is not None)
    return {"ok": True, "expires": expires, "subject": ident["subject"]}


def check_token_vector(vector):
    """The problems with one vector of schema caveat-token/token-vectors/1 (SPEC.md §9.1)."""
    problems = []
    tags = chain(bytes.fromhex(vector["key_hex"]), bytes.fromhex(vector["identifier_hex"]),
                 [bytes.fromhex(c["hex"]) for c in vector["caveats"]])
    if [t.hex() for t in tags] != vector["tags"]:
        problems.append("tags differ")
    for c in vector["caveats"]:
        if c["json"] is not None:
            if caveats.from_native(bytes.fromhex(c["hex"])) != c["json"]:
                problems.append(f"caveat {c['hex']} does not decode to its JSON")
            if caveats.to_text(c["json"]) != c["text"]:
                problems.append(f"caveat {c['hex']}: text differs")
    expected = vector["expected"]
    try:
        outcome = verify(vector)
        if outcome != expected:
            problems.append(f"got {outcome}, expected {expected}")
    except Failure as failure:
        want = dict(expected.get("details", {}))
        got = dict(failure.details)
        if failure.id == "badToken":
            want.pop("reason", None)
            got.pop("reason", None)
        if expected.get("error") != failure.id or want != got:
            problems.append(f"got {failure.id} {failure.details}, expected {expected}")
    return problems


def check_form(form):
    """One vector of schema caveat-token/caveat-forms/1 (SPEC.md §9.2)."""
    source = form["input"]
    expected = form["expected"]
    try:
        if "json" in source:
            got = caveats.from_json(source["json"])
        elif "json_text" in source:
            got = caveats.from_json_text(source["json_text"])
        else:
            got = caveats.from_text(source["text"])
    except Failure as failure:
        if expected.get("error") != failure.id:
            return [f"got {failure.id} {failure.details}, expected {expected}"]
        if expected["details"]["key"] != failure.details["key"]:
            return [f"error key {failure.details['key']}, expected {expected['details']}"]
        return []
    if "error" in expected:
        return [f"accepted as {got}, expected {expected}"]
    problems = []
    if got != expected["json"]:
        problems.append(f"json {got}")
    if caveats.to_text(got) != expected["text"]:
        problems.append(f"text {caveats.to_text(got)}")
    if caveats.to_native(got).hex() != expected["hex"]:
        problems.append(f"native {caveats.to_native(got).hex()}")
    if caveats.from_native(bytes.fromhex(expected["hex"])) != expected["json"]:
        problems.append("native bytes do not decode back")
    return problems
