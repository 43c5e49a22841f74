"""GUIDs drawn from a seeded RNG: mock-em never calls uuid4(), so a seed fixes every id."""

from __future__ import annotations

import random
from uuid import UUID, SafeUUID

# What `UUID(int=n, version=4)` does to `n`: the variant (RFC 4122) and the version's bits.
_KEEP = ~((0xC000 << 48) | (0xF000 << 64))
_SET = (0x8000 << 48) | (4 << 76)
_new = object.__new__
_set = object.__setattr__
_UNKNOWN = SafeUUID.unknown


def guid(rng: random.Random) -> UUID:
    """A random (version 4) GUID from `rng`'s next 128 bits."""
    return guid_of(rng.getrandbits(128))


def guid_of(bits: int) -> UUID:
    """The version 4 GUID of 128 random bits: `UUID(int=bits, version=4)`, made without
    `UUID.__init__`'s checks (a world of a million points draws a few million)."""
    made = _new(UUID)
    _set(made, "int", (bits & _KEEP) | _SET)
    _set(made, "is_safe", _UNKNOWN)
    return made
