"""Caveats of SPEC.md §5 and §10.2, written from the specification alone.

A caveat is represented by its canonical JSON form (a dict). This module turns the JSON, text
and native forms into that dict and back, and decides whether a caveat holds.
"""

import base64
import ipaddress
import json
import re

from common import Failure, Reader, cbor_array, cbor_text, cbor_uint, cbor_bytes

INVITE_TYPES = [
    "userJoinGroup", "groupJoinGroup", "userJoinSpace", "groupJoinSpace", "harvesterJoinSpace",
    "supportSpace", "registerOneprovider", "userJoinCluster", "groupJoinCluster",
    "userJoinHarvester", "groupJoinHarvester", "spaceJoinHarvester", "userJoinAtmInventory",
    "groupJoinAtmInventory",
]
REGIONS = ["Africa", "Antarctica", "Asia", "Europe", "EU", "NorthAmerica", "Oceania",
           "SouthAmerica"]
SERVICE_KINDS = ["ozw", "ozp", "opw", "opp"]
CONSUMER_KINDS = ["usr", "grp", "prv"]
INTERFACES = ["rest", "oneclient", "graphsync"]
OPERATIONS = ["all", "create", "get", "update", "delete"]
SCOPES = ["private", "protected", "shared", "public", "auto", "*"]
FILTERS = ["whitelist", "blacklist"]
KINDS = ["time", "ip", "inviteType", "app", "asn", "geo.country", "geo.region", "service",
         "consumer", "interface", "api", "data.readonly", "data.path", "data.objectid",
         "authorizationNone"]
# SPEC.md §10.3: the kinds each token type allows.
ALLOWED = {
    "access": set(KINDS) - {"authorizationNone"},
    "identity": {"time", "ip", "asn", "geo.country", "geo.region", "consumer", "interface",
                 "app"},
    "invite": {"time", "ip", "asn", "geo.country", "geo.region", "consumer", "inviteType",
               "app"},
}
ID = re.compile(r"^[A-Za-z0-9\-._~@+=]{1,255}$")
APP_NAME = re.compile(r"^[a-z0-9._\-]+/[a-z0-9._\-]+$")
DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")
GRI_TYPE = re.compile(r"^([A-Za-z0-9_]+|\*)$")
GRI_ID = re.compile(r"^([A-Za-z0-9\-_~@+=]{1,255}|\*)$")
LIST_MAX = 64
U64 = (1 << 64) - 1


def bad_caveat(key, reason="invalid"):
    return Failure("badValueCaveat", {"key": key, "reason": reason})


def is_uint(value):
    return type(value) is int and 0 <= value <= U64


# ------------------------------------------------------------------------------------------
# IP entries (SPEC.md §5.3)

IPV4 = re.compile(r"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")
HEX_GROUP = re.compile(r"^[0-9A-Fa-f]{1,4}$")


def parse_address(text):
    """An IPv4 or IPv6 address in the entry syntax of §5.3 (no prefix), or None."""
    if IPV4.match(text):
        return ipaddress.IPv4Address(text)
    if text.count("::") > 1 or not text or not all(c in "0123456789abcdefABCDEF:." for c in text):
        return None
    groups = text.split(":")
    if "." in groups[-1]:
        if not IPV4.match(groups[-1]):
            return None
        v4 = ipaddress.IPv4Address(groups[-1]).packed
        groups = groups[:-1] + ["%x" % (v4[0] << 8 | v4[1]), "%x" % (v4[2] << 8 | v4[3])]
    if "::" in text:
        joined = ":".join(groups)
        head, _, rest = joined.partition("::")
        left = head.split(":") if head else []
        right = rest.split(":") if rest else []
        if len(left) + len(right) > 7:
            return None
        groups = left + ["0"] * (8 - len(left) - len(right)) + right
    if len(groups) != 8 or not all(HEX_GROUP.match(g) for g in groups):
        return None
    return ipaddress.IPv6Address(bytes(b for g in groups for b in int(g, 16).to_bytes(2, "big")))


def is_mapped(address):
    return address.version == 6 and address.ipv4_mapped is not None


def parse_entry(text):
    address, slash, prefix = text.partition("/")
    ip = parse_address(address)
    if ip is None:
        raise bad_caveat("whitelist", "not an IP address")
    width = 32 if ip.version == 4 else 128
    if slash:
        if not DECIMAL.match(prefix) or int(prefix) > width:
            raise bad_caveat("whitelist", "bad prefix length")
        length = int(prefix)
    else:
        length = width
    if is_mapped(ip):
        raise bad_caveat("whitelist", "IPv4-mapped IPv6 address")
    return ip, length


