"""NaCl crypto_secretbox_open (XSalsa20-Poly1305), pure Python, for SPEC.md §11.6's vids.

Written from the Salsa20 specification (D. J. Bernstein, "Salsa20 specification"; "Extending
the Salsa20 nonce") and RFC 8439 §2.5 (Poly1305). Slow, and not constant-time: a reference for
test vectors only.
"""

import hmac

MASK = 0xFFFFFFFF
SIGMA = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]  # "expand 32-byte k"


def _rotl(v, n):
    return ((v << n) & MASK) | (v >> (32 - n))


def _quarter(x, a, b, c, d):
    x[b] ^= _rotl((x[a] + x[d]) & MASK, 7)
    x[c] ^= _rotl((x[b] + x[a]) & MASK, 9)
    x[d] ^= _rotl((x[c] + x[b]) & MASK, 13)
    x[a] ^= _rotl((x[d] + x[c]) & MASK, 18)


def _rounds(state):
    x = list(state)
    for _ in range(10):
        _quarter(x, 0, 4, 8, 12)
        _quarter(x, 5, 9, 13, 1)
        _quarter(x, 10, 14, 2, 6)
        _quarter(x, 15, 3, 7, 11)
        _quarter(x, 0, 1, 2, 3)
        _quarter(x, 5, 6, 7, 4)
        _quarter(x, 10, 11, 8, 9)
        _quarter(x, 15, 12, 13, 14)
    return x


def _words(data):
    return [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]


def _state(key, middle):
    k = _words(key)
    m = _words(middle)
    return [SIGMA[0], *k[:4], SIGMA[1], *m, SIGMA[2], *k[4:], SIGMA[3]]


def hsalsa20(key, nonce16):
    x = _rounds(_state(key, nonce16))
    return b"".join(x[i].to_bytes(4, "little") for i in (0, 5, 10, 15, 6, 7, 8, 9))


def salsa20_stream(key, nonce8, length):
    out = bytearray()
    counter = 0
    while len(out) < length:
        state = _state(key, nonce8 + counter.to_bytes(8, "little"))
        x = _rounds(state)
        out += b"".join(((x[i] + state[i]) & MASK).to_bytes(4, "little") for i in range(16))
        counter += 1
    return bytes(out[:length])


def poly1305(key, message):
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:32], "little")
    p = (1 << 130) - 5
    acc = 0
    for i in range(0, len(message), 16):
        block = message[i:i + 16] + b"\x01"
        acc = (acc + int.from_bytes(block, "little")) * r % p
    return ((acc + s) % (1 << 128)).to_bytes(16, "little")


def open_box(key, nonce, boxed):
    """The plaintext of `boxed` (16-byte tag || ciphertext), or None when it does not open."""
    if len(key) != 32 or len(nonce) != 24 or len(boxed) < 16:
        return None
    subkey = hsalsa20(key, nonce[:16])
    stream = salsa20_stream(subkey, nonce[16:], 32 + len(boxed) - 16)
    tag, ciphertext = boxed[:16], boxed[16:]
    if not hmac.compare_digest(poly1305(stream[:32], ciphertext), tag):
        return None
    return bytes(c ^ k for c, k in zip(ciphertext, stream[32:]))
