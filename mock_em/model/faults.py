"""Fault rules: make the vendor API fail on purpose, the way a real EM or its network does.

A client of EM has to survive a 503 from an overloaded server, a 401 when its session silently
ended, a slow answer that hits its timeout, a connection reset by a load balancer, a server that
closes without answering, and a body cut short. A rule says *which* requests (method, path glob,
the user or tenant of the session) and *what* happens to them (an error status, a delay, a broken
connection), and *how often* (a probability, the first N matches spared, at most M hits).

Rules are tried in creation order. The first rule that matches a request *and fires* decides it;
a rule that matches but does not fire (one of its first `skip_first` matches, or a lost
probability draw) lets the later rules try, so "fail 10% of requests, and delay the others" is two
rules. A rule that has fired `max_count` times is spent and no longer matches anything.

Each rule draws its probability and random delays from its own `random.Random(seed)`, so the same
rules and the same requests fail the same way on every run, whatever other rules do. This module is
pure: the recorder (mock_em/api/recorder.py) turns a decision into bytes, sleeps and broken sockets.
"""

from __future__ import annotations

import enum
import random
import re
import threading
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from http import HTTPStatus
from uuid import UUID

from mock_em.model.accounts import bare_name

MAX_LATENCY_MS = 600_000.0  # ten minutes: longer than any client timeout worth testing
MAX_MESSAGE = 2000
METHOD = re.compile(r"^[A-Z]+$")
ANY_METHOD = frozenset({"*", "ANY"})

# What EM itself says for the statuses clients most often meet; others use the HTTP reason phrase.
DEFAULT_MESSAGES = {
    401: "The logon session does not exist, has been closed or has expired",
    403: "Access denied",
    404: "The resource was not found",
    500: "Internal server error",
    503: "The service is unavailable",
}


class ConnectionFault(enum.Enum):
    """Ways to break the connection instead of answering (WireMock's fault kinds)."""

    reset = "reset"  # TCP reset: the client's read fails with ECONNRESET
    empty = "empty"  # the server closes without sending a byte
    truncated = "truncated"  # headers with a Content-Length, part of the body, then close


def default_message(status: int) -> str:
    """The Error message of a status fault that gives none."""
    return DEFAULT_MESSAGES.get(status) or HTTPStatus(status).phrase