def entry_text(entry):
    ip, length = entry
    return f"{ip.compressed}/{length}"


def ip_in(client, entry):
    ip, length = entry
    if client.version != ip.version:
        return False
    network = ipaddress.ip_network((ip, length), strict=False)
    return client in network


def canonical_client(address):
    return address.ipv4_mapped if is_mapped(address) else address


def address_text(address):
    """SPEC.md §5.3 output forms, without a prefix: RFC 5952, an IPv4-mapped address as
    `::ffff:a.b.c.d` (whatever the Python version prints)."""
    if is_mapped(address):
        return f"::ffff:{address.ipv4_mapped}"
    return address.compressed


# ------------------------------------------------------------------------------------------
# JSON form -> canonical JSON

def json_list(obj, key, minimum=1):
    value = obj.get(key)
    if not isinstance(value, list):
        raise bad_caveat(key, "not an array")
    if not minimum <= len(value) <= LIST_MAX:
        raise bad_caveat(key, "bad length")
    return value


def json_string(obj, key):
    value = obj.get(key)
    if not isinstance(value, str):
        raise bad_caveat(key, "not a string")
    return value


def no_duplicates(values, key):
    if len(set(map(str, values))) != len(values):
        raise bad_caveat(key, "duplicate entry")


def check_service(entry, key):
    if not isinstance(entry, str):
        raise bad_caveat(key, "not a string")
    code, dash, ident = entry.partition("-")
    if not dash or code not in SERVICE_KINDS or not (ident == "*" or ID.match(ident)):
        raise bad_caveat(key, "bad service")


def check_consumer(entry, key):
    if not isinstance(entry, str):
        raise bad_caveat(key, "not a string")
    code, dash, ident = entry.partition("-")
    if not dash or code not in CONSUMER_KINDS or not (ident == "*" or ID.match(ident)):
        raise bad_caveat(key, "bad consumer")


def parse_gri(text, pattern=True):
    """`type.id.aspect[,value]:scope` (SPEC.md §10.2.1) as a tuple, or None."""
    if len(text.encode()) > 512:
        return None
    body, colon, scope = text.rpartition(":")
    if not colon or scope not in SCOPES:
        return None
    parts = body.split(".", 2)
    if len(parts) != 3:
        return None
    kind, ident, aspect = parts
    aspect, comma, value = aspect.partition(",")
    value = value if comma else None
    ok = (GRI_TYPE.match(kind) and GRI_ID.match(ident) and GRI_TYPE.match(aspect)
          and (value is None or GRI_ID.match(value)))
    if not ok or (not pattern and "*" in text):
        return None
    return kind, ident, aspect, value, scope


def check_api_rule(rule, key):
    if not isinstance(rule, str):
        raise bad_caveat(key, "not a string")
    parts = rule.split("/", 2)
    if (len(parts) != 3 or parts[0] not in ["all"] + SERVICE_KINDS or parts[1] not in OPERATIONS
            or parse_gri(parts[2]) is None):
        raise bad_caveat(key, "bad api rule")


def canonical_path(path):
    if len(path.encode()) > 1024 or not path.startswith("/") or path.endswith("/"):
        return False
    segments = path[1:].split("/")
    return all(s not in ("", ".", "..") for s in segments) and not any(
        ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in path)


def check_data_path(entry, key):
    if not isinstance(entry, str):
        raise bad_caveat(key, "not a string")
    try:
        raw = base64.b64decode(entry, validate=True)
        path = raw.decode("utf-8")
    except Exception:
        raise bad_caveat(key, "bad base64")
    if base64.b64encode(raw).decode() != entry or not canonical_path(path):
        raise bad_caveat(key, "bad path")


def check_object_id(entry, key):
    if not (isinstance(entry, str) and re.match(r"^[0-9A-Fa-f]{1,512}$", entry)):
        raise bad_caveat(key, "bad object id")


