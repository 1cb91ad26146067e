"""libmacaroons' V1, V2 and V2J formats, predicates, third-party caveats and discharges
(SPEC.md §11), from the specification alone."""

import hmac
import json
import re

from common import (Failure, KEY_GENERATOR, Reader, STD, URL, b64_strict, bad, excerpt, mac,
                    too_large)
import caveats
import native
import secretbox

LIMITS = {"max_token_bytes": 16384, "max_caveats": 256, "max_caveat_bytes": 1024,
          "max_identifier_bytes": 2048}
MAX_DISCHARGES = 64
MAX_DEPTH = 8
ZERO = bytes(32)


class Macaroon:
    """A decoded token: format, location, identifier, caveats [(cid, vid or None, location)]
    and tag. For the native format, `native` holds the decoded identifier and `raw` each
    caveat's bytes."""

    def __init__(self, fmt, location, identifier, found, tag, fields=None, raw=None):
        self.format, self.location, self.identifier = fmt, location, identifier
        self.caveats, self.tag, self.fields = found, tag, fields
        self.raw = raw if raw is not None else [c[0] for c in found]


def read_base64(text):
    """SPEC.md §11.2: either alphabet, padded or not, canonical."""
    for alphabet in (URL, STD):
        raw = b64_strict(text, (alphabet,), padding=True)
        if raw is not None:
            return raw
    raise bad("invalid base64")


def decode_v1(binary):
    pos, found = 0, []
    while pos < len(binary):
        digits = binary[pos:pos + 4]
        if len(digits) < 4 or not re.match(rb"^[0-9a-f]{4}$", digits):
            raise bad("packet length must be 4 lowercase hex digits")
        length = int(digits, 16)
        if length < 6 or pos + length > len(binary) or binary[pos + length - 1:pos + length] != b"\n":
            raise bad("bad packet")
        key, space, value = binary[pos + 4:pos + length - 1].partition(b" ")
        if not space:
            raise bad("packet has no key")
        found.append((key, value))
        pos += length
    if len(found) < 3 or found[0][0] != b"location" or found[1][0] != b"identifier":
        raise bad("missing location or identifier packet")
    location, identifier = found[0][1], found[1][1]
    cavs, tag = [], None
    for key, value in found[2:]:
        if tag is not None:
            raise bad("data after the signature packet")
        if key == b"cid" and value:
            cavs.append([value, None, b""])
        elif key == b"vid" and value and cavs and cavs[-1][1] is None:
            cavs[-1][1] = value
        elif key == b"cl" and cavs and cavs[-1][1] is not None and cavs[-1][2] == b"":
            cavs[-1][2] = value
        elif key == b"signature":
            tag = value
        else:
            raise bad("unexpected packet")
    if not identifier or tag is None or len(tag) != 32:
        raise bad("identifier or signature")
    return Macaroon("macaroon-v1", location, identifier, [tuple(c) for c in cavs], tag)


