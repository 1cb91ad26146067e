"""Pieces shared by the reference verifier's modules: errors, HMAC, the CBOR subset of
SPEC.md §1.3, and strict base64."""

import base64
import binascii
import hashlib
import hmac

KEY_GENERATOR = b"macaroons-key-generator"


class Failure(Exception):
    def __init__(self, id, details=None):
        super().__init__(id)
        self.id = id
        self.details = details if details is not None else {}


def bad(reason):
    return Failure("badToken", {"reason": reason})


def too_large(limit, maximum):
    return Failure("tokenTooLarge", {"limit": limit, "max": maximum})


def mac(key, message):
    return hmac.new(key, message, hashlib.sha256).digest()


def chain(root_key, identifier, caveats):
    """SPEC.md §6.1–§6.3: tag_0 … tag_n over first-party caveats."""
    tags = [mac(mac(KEY_GENERATOR, root_key), identifier)]
    for caveat in caveats:
        tags.append(mac(tags[-1], caveat))
    return tags


def excerpt(data):
    """SPEC.md §6.4 step 6.1: hex of at most the first 64 bytes, then U+2026."""
    return data.hex() if len(data) <= 64 else data[:64].hex() + "\u2026"


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


def cbor_head(major, value):
    if value < 24:
        return bytes([major << 5 | value])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | info]) + value.to_bytes(size, "big")
    raise ValueError("integer too large")


def cbor_uint(value):
    return cbor_head(0, value)


def cbor_bytes(data):
    return cbor_head(2, len(data)) + data


def cbor_text(text):
    data = text.encode()
    return cbor_head(3, len(data)) + data


def cbor_array(items):
    return cbor_head(4, len(items)) + b"".join(items)


URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64_strict(text, alphabets=(URL,), padding=False):
    """Canonical base64 in one of `alphabets`; None when the text is not exactly that."""
    body = text.rstrip("=") if padding else text
    pad = len(text) - len(body)
    if padding and pad and (len(text) % 4 or pad > 2):
        return None
    for alphabet in alphabets:
        if all(c in alphabet for c in body) and len(body) % 4 != 1:
            std = body.translate(str.maketrans(alphabet, STD))
            try:
                raw = base64.b64decode(std + "=" * (-len(std) % 4), validate=True)
            except (binascii.Error, ValueError):
                return None
            again = base64.b64encode(raw).decode().rstrip("=")
            if again == std:
                return raw
            return None
    return None