def from_json(obj):
    """SPEC.md §5.1, §10.2: the canonical JSON of a caveat given as a JSON value."""
    if not isinstance(obj, dict):
        raise bad_caveat("caveat", "not a JSON object")
    if "type" not in obj:
        raise bad_caveat("type", "missing")
    kind = obj["type"]
    if not isinstance(kind, str) or kind not in KINDS:
        raise bad_caveat("type", "unknown")
    out = {"type": kind}
    if kind == "time":
        if not is_uint(obj.get("validUntil")):
            raise bad_caveat("validUntil", "not a non-negative integer")
        out["validUntil"] = obj["validUntil"]
    elif kind == "ip":
        entries = obj.get("whitelist")
        if not isinstance(entries, list):
            raise bad_caveat("whitelist", "not an array")
        if not 1 <= len(entries) <= 32:
            raise bad_caveat("whitelist", "1 to 32 entries")
        parsed = []
        for e in entries:
            if not isinstance(e, str):
                raise bad_caveat("whitelist", "not a string")
            parsed.append(parse_entry(e))
        out["whitelist"] = [entry_text(e) for e in parsed]
    elif kind == "inviteType":
        entries = obj.get("whitelist")
        if not isinstance(entries, list):
            raise bad_caveat("whitelist", "not an array")
        if not 1 <= len(entries) <= 14 or not all(e in INVITE_TYPES for e in entries):
            raise bad_caveat("whitelist", "bad invite type list")
        no_duplicates(entries, "whitelist")
        out["whitelist"] = list(entries)
    elif kind == "app":
        name = json_string(obj, "name")
        if not (3 <= len(name.encode()) <= 64 and APP_NAME.match(name)):
            raise bad_caveat("name", "bad name")
        value = json_string(obj, "value")
        if len(value.encode()) > 255:
            raise bad_caveat("value", "longer than 255 bytes")
        if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
            raise bad_caveat("value", "control character")
        out["name"], out["value"] = name, value
    elif kind == "asn":
        entries = json_list(obj, "whitelist")
        if not all(type(e) is int and 0 <= e < 1 << 32 for e in entries):
            raise bad_caveat("whitelist", "bad ASN")
        out["whitelist"] = entries
    elif kind in ("geo.country", "geo.region"):
        if obj.get("filter") not in FILTERS:
            raise bad_caveat("filter", "bad filter")
        entries = json_list(obj, "list")
        valid = (lambda e: isinstance(e, str) and re.match(r"^[A-Z]{2}$", e)) \
            if kind == "geo.country" else (lambda e: e in REGIONS)
        if not all(valid(e) for e in entries):
            raise bad_caveat("list", "bad entry")
        out["filter"], out["list"] = obj["filter"], entries
    elif kind in ("service", "consumer", "api", "data.path", "data.objectid"):
        entries = json_list(obj, "whitelist")
        check = {"service": check_service, "consumer": check_consumer, "api": check_api_rule,
                 "data.path": check_data_path, "data.objectid": check_object_id}[kind]
        for e in entries:
            check(e, "whitelist")
        out["whitelist"] = entries
    elif kind == "interface":
        if obj.get("interface") not in INTERFACES:
            raise bad_caveat("interface", "bad interface")
        out["interface"] = obj["interface"]
    for key in obj:
        if key not in out:
            raise bad_caveat(key, "unknown key")
    return out


def duplicate_key(pairs):
    seen = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    return None


def from_json_text(text):
    """SPEC.md §1.2, §5.1: JSON text; a repeated key is reported first."""
    repeated = []

    def hook(pairs):
        key = duplicate_key(pairs)
        if key is not None and not repeated:
            repeated.append(key)
        return dict(pairs)

    def integer(token):
        # `-0` and every negative number are integers in JSON's grammar but not here (§1.2).
        return _NotInteger(token) if token.startswith("-") else int(token)

    def not_integer(token):
        return _NotInteger(token)

    try:
        value = json.loads(text, object_pairs_hook=hook, parse_float=not_integer,
                           parse_constant=not_integer, parse_int=integer)
    except ValueError:
        raise bad_caveat("caveat", "not valid JSON")
    if repeated:
        raise bad_caveat(repeated[0], "duplicate key")
    return from_json(value)


class _NotInteger:
    def __init__(self, token):
        self.token = token


# ------------------------------------------------------------------------------------------
# Text form (SPEC.md §5.6, §10.2)

def split_list(body):
    entries = body.split("|")
    if not 1 <= len(entries) <= LIST_MAX or "" in entries:
        raise bad_caveat("caveat", "bad list")
    return entries


