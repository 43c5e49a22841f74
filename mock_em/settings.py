"""One typed Settings object; the only place mock-em reads its environment.

Every setting has a command-line flag and a `MOCK_EM_*` environment variable of the same name
(`--points-per-vm` / `MOCK_EM_POINTS_PER_VM`); a flag beats the variable, the variable beats the
default. Bad values raise SettingsError with a message that names the setting.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from mock_em.generator import KNOBS, WorldSize
from mock_em.model.accounts import parse_user_spec
from mock_em.model.entities import Account
from mock_em.model.fixture import parse_time
from mock_em.releases import DEFAULT_RELEASE, RELEASES, ReleaseProfile, profile

DEFAULT_USER = "Administrator:P@ssw0rd"


# More worker processes than this is a typo rather than a plan.
MAX_WORKERS = 64

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


class SettingsError(ValueError):
    """A setting with a value mock-em cannot use; the message names it."""


def parse_duration(text: str) -> timedelta:
    """`15m`, `90s`, `1h`, `1.5h` or a bare number of minutes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 15m, 90s, 1h)")
    value, unit = float(match.group(1)), match.group(2) or "m"
    try:
        return timedelta(seconds=value * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])
    except OverflowError:
        raise ValueError(f"{text!r} is longer than any clock can hold") from None


def _world_knobs(cls: type) -> type:
    """Give the class one `int` field per world-size knob (`mock_em.generator.KNOBS`: the fields of
    `WorldSize`, with their defaults), right after `seed`, so that a knob is declared only there."""
    annotations: dict[str, Any] = {}
    for name, hint in cls.__annotations__.items():
        annotations[name] = hint
        if name == "seed":
            for knob in KNOBS:
                annotations[knob.name] = "int"
                setattr(cls, knob.name, knob.default)
    cls.__annotations__ = annotations
    return cls


