"""Receipts: what a reporter keeps to follow a report up, and nothing else.

A receipt is 16 random characters from the ``secrets`` module (80 bits), written in Crockford's
base 32 (no I, L, O or U) in four groups, ``7KQM-2XRD-9PBA-VN4T``: short enough to copy from a
phone, not derived from anything about the reporter or the report, and unguessable. The service
stores only its digest (:func:`digest`), so its database does not hold the receipts themselves.
Reading one back forgives case, spaces and the letters people confuse (O for 0, I and L for 1).
"""

from __future__ import annotations

import hashlib
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
GROUP = 4
_CONFUSED = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def new_receipt() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(text: str) -> str | None:
    """The receipt ``text`` denotes, in its canonical form, or None if it cannot be one."""
    if len(text) > 2 * LENGTH:
        return None
    raw = re.sub(r"[\s-]", "", text).upper().translate(_CONFUSED)
    if not _SHAPE.fullmatch(raw):
        return None
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def digest(receipt: str) -> str:
    """What the service stores and looks a receipt up by (SHA-256 of the canonical form)."""
    canonical = normalise(receipt)
    if canonical is None:
        raise ValueError("not a receipt")
    return hashlib.sha256(canonical.encode()).hexdigest()
