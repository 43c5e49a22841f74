"""Shared state for more than one process: what lets `--workers N`, or several containers behind
one load balancer, answer as one Enterprise Manager.

Each process still holds its own world, clock, snapshots, fault rules and journal in memory (the
world is large and read on every request; copying it through a store would cost more than the
mock does). What makes the processes one EM lives in Redis, under a prefix (`--redis-prefix`):

* `config`: the settings that shape the EM, as the first process wrote them; a process started
  with other settings refuses to join (a different seed would be a different EM);
* `epoch`: the wall time the first process started at; every process builds its world and starts
  its clock at that instant (`mock_em.store.clock`), so all build the same world;
* `sessions:*`: the logon sessions (`mock_em.store.sessions`), each key expiring after the idle
  timeout unless the session is used;
* `control-log`: every control-plane change in order (`mock_em.store.log`), which each process
  applies (`mock_em.api.replication`), so world, clock, snapshots and fault rules stay the same;
  `control-snapshot` and `control-log:base`: the shared state as of a position of the log, behind
  which the log is trimmed (`mock_em.store.compaction`), so it stays bounded and a late process
  starts from the snapshot (docs/redis-state.md);
* `control-log:generation`: a random token naming the log's lineage. A Redis that comes back
  empty (restarted without persistence, flushed) has none: the first process to notice writes
  `config`, `epoch`, a snapshot of its own state and a new token back, and the others take that
  snapshot (`mock_em.api.replication`), so the EM goes on with its world and control edits; only
  the sessions are gone.

The request journal stays per process: each lists the requests it answered. A fresh EM needs a
fresh Redis database, a `FLUSHDB`, or another prefix, with every process of the old one stopped
(one still running writes the old EM back). While Redis cannot be reached, what needs it answers
503 and the process recovers by itself when it returns (`mock_em.store.outage`).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from mock_em.model.clock import Clock
from mock_em.settings import Settings, SettingsError
from mock_em.store.log import ReplicationLog, new_generation
from mock_em.store.outage import CLIENT_TIMEOUT, describe
from mock_em.store.sessions import RedisSessionStore
from mock_em.store.shared_state import FORMAT_VERSION as SNAPSHOT_FORMAT

if TYPE_CHECKING:
    from redis import Redis

# Settings that shape what the EM answers: every process of one EM must agree on them. (Where it
# listens, TLS, the public URL and the log level may differ from process to process.)
SHAPING = (
    "seed",
    "backup_servers",
    "tenants",
    "replicas_per_tenant",
    "vms_per_replica",
    "points_per_vm",
    "fixture",
    "user",
    "idle_timeout",
    "release",
    "machine_name",
    "clock",
    "control_token",
    "demo",
    "clock_rate",
    "unusual_state_rate",
)
SECRET = frozenset({"user", "control_token"})  # compared by hash, never written in the clear


def redacted_url(url: str) -> str:
    """The Redis URL without its password, fit for a banner or an error message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _scrubbed(text: str, url: str) -> str:
    """`text` with the URL's password (if any) blotted out, whatever quoted it."""
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text


def _hint(exc: BaseException) -> str:
    """What to do about the commonest refusals, after the client's own words."""
    text = str(exc)
    if type(exc).__name__ == "AuthenticationError" or "NOAUTH" in text:
        return " (is the password right? redis://:PASSWORD@host:port/0)"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return " (trust the server's CA with --redis-ca FILE)"
    return ""


def _digest(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value)).hexdigest()[:16]


def shaping_settings(settings: Settings) -> dict[str, Any]:
    """The settings every process of one EM must share; secrets as hashes, a fixture by content."""
    shaped: dict[str, Any] = {}
    for name in SHAPING:
        value = getattr(settings, name)
        if name in SECRET:
            value = _digest(value)
        elif name == "fixture" and value is not None:
            with contextlib.suppress(OSError):  # unreadable: building the world names the file
                value = "sha256:" + hashlib.sha256(Path(value).read_bytes()).hexdigest()[:16]
        shaped[name] = list(value) if isinstance(value, tuple) else value
    # processes that write control snapshots another cannot read are not one EM
    shaped["control_snapshot"] = SNAPSHOT_FORMAT
    return shaped