def from_text(text):
    """The canonical JSON of a caveat given in its text form."""
    if text.startswith("time < "):
        body = text[len("time < "):]
        if not DECIMAL.match(body) or int(body) > U64:
            raise bad_caveat("validUntil", "not a non-negative integer")
        return {"type": "time", "validUntil": int(body)}
    simple = {"ip": "whitelist", "inviteType": "whitelist", "asn": "whitelist",
              "service": "whitelist", "consumer": "whitelist", "api": "whitelist",
              "data.path": "whitelist", "data.objectid": "whitelist"}
    for kind, key in simple.items():
        if text.startswith(kind + " = "):
            entries = split_list(text[len(kind) + 3:])
            if kind == "asn":
                if not all(DECIMAL.match(e) for e in entries):
                    raise bad_caveat("whitelist", "bad ASN")
                entries = [int(e) for e in entries]
            return from_json({"type": kind, key: entries})
    for kind in ("geo.country", "geo.region"):
        for op, filt in ((" = ", "whitelist"), (" != ", "blacklist")):
            if text.startswith(kind + op):
                return from_json({"type": kind, "filter": filt,
                                  "list": split_list(text[len(kind) + len(op):])})
    if text.startswith("interface = "):
        return from_json({"type": "interface", "interface": text[len("interface = "):]})
    if text == "data.readonly":
        return {"type": "data.readonly"}
    if text == "authorization = none":
        return {"type": "authorizationNone"}
    name, sep, value = text.partition(" = ")
    if sep and "/" in name:
        return from_json({"type": "app", "name": name, "value": value})
    raise bad_caveat("caveat", "not a known caveat text form")


def to_text(c):
    kind = c["type"]
    if kind == "time":
        return f"time < {c['validUntil']}"
    if kind in ("geo.country", "geo.region"):
        op = " = " if c["filter"] == "whitelist" else " != "
        return kind + op + "|".join(c["list"])
    if kind == "interface":
        return f"interface = {c['interface']}"
    if kind == "data.readonly":
        return "data.readonly"
    if kind == "authorizationNone":
        return "authorization = none"
    if kind == "app":
        return f"{c['name']} = {c['value']}"
    return kind + " = " + "|".join(str(e) for e in c["whitelist"])


# ------------------------------------------------------------------------------------------
# Native form (SPEC.md §5, §10.2)

def to_native(c):
    kind = c["type"]
    code = KINDS.index(kind)
    if kind == "time":
        fields = [cbor_uint(c["validUntil"])]
    elif kind == "ip":
        entries = []
        for e in c["whitelist"]:
            ip, length = parse_entry(e)
            entries.append(cbor_bytes(ip.packed + bytes([length])))
        fields = [cbor_array(entries)]
    elif kind == "inviteType":
        fields = [cbor_array([cbor_uint(INVITE_TYPES.index(t)) for t in c["whitelist"]])]
    elif kind == "app":
        fields = [cbor_text(c["name"]), cbor_text(c["value"])]
    elif kind == "asn":
        fields = [cbor_array([cbor_uint(a) for a in c["whitelist"]])]
    elif kind == "geo.country":
        fields = [cbor_uint(FILTERS.index(c["filter"])), cbor_array([cbor_text(x) for x in c["list"]])]
    elif kind == "geo.region":
        fields = [cbor_uint(FILTERS.index(c["filter"])),
                  cbor_array([cbor_uint(REGIONS.index(x)) for x in c["list"]])]
    elif kind in ("service", "consumer"):
        kinds = SERVICE_KINDS if kind == "service" else CONSUMER_KINDS
        pairs = [e.partition("-") for e in c["whitelist"]]
        fields = [cbor_array([cbor_array([cbor_uint(kinds.index(k)), cbor_text(i)])
                              for k, _, i in pairs])]
    elif kind == "interface":
        fields = [cbor_uint(INTERFACES.index(c["interface"]))]
    elif kind == "api":
        rules = []
        for r in c["whitelist"]:
            service, operation, gri = r.split("/", 2)
            s = 0 if service == "all" else SERVICE_KINDS.index(service) + 1
            rules.append(cbor_array([cbor_uint(s), cbor_uint(OPERATIONS.index(operation)),
                                     cbor_text(gri)]))
        fields = [cbor_array(rules)]
    elif kind == "data.path":
        fields = [cbor_array([cbor_text(base64.b64decode(p).decode()) for p in c["whitelist"]])]
    elif kind == "data.objectid":
        fields = [cbor_array([cbor_text(o) for o in c["whitelist"]])]
    else:
        fields = []
    return cbor_array([cbor_uint(code)] + fields)


