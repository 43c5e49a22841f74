"""`DayRandom`: the RNG of the world's schedules, whose stream depends on its key alone.

The replication schedule (`mock_em.model.schedule`) and the backup servers' job runs
(`mock_em.model.job_history`) draw each day of each VM or run from one, keyed by what the draws
belong to, so no answer depends on the order of calls or on when the world was made.
"""

from __future__ import annotations

import random
from hashlib import blake2b

_TWO_TO_MINUS_53 = 2.0**-53


class DayRandom(random.Random):
    """A `random.Random` whose bits are a BLAKE2b stream of its seed string.

    Why not plain `random.Random(key)`: seeding a Mersenne Twister fills 624 words of state and
    cost about 5 of the ~9 microseconds a point took, while one day of one VM needs only 200 to
    350 bits. One 512-bit digest of the key usually covers the day; longer draws hash on with a
    counter. Everything else (randrange, random, `ids.guid`) is the standard library's, driven
    by `getrandbits`, and the stream depends only on the key, never on platform or call order.
    """

    _key: bytes
    _pool: int
    _bits: int
    _blocks: int

    def seed(self, a: object = None, version: int = 2) -> None:
        """Start the stream for key `a` (its str())."""
        self._key = str(a).encode()
        self._pool = int.from_bytes(blake2b(self._key, digest_size=64).digest(), "little")
        self._bits = 512
        self._blocks = 1

    def getrandbits(self, k: int) -> int:
        """The next `k` bits of the stream."""
        while self._bits < k:
            block = blake2b(self._key + b"#%d" % self._blocks, digest_size=64).digest()
            self._pool |= int.from_bytes(block, "little") << self._bits
            self._bits += 512
            self._blocks += 1
        value = self._pool & ((1 << k) - 1)
        self._pool >>= k
        self._bits -= k
        return value

    def side_bits(self, label: int, size: int) -> int:
        """`size` bytes of a stream of their own, keyed by this stream's key and `label`, as one
        little-endian integer; the stream itself does not move. Each VM's task in a job run is
        drawn from one such block: one hash per task, sliced, costs a third of drawing the same
        values one by one (a world of a million VM restore points draws a million tasks)."""
        return int.from_bytes(blake2b(b"%s/%d" % (self._key, label), digest_size=size).digest(), "little")

    def randint(self, a: int, b: int) -> int:
        """`random.Random.randint`'s value (`randrange` by `_randbelow_with_getrandbits`), without
        its argument checks: the job runs draw several per VM per day."""
        n = b - a + 1
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return a + r

    def random(self) -> float:
        """A float in [0, 1) from 53 bits, as the Mersenne Twister's `random()` makes it."""
        return self.getrandbits(53) * _TWO_TO_MINUS_53

    def getstate(self) -> tuple[bytes, int, int, int]:
        """The stream position (the base class's state is unused)."""
        return self._key, self._pool, self._bits, self._blocks

    def setstate(self, state: tuple[bytes, int, int, int]) -> None:  # type: ignore[override]
        """Return to a position from `getstate`."""
        self._key, self._pool, self._bits, self._blocks = state
