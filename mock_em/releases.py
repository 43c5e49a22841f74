"""The Enterprise Manager releases mock-em emulates (`--release`), oldest first, and what each
one does differently on the wire: its release profile (`ReleaseProfile`, `profile(release)`).

Everything that differs between releases is held here, in one place, and read by the layers that
render (`mock_em.wire`), route (`mock_em.registry`) and log on (`mock_em.api.sessions`); route
code never asks which release it serves. Where the vendor's pages and real servers' answers are
silent, a release behaves as the nearest one they describe (docs/releases.md lists each such
decision with its source).

What a release decides:

* the API versions `GET /api/` lists under `SupportedVersions` and those a logon's `?v=` accepts
  (em-api.md §2, em-api-monitoring.md §7): 9.5 U4 lists v1 to v1_4, 12 and 13 only v1_5 to v1_7;
* which resource families it serves: a family declares the first release that has it
  (`Family.since`) and `mock_em.registry` leaves it out of older releases altogether;
* the JSON notation (`JsonNotation`): PascalCase up to 12 and camelCase in 13 (.NET's
  `JsonNamingPolicy.CamelCase`); from 12 on, members without a value are written as `null`
  rather than left out; the fraction of a second that times carry (milliseconds in 12,
  microseconds otherwise, trailing zeros cut);
* the case of the percent-escapes in the paging links it writes back (upper-case hex in 13);
* whether a LogonSession links each family's entity list besides its reference list (12, 13);
* how precise the instants it shows are (`Instants`, `mock_em.model.instants`): fractions of a
  second on sessions and the catalogue in 12 and 13, and in their names in 13.
"""

from __future__ import annotations

from dataclasses import dataclass

from mock_em.model.instants import WHOLE_SECONDS, Instants

# Every API version EM has had, oldest first (em-api.md §2: v1 = 7.0 … v1_7 = 12 and 13).
API_VERSIONS = ("v1", "v1_1", "v1_2", "v1_3", "v1_4", "v1_5", "v1_6", "v1_7")


@dataclass(frozen=True, slots=True)
class JsonNotation:
    """How a release writes its JSON: `camel_case` keys (13), `nulls` for members without a value
    (12 and later; before, absent attributes are left out), and at most `time_digits` of a
    second's fraction in times, in XML too (milliseconds in 12, microseconds otherwise; trailing
    zeros cut, the point too when nothing is left: whole seconds, as the model's times mostly
    are, show none)."""

    camel_case: bool = False
    nulls: bool = False
    time_digits: int = 6


@dataclass(frozen=True, slots=True)
class ReleaseProfile:
    """One Enterprise Manager release as mock-em emulates it."""

    name: str  # as `--release` takes it: `9.5u4`, `12`
    api_versions: tuple[str, ...]  # listed under SupportedVersions and accepted by `?v=`, oldest first
    json: JsonNotation = JsonNotation()
    instants: Instants = WHOLE_SECONDS  # fractions of a second on sessions and points, in names too
    # what its backup servers report as `Version` (BackupServer); "": each server's own, as the
    # world holds it (9.5 U4's worlds hold 9.5 servers)
    product_version: str = ""
    upper_escapes: bool = False  # the percent-escapes of links it writes back in upper-case hex (13)
    entity_list_links: bool = False  # a LogonSession links each entity list too (12, 13)

    @property
    def latest(self) -> str:
        """The API version `?v=latest` (and a logon without `?v=`) stands for."""
        return self.api_versions[-1]

    def accepts(self, version: str | None) -> bool:
        """Whether a logon's `?v=` names a version this release serves (none, `latest` or a listed one,
        in any case)."""
        if version is None or version == "" or version.casefold() == "latest":
            return True
        return version.casefold() in {v.casefold() for v in self.api_versions}


def _up_to(last: str) -> tuple[str, ...]:
    return API_VERSIONS[: API_VERSIONS.index(last) + 1]


_SINCE_V12 = ("v1_5", "v1_6", "v1_7")  # what 12 and 13 list (captures em12-root, em13-root)
_CAMEL_CASE = JsonNotation(camel_case=True, nulls=True, time_digits=6)  # 13's
PROFILES: dict[str, ReleaseProfile] = {
    p.name: p
    for p in (
        ReleaseProfile("7.0", _up_to("v1")),
        ReleaseProfile("8.0", _up_to("v1_1")),
        ReleaseProfile("9.0", _up_to("v1_2")),
        ReleaseProfile("9.5", _up_to("v1_3")),
        ReleaseProfile("9.5u4", _up_to("v1_4")),
        # product versions: 10a and 11a's builds; 12 and 13 as captured (em-api-monitoring.md §3)
        ReleaseProfile("10", _up_to("v1_5"), product_version="10.0.1.4854"),
        ReleaseProfile("11", _up_to("v1_6"), product_version="11.0.1.1261"),
        ReleaseProfile(
            "12",
            _SINCE_V12,
            JsonNotation(nulls=True, time_digits=3),
            Instants(digits=3),
            "12.3.2.4465",
            entity_list_links=True,
        ),
        ReleaseProfile(
            "13",
            _SINCE_V12,
            _CAMEL_CASE,
            Instants(digits=6, fine_names=True),
            "13.0.1.2067",
            upper_escapes=True,
            entity_list_links=True,
        ),
    )
}
RELEASES = tuple(PROFILES)
DEFAULT_RELEASE = "9.5u4"

_ORDER = {name: position for position, name in enumerate(RELEASES)}


def profile(release: str) -> ReleaseProfile:
    """A release's profile (names in any case: `9.5U4`); a ValueError names the releases there are."""
    try:
        return PROFILES[release.lower()]
    except KeyError:
        raise ValueError(f"{release!r} is not one of {', '.join(RELEASES)}") from None


def release_rank(release: str) -> int:
    """A release's place among `RELEASES`, oldest first (names in any case: `9.5U4`); a ValueError
    names the releases there are."""
    return _ORDER[profile(release).name]


def has_arrived(since: str | None, release: str) -> bool:
    """Whether something that first came with `since` (None: with every release) is in `release`."""
    return since is None or release_rank(release) >= release_rank(since)
