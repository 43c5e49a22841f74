"""GUIDs drawn from a seeded RNG: mock-em never calls uuid4(), so a seed fixes every id."""

from __future__ import annotations

import random
from uuid import UUID


def guid(rng: random.Random) -> UUID:
    """A random (version 4) GUID from `rng`."""
    return UUID(int=rng.getrandbits(128), version=4)