@dataclass(frozen=True, slots=True)
@_world_knobs
class Settings:
    """Everything that shapes one mock-em server.

    After `seed` come the world-size knobs, one `int` field each, as `WorldSize` declares them
    (`backup_servers`, `tenants`, `replicas_per_tenant`, `vms_per_replica`, `points_per_vm`)."""

    host: str = "0.0.0.0"
    port: int = 9399
    seed: int = 1
    fixture: str | None = None
    user: tuple[str, ...] = (DEFAULT_USER,)
    idle_timeout: str = "15m"
    public_url: str | None = None
    release: str = DEFAULT_RELEASE
    machine_name: str = "EM01"
    clock: str | None = None
    control_token: str | None = None
    journal_size: int = 1000
    tls: bool = False
    tls_port: int = 9398
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_host: tuple[str, ...] = ()
    tls_dir: str | None = None
    demo: bool = False
    clock_rate: float = 1.0
    unusual_state_rate: float = 0.02
    log_level: str = "warning"
    workers: int = 1
    redis_url: str | None = None
    redis_prefix: str = "mock-em:"
    redis_ca: str | None = None  # PEM CA file that a rediss:// server's certificate is checked against
    deterministic_sessions: bool = False  # session ids from the seed: predictable, so for tests only
    compact_every: int = 1000  # control-log entries between snapshots (0: never compact)
    _accounts: tuple[Account, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        self._check()

    # -- derived, checked values ------------------------------------------------------------

    def _check(self) -> None:
        if not 0 <= self.tls_port <= 65535:
            raise SettingsError(f"tls-port: {self.tls_port} is not a TCP port")
        if self.tls and self.tls_port == self.port and self.port != 0:
            raise SettingsError(f"tls-port: HTTPS needs a port of its own, not the HTTP port {self.port}")
        if self.log_level.lower() not in LOG_LEVELS:
            raise SettingsError(f"log-level: {self.log_level!r} is not one of {', '.join(LOG_LEVELS)}")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise SettingsError("tls-cert and tls-key: give both or neither")
        if not 0 < self.clock_rate <= 1_000_000:
            raise SettingsError(f"clock-rate: {self.clock_rate} must be above 0 and at most 1000000")
        if not 0 <= self.unusual_state_rate <= 1:
            raise SettingsError(f"unusual-state-rate: {self.unusual_state_rate} is not between 0 and 1")
        if self.journal_size < 0:
            raise SettingsError("journal-size: must not be negative")
        if self.compact_every < 0:
            raise SettingsError("compact-every: must not be negative")
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"port: {self.port} is not a TCP port")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise SettingsError(f"workers: {self.workers} is not between 1 and {MAX_WORKERS}")
        if self.workers > 1 and not self.redis_url:
            raise SettingsError(
                f"workers: {self.workers} worker processes must share their sessions and world through a store; "
                "also set redis-url (--redis-url, MOCK_EM_REDIS_URL), e.g. redis://127.0.0.1:6379/0"
            )
        if self.redis_url is not None and not re.match(r"^(rediss?|unix)://\S+$", self.redis_url):
            raise SettingsError(f"redis-url: {self.redis_url!r} is not a redis://, rediss:// or unix:// URL")
        if self.redis_ca is not None and not (self.redis_url or "").startswith("rediss://"):
            raise SettingsError("redis-ca: only with a rediss:// redis-url (TLS)")
        if not self.redis_prefix or any(c.isspace() for c in self.redis_prefix):
            raise SettingsError(f"redis-prefix: {self.redis_prefix!r} must be a non-empty word such as mock-em:")
        for knob in KNOBS:
            if getattr(self, knob.name) < 0:
                raise SettingsError(f"{knob.flag[2:]}: must not be negative")
        if self.tenants and not self.backup_servers:
            raise SettingsError("backup-servers: tenants need at least one backup server")
        if self.release.lower() not in RELEASES:
            raise SettingsError(f"release: {self.release!r} is not one of {', '.join(RELEASES)}")
        if self.public_url and not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", self.public_url):
            raise SettingsError(f"public-url: {self.public_url!r} is not an http(s) URL")
        try:
            accounts = tuple(parse_user_spec(spec) for spec in self.user)
            self.idle_timeout_delta  # noqa: B018 - validate now, not at the first request
            self.clock_start  # noqa: B018
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        if not accounts:
            raise SettingsError("user: at least one account must be able to log on")
        object.__setattr__(self, "_accounts", accounts)

    @property
    def accounts(self) -> tuple[Account, ...]:
        """The EM user accounts that may log on with HTTP Basic."""
        return self._accounts

    @property
    def idle_timeout_delta(self) -> timedelta:
        """How long a session may stay unused before EM ends it."""
        try:
            delta = parse_duration(self.idle_timeout)
        except ValueError as exc:
            raise ValueError(f"idle-timeout: {exc}") from None
        if delta <= timedelta(0):
            raise ValueError("idle-timeout: must be positive")
        return delta

    @property
    def clock_start(self) -> datetime | None:
        """Where a virtual, frozen clock starts; None for real time."""
        if not self.clock:
            return None
        try:
            return parse_time(self.clock)
        except ValueError:
            raise ValueError(f"clock: {self.clock!r} is not an ISO 8601 time such as 2026-01-01T00:00:00Z") from None

    @property
    def world_size(self) -> WorldSize:
        """The generator's size, from the knobs."""
        return WorldSize(**{knob.name: getattr(self, knob.name) for knob in KNOBS})

    @property
    def profile(self) -> ReleaseProfile:
        """The release profile of `release`: everything that differs between releases."""
        return profile(self.release)

    @property
    def api_versions(self) -> list[str]:
        """The API versions this release lists under SupportedVersions, oldest first."""
        return list(self.profile.api_versions)

    # -- sources ------------------------------------------------------------------------------

    @classmethod
    def from_sources(
        cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Defaults, then `MOCK_EM_*` variables, then explicit overrides (flags; None = unset)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name.startswith("_"):
                continue
            raw = environ.get(f"MOCK_EM_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, raw)
        for name, value in (overrides or {}).items():
            if value is not None and value != [] and value != ():
                values[name] = tuple(value) if isinstance(value, list) else value
        if values.get("fixture") and not {"release", "clock"} <= values.keys():
            # an imported world is served as its source was: its release, its clock at the import
            header = fixture_header(values["fixture"])
            for name, key in (("release", "Release"), ("clock", "ImportedAt")):
                if name not in values and isinstance(header.get(key), str) and header[key]:
                    values[name] = header[key]
        try:
            return cls(**values)
        except TypeError as exc:
            raise SettingsError(str(exc)) from None


HEADER_BYTES = 1 << 20  # a fixture's header members stand in its first lines


def fixture_header(path: str) -> dict[str, Any]:
    """The scalar members a fixture file opens with, before its world's sections (`Format`,
    `Seed`, and in an imported world `Release` and `ImportedAt`): read from the head of the file
    alone, so a large world is not parsed twice. {} for a file that cannot be read or does not
    open so (`load_world` says what is wrong with it later)."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read(HEADER_BYTES)
    except (OSError, UnicodeDecodeError):
        return {}
    decoder = json.JSONDecoder()
    header: dict[str, Any] = {}
    at = _skip_space(text, 0)
    if not text.startswith("{", at):
        return {}
    at += 1
    try:
        while True:
            at = _skip_space(text, at)
            if not text.startswith('"', at):
                return header
            key, at = decoder.raw_decode(text, at)
            at = _skip_space(text, at)
            if not text.startswith(":", at):
                return header
            at = _skip_space(text, at + 1)
            if text[at : at + 1] in ("[", "{"):  # the first section: the header is over
                return header
            value, at = decoder.raw_decode(text, at)
            header[key] = value
            at = _skip_space(text, at)
            if not text.startswith(",", at):
                return header
            at += 1
    except (json.JSONDecodeError, IndexError):
        return header


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _convert(name: str, raw: str) -> Any:
    """Turn a `MOCK_EM_*` string into the field's type."""
    default = Settings.__dataclass_fields__[name].default
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(default, bool):
        if raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"MOCK_EM_{name.upper()}: {raw!r} is not true or false")
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"MOCK_EM_{name.upper()}: {raw!r} is not a number") from None
    if isinstance(default, int) and not isinstance(default, bool):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"MOCK_EM_{name.upper()}: {raw!r} is not a whole number") from None
    return raw