def varint(data, pos):
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise bad("truncated or overflowing varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if byte == 0 and shift:
                raise bad("non-minimal varint")
            if value >= 1 << 64:
                raise bad("overflowing varint")
            return value, pos
        shift += 7


def v2_section(data, pos, allowed):
    fields, last = {}, 0
    while True:
        kind, pos = varint(data, pos)
        if kind == 0:
            return fields, pos
        if kind not in allowed or kind <= last:
            raise bad("unknown, misplaced or repeated field")
        length, pos = varint(data, pos)
        if pos + length > len(data):
            raise bad("field beyond the input")
        fields[kind], pos, last = data[pos:pos + length], pos + length, kind


def decode_v2(data):
    if data[:1] != b"\x02":
        raise bad("not V2")
    header, pos = v2_section(data, 1, {1, 2})
    if not header.get(2):
        raise bad("missing identifier")
    cavs = []
    while True:
        if pos >= len(data):
            raise bad("missing end of caveats")
        if data[pos] == 0:
            pos += 1
            break
        fields, pos = v2_section(data, pos, {1, 2, 4})
        if not fields.get(2) or (1 in fields and 4 not in fields) or fields.get(4) == b"":
            raise bad("bad caveat")
        cavs.append((fields[2], fields.get(4), fields.get(1, b"")))
    kind, pos = varint(data, pos)
    length, pos = varint(data, pos) if kind == 6 else (None, pos)
    if kind != 6 or length != 32 or pos + 32 != len(data):
        raise bad("signature")
    return Macaroon("macaroon-v2", header.get(1, b""), header[2], cavs, data[pos:])


def decode_v2j(text):
    def pairs(items):
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            raise bad("repeated key")
        return dict(items)

    try:
        obj = json.loads(text, object_pairs_hook=pairs)
    except ValueError:
        raise bad("not JSON")

    def field(o, name, allowed):
        if set(o) - allowed:
            raise bad("unknown key")
        if name in o and name + "64" in o:
            raise bad("both forms")
        if name in o:
            if not isinstance(o[name], str):
                raise bad("not a string")
            return o[name].encode()
        if name + "64" in o:
            if not isinstance(o[name + "64"], str):
                raise bad("not a string")
            return read_base64(o[name + "64"])
        return None

    top = {"v", "l", "l64", "i", "i64", "c", "s", "s64"}
    if obj.get("v", 2) not in (2, "2"):
        raise bad("version")
    location, identifier, tag = field(obj, "l", top), field(obj, "i", top), field(obj, "s", top)
    cavs = []
    for c in obj.get("c", []):
        if not isinstance(c, dict):
            raise bad("caveat")
        allowed = {"i", "i64", "l", "l64", "v", "v64"}
        cid, loc, vid = field(c, "i", allowed), field(c, "l", allowed), field(c, "v", allowed)
        if not cid or (loc is not None and vid is None) or vid == b"":
            raise bad("bad caveat")
        cavs.append((cid, vid, loc or b""))
    if not identifier or tag is None or len(tag) != 32:
        raise bad("identifier or signature")
    return Macaroon("macaroon-v2j", location or b"", identifier, cavs, tag)


def decode_native(text):
    identifier, raw, tag, fields = native.decode(text, LIMITS)
    found = []
    for data in raw:
        third = native_third_party(data)
        found.append(third if third else (data, None, b""))
    return Macaroon("native", b"", identifier, found, tag, fields, raw)


def native_third_party(data):
    """SPEC.md §11.6: `[15, cid, vid, location]`, or None."""
    try:
        r = Reader(data)
        if r.array() != 4 or r.uint() != 15:
            return None
        cid, vid, location = r.bytes(), r.bytes(), r.text(1 << 16)
        r.end()
        return (cid, vid, location.encode()) if cid and vid else None
    except Failure:
        return None


def decode(text):
    if text.startswith("cvt1_"):
        return decode_native(text)
    if text.startswith("{"):
        return decode_v2j(text)
    raw = read_base64(text)
    return decode_v2(raw) if raw[:1] == b"\x02" else decode_v1(raw)


def steps(key, m):
    """The chain (SPEC.md §6, §11.6): every tag, tag_0 first."""
    tags = [mac(key, m.identifier)]
    for (cid, vid, _), raw in zip(m.caveats, m.raw):
        t = tags[-1]
        if vid is None:
            tags.append(mac(t, raw))
        else:
            tags.append(mac(t, mac(t, vid) + mac(t, raw if m.format == "native" else cid)))
    return tags


def bind(top, tag):
    return mac(ZERO, mac(ZERO, top) + mac(ZERO, tag))


def display(data):
    """SPEC.md §11.7: text when printable UTF-8 of at most 64 bytes, else a hex excerpt."""
    try:
        text = data.decode("utf-8")
        if len(data) <= 64 and text.isprintable():
            return text
    except UnicodeDecodeError:
        pass
    return excerpt(data)


def verify(token, discharges, root_key, exact, now):
    """SPEC.md §11.7; returns the expiry."""
    if len(discharges) > MAX_DISCHARGES:
        raise too_large("discharges", MAX_DISCHARGES)
    m = decode(token)
    top = steps(mac(KEY_GENERATOR, root_key), m)
    if not hmac.compare_digest(top[-1], m.tag):
        raise Failure("tokenInvalid")
    ds = [decode(d) for d in discharges]
    for i in range(len(ds)):
        for j in range(i + 1, len(ds)):
            if ds[i].identifier == ds[j].identifier:
                raise Failure("dischargeAmbiguous", {"identifier": display(ds[i].identifier),
                                                     "discharges": [i, j]})
    used, order = set(), []

    def walk(holder, mm, tags, depth, ancestors):
        """Depth first, in chain order (SPEC.md §11.7 step 3)."""
        for index, (cid, vid, _) in enumerate(mm.caveats):
            if vid is None:
                continue
            where = {"discharge": holder, "index": index}
            if depth > MAX_DEPTH:
                raise Failure("dischargeTooDeep", {"max": MAX_DEPTH, "caveat": where})
            key = secretbox.open_box(tags[index], vid[:24], vid[24:])
            if key is None or len(key) != 32:
                raise Failure("thirdPartyCaveatInvalid", {"caveat": where})
            match = [i for i, d in enumerate(ds) if d.identifier == cid]
            if not match:
                raise Failure("dischargeMissing", {"caveat": where, "cid": display(cid)})
            i = match[0]
            if i in used:
                kind = "dischargeCycle" if i == holder or i in ancestors else "dischargeReused"
                raise Failure(kind, {"discharge": i, "caveat": where})
            dtags = steps(key, ds[i])
            if not hmac.compare_digest(bind(m.tag, dtags[-1]), ds[i].tag):
                kind = "dischargeUnbound" if dtags[-1] == ds[i].tag else "dischargeInvalid"
                raise Failure(kind, {"discharge": i})
            used.add(i)
            order.append(i)
            walk(i, ds[i], dtags, depth + 1, ancestors | {holder})

    walk(None, m, top, 1, set())
    for i, d in enumerate(ds):
        if i not in used:
            raise Failure("dischargeUnused", {"discharge": i, "identifier": display(d.identifier)})
    fields = m.fields
    expires = []
    clear_all(m, None, fields, exact, now, expires)
    own_time = bool(expires)
    for i in order:
        clear_all(ds[i], i, fields, exact, now, expires)
    if fields:
        # Step 7 of §6.4 after every caveat: only the token's own time caveats count (§11.7).
        native.require_time(fields, own_time)
    return min(expires) if expires else None


def clear_all(m, discharge, fields, exact, now, expires):
    """SPEC.md §11.7 step 6 for one token or discharge; time caveats checked as such count for
    the expiry."""
    ctx = {"now": now, "attributes": {}}
    verifier = {"predicates": [], "leeway": 0}
    for index, ((cid, vid, _), raw) in enumerate(zip(m.caveats, m.raw)):
        if vid is not None:
            continue
        try:
            if m.format == "native":
                caveat = caveats.from_native(raw)
                if caveat is None:
                    raise Failure("tokenCaveatUnknown", {"index": index, "caveat": excerpt(raw)})
                native.clear(index, caveat, fields, ctx, verifier)
            else:
                caveat = predicate(index, cid, fields, exact, ctx, verifier)
        except Failure as f:
            if discharge is not None:
                f.details = dict(f.details, discharge=discharge)
            raise
        if caveat is not None and caveat["type"] == "time":
            expires.append(caveat["validUntil"])


def predicate(index, cid, fields, exact, ctx, verifier):
    """SPEC.md §11.5; the typed caveat it was checked as, if any."""
    try:
        text = cid.decode("utf-8")
    except UnicodeDecodeError:
        raise Failure("tokenCaveatUnknown", {"index": index, "caveat": excerpt(cid)})
    try:
        caveat = caveats.from_text(text)
    except Failure:
        caveat = None
    canonical = caveat is not None and caveats.to_text(caveat) == text
    if text in exact:
        # Exactly satisfied; a canonical time caveat still counts for the expiry (§11.5 step 2).
        return caveat if canonical and caveat["type"] == "time" else None
    if canonical and caveat["type"] != "app":
        holder = fields if fields else {"class": None}
        native.clear(index, caveat, holder, ctx, verifier)
        return caveat
    raise Failure("tokenCaveatUnknown", {"index": index, "caveat": text})


def check_pymacaroons(document):
    """macaroons/pymacaroons.json (SPEC.md §11.9)."""
    problems = []
    for v in document["vectors"]:
        name = v["name"]
        m = decode(v["token"])
        if m.format != v["format"] or m.identifier != v["identifier"].encode() \
                or m.location != v["location"].encode() or m.tag.hex() != v["tag"]:
            problems.append(f"{name}: fields differ")
        for (cid, vid, loc), c in zip(m.caveats, v["caveats"]):
            if cid != c["cid"].encode() or (vid.hex() if vid else None) != c["vid"] \
                    or (c["vid"] and loc != c["location"].encode()):
                problems.append(f"{name}: caveat {c['cid']} differs")
        try:
            verify(v["token"], v["discharges"], v["key"].encode(), set(v["exact"]), 0)
            got = {"ok": True}
        except Failure as f:
            got = {"error": f.id}
        if got != v["expected"]:
            problems.append(f"{name}: got {got}, expected {v['expected']}")
    return len(document["vectors"]), problems


def check_third_party(document):
    """macaroons/third_party.json (SPEC.md §11.9)."""
    problems = []
    for v in document["vectors"]:
        name = v["name"]
        for tp in v["third_party"]:
            before = bytes.fromhex(v["tags"][tp["index"]])
            vid = bytes.fromhex(tp["vid"])
            key = secretbox.open_box(before, vid[:24], vid[24:])
            if vid[:24].hex() != tp["nonce"] or key != mac(KEY_GENERATOR, tp["caveat_key"].encode()):
                problems.append(f"{name}: vid does not open to the caveat key")
            step = mac(before, mac(before, vid) + mac(before, bytes.fromhex(tp["caveat_hex"])))
            if step.hex() != v["tags"][tp["index"] + 1]:
                problems.append(f"{name}: third-party step differs")
        try:
            expires = verify(v["token"], v["discharges"], bytes.fromhex(v["key_hex"]),
                             set(v["exact"]), v["now"])
            got = {"ok": True, "expires": expires}
        except Failure as f:
            got = {"error": {"id": f.id, "details": f.details}}
        if got != v["expected"]:
            problems.append(f"{name}: got {got}, expected {v['expected']}")
    return len(document["vectors"]), problems