def from_native(data):
    """The canonical JSON of native caveat bytes, or None when they are not understood."""
    try:
        r = Reader(data)
        n = r.array()
        kind = r.uint()
        if kind >= len(KINDS):
            return None
        name = KINDS[kind]
        arity = {"time": 2, "ip": 2, "inviteType": 2, "app": 3, "asn": 2, "geo.country": 3,
                 "geo.region": 3, "service": 2, "consumer": 2, "interface": 2, "api": 2,
                 "data.readonly": 1, "data.path": 2, "data.objectid": 2,
                 "authorizationNone": 1}[name]
        if n != arity:
            return None
        if name == "time":
            c = {"type": "time", "validUntil": r.uint()}
        elif name == "ip":
            count = r.array()
            if not 1 <= count <= 32:
                return None
            entries = []
            for _ in range(count):
                e = r.bytes()
                if len(e) not in (5, 17) or e[-1] > 8 * (len(e) - 1):
                    return None
                ip = ipaddress.ip_address(e[:-1])
                if is_mapped(ip):
                    return None
                entries.append(entry_text((ip, e[-1])))
            c = {"type": "ip", "whitelist": entries}
        elif name == "inviteType":
            codes = [r.uint() for _ in range(r.array())]
            if not 1 <= len(codes) <= 14 or len(set(codes)) != len(codes) or max(codes) > 13:
                return None
            c = {"type": "inviteType", "whitelist": [INVITE_TYPES[x] for x in codes]}
        elif name == "app":
            c = {"type": "app", "name": r.text(64), "value": r.text(255)}
        elif name == "asn":
            c = {"type": "asn", "whitelist": [r.uint() for _ in range(r.array())]}
        elif name in ("geo.country", "geo.region"):
            f = r.uint()
            if f > 1:
                return None
            items = [r.text(2) if name == "geo.country" else r.uint() for _ in range(r.array())]
            if name == "geo.region":
                if any(i >= len(REGIONS) for i in items):
                    return None
                items = [REGIONS[i] for i in items]
            c = {"type": name, "filter": FILTERS[f], "list": items}
        elif name in ("service", "consumer"):
            kinds = SERVICE_KINDS if name == "service" else CONSUMER_KINDS
            entries = []
            for _ in range(r.array()):
                if r.array() != 2:
                    return None
                k = r.uint()
                if k >= len(kinds):
                    return None
                entries.append(f"{kinds[k]}-{r.text(255)}")
            c = {"type": name, "whitelist": entries}
        elif name == "interface":
            i = r.uint()
            if i >= len(INTERFACES):
                return None
            c = {"type": "interface", "interface": INTERFACES[i]}
        elif name == "api":
            rules = []
            for _ in range(r.array()):
                if r.array() != 3:
                    return None
                s, o = r.uint(), r.uint()
                if s > len(SERVICE_KINDS) or o >= len(OPERATIONS):
                    return None
                service = "all" if s == 0 else SERVICE_KINDS[s - 1]
                rules.append(f"{service}/{OPERATIONS[o]}/{r.text(512)}")
            c = {"type": "api", "whitelist": rules}
        elif name == "data.path":
            paths = [r.text(1024) for _ in range(r.array())]
            c = {"type": "data.path",
                 "whitelist": [base64.b64encode(p.encode()).decode() for p in paths]}
        elif name == "data.objectid":
            c = {"type": "data.objectid", "whitelist": [r.text(512) for _ in range(r.array())]}
        else:
            c = {"type": name}
        r.end()
        canonical = from_json(c)
        return canonical if canonical == c else None
    except (Failure, ValueError, IndexError):
        return None


# ------------------------------------------------------------------------------------------
# Clearing (SPEC.md §5.2–§5.5, §10.2.1)

def geo_lookup(geo, client):
    """The entry of the geo table (network -> info) that contains the client, or None."""
    if client is None or geo is None:
        return None
    for network, info in geo.items():
        net = ipaddress.ip_network(network)
        if net.version == client.version and client in net:
            return info
    return None