@dataclass(frozen=True, slots=True)
class Requester:
    """Who sent a request, as far as its session token tells (all None without a live session)."""

    user_name: str | None = None
    tenant_id: UUID | None = None
    tenant_name: str | None = None


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """What a rule matches and what it does; validated on creation (ValueError names the field).

    Matching: `method` (None for any), `path` (a glob over the canonical path, compared
    case-insensitively; `*` also spans `/`), `user_name` (the session's user, with or without the
    machine prefix), `tenant` (the session's tenant, by name or id). A rule naming a user or tenant
    never matches a request without a live session.

    Action: `status` (an error status answered with a Veeam Error and `message`), a delay (fixed
    `latency_ms`, or uniform between `latency_min_ms` and `latency_max_ms`), and/or `connection`.
    A delay alone passes the request on late; with a status or connection fault it comes first.
    """

    method: str | None = None
    path: str = "*"
    user_name: str | None = None
    tenant: str | None = None
    status: int | None = None
    message: str | None = None
    latency_ms: float | None = None
    latency_min_ms: float | None = None
    latency_max_ms: float | None = None
    connection: ConnectionFault | None = None
    probability: float = 1.0
    skip_first: int = 0
    max_count: int | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        method = self.method.strip().upper() if self.method is not None else None
        if method in ANY_METHOD or method == "":
            method = None
        if method is not None and not METHOD.match(method):
            raise ValueError(f"method: {self.method!r} is not an HTTP method")
        object.__setattr__(self, "method", method)
        path = self.path.strip()
        if not path or len(path) > 1000:
            raise ValueError("path: give a glob such as /api/cloud/* (at most 1000 characters)")
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"  # canonical paths never end with a slash
        object.__setattr__(self, "path", path)
        for name in ("user_name", "tenant"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise ValueError(f"{_camel(name)}: must not be empty")
        self._check_action()
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability: must be between 0 and 1")
        if self.skip_first < 0:
            raise ValueError("skipFirst: must not be negative")
        if self.max_count is not None and self.max_count < 1:
            raise ValueError("maxCount: must be at least 1 (delete the rule to stop it)")

    def _check_action(self) -> None:
        if self.status is not None:
            if not 400 <= self.status <= 599 or self.status not in HTTPStatus._value2member_map_:
                raise ValueError(f"status: {self.status} is not an HTTP error status (400-599)")
            if self.connection is not None:
                raise ValueError("status and connection exclude each other: a broken connection has no status")
        elif self.message is not None:
            raise ValueError("message: only a status fault has a message")
        if self.message is not None and len(self.message) > MAX_MESSAGE:
            raise ValueError(f"message: at most {MAX_MESSAGE} characters")
        fixed = self.latency_ms is not None
        ranged = self.latency_min_ms is not None or self.latency_max_ms is not None
        if fixed and ranged:
            raise ValueError("latencyMs excludes latencyMinMs/latencyMaxMs: give a fixed or a random delay")
        if ranged and (self.latency_min_ms is None or self.latency_max_ms is None):
            raise ValueError("latencyMinMs and latencyMaxMs: a random delay needs both")
        for name in ("latency_ms", "latency_min_ms", "latency_max_ms"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= MAX_LATENCY_MS:
                raise ValueError(f"{_camel(name)}: must be between 0 and {MAX_LATENCY_MS:.0f} ms")
        if ranged and self.latency_min_ms > self.latency_max_ms:  # type: ignore[operator]
            raise ValueError("latencyMinMs: must not be more than latencyMaxMs")
        if self.status is None and self.connection is None and not fixed and not ranged:
            raise ValueError("a rule needs an action: status, latencyMs / latencyMinMs+latencyMaxMs, or connection")

    @property
    def effective_message(self) -> str | None:
        """The Error message a status fault answers with."""
        if self.status is None:
            return None
        return self.message if self.message is not None else default_message(self.status)

    def matches(self, method: str, path: str, requester: Requester) -> bool:
        """True when a request fits this rule's method, path, user and tenant."""
        if self.method is not None and method.upper() != self.method:
            return False
        if not fnmatchcase(path.casefold(), self.path.casefold()):
            return False
        if self.user_name is not None and (
            requester.user_name is None or bare_name(requester.user_name) != bare_name(self.user_name)
        ):
            return False
        if self.tenant is not None:
            wanted = self.tenant.strip().casefold()
            names = {requester.tenant_name.casefold()} if requester.tenant_name else set()
            if requester.tenant_id is not None:
                names.add(str(requester.tenant_id))
            if wanted not in names:
                return False
        return True


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True, slots=True)
class Fault:
    """What a fired rule does to one request."""

    rule_id: str
    status: int | None
    message: str | None
    delay_ms: float | None
    connection: ConnectionFault | None

    @property
    def kind(self) -> str:
        """The fault in one word, for the journal: `reset`, `empty`, `truncated`, `status` or `latency`."""
        if self.connection is not None:
            return self.connection.value
        return "status" if self.status is not None else "latency"


@dataclass
class FaultRule:
    """A rule with its id, its own RNG and its statistics."""

    id: str
    spec: FaultSpec
    rng: random.Random = field(repr=False)
    matched: int = 0
    fired: int = 0
    skipped: int = 0

    @property
    def spent(self) -> bool:
        """True once the rule has fired `max_count` times."""
        return self.spec.max_count is not None and self.fired >= self.spec.max_count


@dataclass(frozen=True, slots=True)
class RuleState:
    """A consistent copy of a rule and its statistics, for the control plane to show."""

    id: str
    spec: FaultSpec
    matched: int
    fired: int
    skipped: int
    spent: bool


class FaultRules:
    """The rules of one server, in creation order; ids are `f1`, `f2`, … until a reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, FaultRule] = {}
        self._next = 1

    def add(self, spec: FaultSpec) -> RuleState:
        """Add a rule after the existing ones; its RNG is seeded with `spec.seed`, or its id."""
        with self._lock:
            rule_id = f"f{self._next}"
            self._next += 1
            seed: int | str = spec.seed if spec.seed is not None else rule_id
            rule = FaultRule(rule_id, spec, random.Random(seed))
            self._rules[rule_id] = rule
            return self._state(rule)

    def get(self, rule_id: str) -> RuleState | None:
        """One rule, or None."""
        with self._lock:
            rule = self._rules.get(rule_id)
            return self._state(rule) if rule is not None else None

    def all(self) -> list[RuleState]:
        """Every rule, in the order they are tried."""
        with self._lock:
            return [self._state(rule) for rule in self._rules.values()]

    def remove(self, rule_id: str) -> bool:
        """Delete one rule; False if there was none."""
        with self._lock:
            return self._rules.pop(rule_id, None) is not None

    def clear(self) -> int:
        """Delete every rule (ids keep counting); returns how many there were."""
        with self._lock:
            count = len(self._rules)
            self._rules.clear()
            return count

    def reset(self) -> None:
        """No rules, ids from `f1` again: as a freshly started server."""
        with self._lock:
            self._rules.clear()
            self._next = 1

    def __bool__(self) -> bool:
        return bool(self._rules)

    def decide(self, method: str, path: str, requester: Requester) -> Fault | None:
        """The fault for a request (canonical `path`), or None to answer it normally.

        Counts every match, skip and hit, so the control plane can show why a rule did or did
        not fire. Draws happen only when a rule could fire, so spared matches do not move its RNG.
        """
        if not self._rules:  # the common case: no rules, no lock
            return None
        with self._lock:
            for rule in self._rules.values():
                spec = rule.spec
                if rule.spent or not spec.matches(method, path, requester):
                    continue
                rule.matched += 1
                if rule.skipped < spec.skip_first:
                    rule.skipped += 1
                    continue
                if spec.probability < 1.0 and not rule.rng.random() < spec.probability:
                    continue
                rule.fired += 1
                return Fault(rule.id, spec.status, spec.effective_message, self._delay(rule), spec.connection)
        return None

    @staticmethod
    def _delay(rule: FaultRule) -> float | None:
        spec = rule.spec
        if spec.latency_ms is not None:
            return spec.latency_ms
        if spec.latency_min_ms is not None and spec.latency_max_ms is not None:
            return rule.rng.uniform(spec.latency_min_ms, spec.latency_max_ms)
        return None

    @staticmethod
    def _state(rule: FaultRule) -> RuleState:
        return RuleState(rule.id, rule.spec, rule.matched, rule.fired, rule.skipped, rule.spent)
