"""The Enterprise Manager releases mock-em emulates (`--release`), oldest first.

A release decides which API versions the EM lists under `SupportedVersions` (em-api.md §2) and
which resource families it serves: a family declares the first release that has it
(`Family.since`) and `mock_em.registry` leaves it out of older releases altogether.
"""

from __future__ import annotations

# What each Enterprise Manager release lists under SupportedVersions (em-api.md §2).
API_VERSIONS = ["v1", "v1_1", "v1_2", "v1_3", "v1_4", "v1_5", "v1_6", "v1_7"]
RELEASES = {
    "7.0": 1,
    "8.0": 2,
    "9.0": 3,
    "9.5": 4,
    "9.5u4": 5,
    "10": 6,
    "11": 7,
    "12": 8,
    "13": 8,
}
DEFAULT_RELEASE = "9.5u4"

_ORDER = {name: position for position, name in enumerate(RELEASES)}


def release_rank(release: str) -> int:
    """A release's place among `RELEASES`, oldest first (names in any case: `9.5U4`); a ValueError
    names the releases there are."""
    try:
        return _ORDER[release.lower()]
    except KeyError:
        raise ValueError(f"{release!r} is not one of {', '.join(RELEASES)}") from None


def has_arrived(since: str | None, release: str) -> bool:
    """Whether something that first came with `since` (None: with every release) is in `release`."""
    return since is None or release_rank(release) >= release_rank(since)