@dataclass
class SharedStore:
    """One EM's state in Redis: its keys, and the epoch every process starts from."""

    client: Redis
    prefix: str
    url: str  # redacted
    epoch: float
    probe: Redis | None = None  # a second client, for the outage probe (`mock_em.store.outage`)
    config: bytes = b""  # the `config` and `epoch` values as stored, to write back the same
    epoch_text: bytes = b""
    generation: str | None = None  # the log's lineage this process joined (`mock_em.store.log`)

    def log(self) -> ReplicationLog:
        """The control-plane replication log."""
        return ReplicationLog(self.client, f"{self.prefix}control-log", self.generation)

    def kept(self) -> dict[str, bytes]:
        """The keys a Redis that lost them gets back as they were: the settings and the epoch."""
        return {f"{self.prefix}config": self.config, f"{self.prefix}epoch": self.epoch_text}

    def sessions(self, clock: Clock, seed: int, idle_timeout: timedelta) -> RedisSessionStore:
        """The shared logon sessions, expiring by `clock`."""
        return RedisSessionStore(self.client, self.prefix, clock, seed, idle_timeout)


def client_options(settings: Settings) -> dict[str, Any]:
    """How every process talks to Redis: short timeouts, so that an outage costs a request about a
    second, not a hang (`mock_em.store.outage`); one immediate retry on a broken connection, so
    that a connection pooled before Redis restarted reconnects instead of failing once; and the CA
    of `--redis-ca` for `rediss://`."""
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.retry import Retry

    options: dict[str, Any] = {
        "socket_connect_timeout": CLIENT_TIMEOUT,
        "socket_timeout": CLIENT_TIMEOUT,
        "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        "health_check_interval": 30,
    }
    if settings.redis_ca:
        options["ssl_ca_certs"] = settings.redis_ca
    return options


def connect(settings: Settings) -> SharedStore:
    """Join (or found) the EM that `settings.redis_url` and the prefix name, or SettingsError why not.

    A Redis this process cannot use (unreachable, a wrong password, a TLS failure, not a Redis at
    all) is refused here with one line that names the URL without its password."""
    if not settings.redis_url:
        raise SettingsError("redis-url: not set")
    url = redacted_url(settings.redis_url)
    if settings.redis_ca and not Path(settings.redis_ca).is_file():
        raise SettingsError(f"redis-ca: cannot read {settings.redis_ca}")
    try:
        import redis
    except ImportError:
        raise SettingsError(
            "redis-url: the Python package redis is not installed: pip install 'mock-em[redis]'"
        ) from None
    try:
        options = client_options(settings)
        client = redis.Redis.from_url(settings.redis_url, **options)
        probe = redis.Redis.from_url(settings.redis_url, **options)
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"redis-url: {url}: {_scrubbed(str(exc), settings.redis_url)}") from None
    prefix = settings.redis_prefix
    shaped = orjson.dumps(shaping_settings(settings), option=orjson.OPT_SORT_KEYS)
    try:
        pipe = client.pipeline(transaction=True)
        pipe.set(f"{prefix}config", shaped, nx=True)
        pipe.set(f"{prefix}epoch", repr(time.time()), nx=True)
        pipe.set(f"{prefix}control-log:generation", new_generation(0), nx=True)
        pipe.get(f"{prefix}config")
        pipe.get(f"{prefix}epoch")
        pipe.get(f"{prefix}control-log:generation")
        _, _, _, stored, epoch, generation = pipe.execute()
    except (redis.RedisError, OSError, ValueError) as exc:
        reason = _scrubbed(describe(exc), settings.redis_url)
        raise SettingsError(f"redis-url: cannot use {url}: {reason}{_hint(exc)}") from None
    if stored != shaped:
        theirs = orjson.loads(stored)
        ours = orjson.loads(shaped)
        differ = sorted(name for name in set(ours) | set(theirs) if ours.get(name) != theirs.get(name))
        shown = ", ".join(
            name.replace("_", "-") + ("" if name in SECRET else f" {theirs.get(name)!r} there, {ours.get(name)!r} here")
            for name in differ
        )
        raise SettingsError(
            f"redis-url: {url} (prefix {prefix!r}) already holds an EM with other settings ({shown}); "
            "start every process with the same settings, or use another --redis-prefix"
        )
    return SharedStore(client, prefix, url, float(epoch), probe, stored, epoch, generation.decode())