def denial(c, ctx, verifier):
    """SPEC.md §6.4 step 6.3, §8.1: None when the caveat holds in the context, else the details
    it adds to `tokenCaveatUnverified` (`reason` and its facts). `ctx` and `verifier` are dicts
    (the vector's context and verifier settings, §9.1, §9.5)."""
    kind = c["type"]
    given = ctx.get("ip")
    given = None if given is None else ipaddress.ip_address(given)
    client = None if given is None else canonical_client(given)

    def missing(what):
        return {"reason": "contextMissing", "missing": what}

    def unless(ok, reason, **facts):
        return None if ok else dict({"reason": reason}, **facts)

    if kind == "time":
        end = c["validUntil"] + verifier.get("leeway", 0)
        return unless(end <= U64 and ctx["now"] < end, "expired",
                      validUntil=c["validUntil"], now=ctx["now"])
    if kind == "ip":
        if client is None:
            return missing("ip")
        return unless(any(ip_in(client, parse_entry(e)) for e in c["whitelist"]),
                      "ipNotListed", ip=address_text(client))
    if kind == "inviteType":
        wanted = ctx.get("inviteType")
        expect = ctx.get("expect") or ""
        if wanted is None and expect.startswith("invite:"):
            wanted = expect[len("invite:"):]
        if wanted is None:
            return missing("inviteType")
        return unless(wanted in c["whitelist"], "inviteTypeNotListed", inviteType=wanted)
    if kind == "app":
        return unless(ctx.get("attributes", {}).get(c["name"]) == c["value"], "predicateFailed")
    if kind in ("asn", "geo.country", "geo.region"):
        if client is None:
            return missing("ip")
        if verifier.get("geo") is None:
            return missing("geoSource")
        info = geo_lookup(verifier["geo"], client) or {}
        # The location reasons name the canonical address, as ipNotListed does (§8.1).
        asked = address_text(client)
        if kind == "asn":
            return unless(info.get("asn") in c["whitelist"], "asnNotListed", ip=asked)
        if kind == "geo.country":
            ok = info.get("country") is not None and (
                (info["country"] in c["list"]) == (c["filter"] == "whitelist"))
            return unless(ok, "countryNotListed", ip=asked)
        ok = info.get("regions") is not None and (
            any(r in c["list"] for r in info["regions"]) == (c["filter"] == "whitelist"))
        return unless(ok, "regionNotListed", ip=asked)
    if kind == "service":
        service = ctx.get("service")
        if service is None:
            return missing("service")
        code, _, _ = service.partition("-")
        return unless(any(e == service or e == f"{code}-*" for e in c["whitelist"]),
                      "serviceNotListed", service=service)
    if kind == "consumer":
        consumer = ctx.get("consumer")
        if consumer is None:
            return missing("consumer")
        code, _, _ = consumer.partition("-")
        groups = verifier.get("groups") or {}
        for e in c["whitelist"]:
            ek, _, eid = e.partition("-")
            if ek in ("usr", "prv") and (e == consumer or (eid == "*" and ek == code)):
                return None
            if ek == "grp" and eid != "*" and consumer in groups.get(eid, []):
                return None
        return {"reason": "consumerNotListed", "consumer": consumer}
    if kind == "interface":
        interface = ctx.get("interface")
        if interface is None:
            return missing("interface")
        return unless(interface == c["interface"], "interfaceMismatch", interface=interface)
    if kind == "api":
        return None
    if kind in ("data.readonly", "data.path", "data.objectid"):
        return unless(bool(ctx.get("allowDataAccessCaveats")), "dataAccessNotAllowed")
    return {"reason": "authorizationNone"}  # authorizationNone never holds


def api_allows(c, service, operation, gri):
    """SPEC.md §10.2.1: whether one api caveat allows the operation on the concrete GRI."""
    target = parse_gri(gri, pattern=False)
    for rule in c["whitelist"]:
        rs, ro, pattern = rule.split("/", 2)
        p = parse_gri(pattern)
        if rs not in ("all", service) or ro not in ("all", operation):
            continue
        kind, ident, aspect, value, scope = p
        eq = lambda a, b: a == "*" or a == b
        if not (eq(kind, target[0]) and eq(ident, target[1]) and eq(scope, target[4])):
            continue
        if aspect == "*" and value is None:
            return True
        if value is None:
            if target[3] is None and aspect == target[2]:
                return True
        elif target[3] is not None and eq(aspect, target[2]) and eq(value, target[3]):
            return True
    return False
