"""Voucher codes: 80 random bits in Crockford's base32 (no I, L, O, U: easy to
read aloud), grouped by four, with a Luhn mod 32 check character that catches
any single mistyped character and most swaps of neighbours."""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_READ_AS = {"I": "1", "L": "1", "O": "0"}
BODY_LENGTH = 16  # 16 × 5 bits = 80 bits of entropy


def check_character(body: str) -> str:
    """Luhn mod N over the alphabet (N = 32)."""
    n = len(ALPHABET)
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * _VALUE[char]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    groups = [body[i:i + 4] for i in range(0, BODY_LENGTH, 4)]
    return "-".join(groups) + "-" + check_character(body)


def normalize(code: str) -> str | None:
    """The canonical form of a typed code, or None if it cannot be one of ours."""
    chars = "".join(_READ_AS.get(c, c) for c in code.upper() if c not in "- ")
    if len(chars) != BODY_LENGTH + 1 or any(c not in _VALUE for c in chars):
        return None
    body, check = chars[:-1], chars[-1]
    if check_character(body) != check:
        return None
    return "-".join(body[i:i + 4] for i in range(0, BODY_LENGTH, 4)) + "-" + check
