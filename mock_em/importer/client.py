"""A gentle, read-only client of a source Enterprise Manager's REST API.

It sends three kinds of request and no other: the logon (`POST /api/sessionMngr/?v=latest` with
HTTP Basic, or a Cloud Connect tenant's `LoginSpec`), GETs (`Accept: application/json`, the
session in `X-RestSvcSessionId`) and the logoff (`DELETE /api/logonSessions/{id}`). A
production EM serves its own consoles and portals while it is read, so the client is gentle: a
token bucket keeps it under `rate` requests a second, at most `concurrency` requests are in
flight, and what fails for a passing reason (a 5xx, a 429, a timeout, a dropped connection, a
body cut short) is tried again after an exponential backoff with jitter, a bounded number of
times. A 401 on a GET is a session that expired: the client
logs on again and repeats the request.

The password is held here alone; no message this module makes names it, and what a library
says in an error is scrubbed of it before it is shown.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import httpx

from mock_em import __version__
from mock_em.importer.notation import to_pascal

LOGON_PATH = "/api/sessionMngr/?v=latest"
SESSION_HEADER = "X-RestSvcSessionId"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RELOGONS = 3  # a request that meets an expired session this often in a row gives up


class SourceError(RuntimeError):
    """The source could not be read; the message says what happened, never the password."""


@dataclass(frozen=True, slots=True)
class Gentleness:
    """How hard the client may press on the source."""

    rate: float = 10.0  # requests a second, on average
    burst: int = 2  # requests the bucket lets through at once after a quiet spell
    concurrency: int = 2  # requests in flight at most
    retries: int = 5  # further attempts of a request that failed for a passing reason
    backoff: float = 0.5  # seconds before the first retry; doubled each time
    max_backoff: float = 30.0  # the longest wait between attempts
    timeout: float = 60.0  # seconds a request may take (a big page of a large EM is slow)


class TokenBucket:
    """At most `rate` requests a second on average, `burst` at once: each request takes a token;
    tokens come back at `rate` a second up to `burst`."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate: must be above 0")
        self.rate = rate
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        """Wait until a token is there, and take it."""
        async with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self.rate)
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
            self._tokens -= 1


@dataclass(frozen=True, slots=True)
class Answer:
    """A GET's answer: its status, and its JSON (PascalCase whatever the source's notation)."""

    status: int
    body: Any
    message: str = ""  # an error answer's `Message`


def base_url(text: str) -> str:
    """The source's base URL (`https://em.example:9398`) from what the user gave (a trailing
    `/api` or slash is dropped); a URL with credentials in it is refused."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"--from: {text!r} is not an http:// or https:// URL such as https://em.example:9398")
    if parts.username or parts.password:
        raise SourceError("--from: put no user name or password in the URL (use --user and --password-file)")
    path = parts.path.rstrip("/")
    if path.casefold().endswith("/api"):
        path = path[: -len("/api")]
    return f"{parts.scheme}://{parts.netloc}{path}"


def tls_verify(ca: str | None, insecure: bool) -> ssl.SSLContext | bool:
    """What httpx verifies the source's certificate with: the system's CAs, the given CA file, or
    nothing (`--insecure`, said out loud by the caller)."""
    if insecure:
        return False
    if ca:
        try:
            return ssl.create_default_context(cafile=ca)
        except (OSError, ssl.SSLError) as exc:
            raise SourceError(f"--ca: cannot use {ca}: {exc}") from None
    return True


class Source:
    """One logon session on a source EM; use `async with`, which logs off at the end."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        gentleness: Gentleness = Gentleness(),
        verify: ssl.SSLContext | bool = True,
        jitter: random.Random | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
        on_request: Callable[[str, str, int | None], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        tenant: bool = False,
    ) -> None:
        self.url = base_url(url)
        self.user = user
        self._password = password
        self._tenant = tenant  # a Cloud Connect tenant: its credentials go in a LoginSpec, not Basic
        self._secrets = tuple(s for s in (password, _basic(user, password)) if s)
        self.gentle = gentleness
        self._jitter = jitter or random.Random()
        self._sleep = sleep
        self._on_request = on_request
        self._bucket = TokenBucket(gentleness.rate, gentleness.burst, sleep=sleep)
        self._slots = asyncio.Semaphore(max(1, gentleness.concurrency))
        self._logon_lock = asyncio.Lock()
        self._session: tuple[str, str] | None = None  # (token, SessionId)
        self._generation = 0  # how many logons so far: a 401 after a newer logon only repeats
        self.requests = 0
        self.retried = 0
        self.relogons = 0
        self.server_time: datetime | None = None  # the logon answer's Date
        slots = max(1, gentleness.concurrency)
        limits = httpx.Limits(max_connections=slots, max_keepalive_connections=slots)
        self._http = httpx.AsyncClient(
            verify=verify,
            timeout=gentleness.timeout,
            limits=limits,
            headers={"Accept": "application/json", "User-Agent": f"mock-em-import/{__version__}"},
            follow_redirects=False,
            transport=transport,
        )

    async def __aenter__(self) -> Source:
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.logoff()
        finally:
            await self._http.aclose()

    # -- what the client sends: these three, and nothing else ------------------------------

    async def root(self) -> Any:
        """`GET /api/` (no session needed): what the source says it serves, as sent."""
        response, body = await self._send("GET", "/api/")
        if response.status_code != 200:
            raise SourceError(f"GET /api/ answered {response.status_code}: {_message(response)}")
        return body

    async def logon(self) -> None:
        """Open a session (`POST /api/sessionMngr/?v=latest` with HTTP Basic, or for a Cloud
        Connect tenant with its `TenantCredentials` in a `LoginSpec` body, as EM asks of tenants)."""
        if self._tenant:
            spec = login_spec(self.user, self._password)
            headers = {"Content-Type": "application/xml"}
            response, _ = await self._send("POST", LOGON_PATH, content=spec, headers=headers)
        else:
            response, _ = await self._send("POST", LOGON_PATH, auth=(self.user, self._password))
        if response.status_code in (401, 403):
            raise SourceError(
                f"the source refused the logon of {self.user!r} ({response.status_code}: {_message(response)}); "
                "check the user name and password"
            )
        if response.status_code not in (200, 201):
            raise SourceError(f"the logon answered {response.status_code}: {_message(response)}")
        token = response.headers.get(SESSION_HEADER)
        if not token:
            raise SourceError(f"the logon answered without an {SESSION_HEADER} header")
        body = pascal_body(self._json(response, LOGON_PATH))
        session_id = str(body.get("SessionId") or "") if isinstance(body, dict) else ""
        if not session_id:
            session_id = response.headers.get("Location", "").rstrip("/").rsplit("/", 1)[-1]
        self._session = (token, session_id)
        self._generation += 1
        if self.server_time is None:
            self.server_time = _date(response)

    async def get(self, url: str) -> Answer:
        """A GET in the session: the answer of a 2xx or 4xx (a 401 has logged on again first)."""
        path = self._local(url)
        relogons = 0
        while True:
            if self._session is None:
                await self._relogon(self._generation)
            generation = self._generation
            token = self._session[0] if self._session else ""
            response, body = await self._send("GET", path, headers={SESSION_HEADER: token})
            if response.status_code == 401 and relogons < MAX_RELOGONS:
                relogons += 1
                await self._relogon(generation)
                continue
            if response.status_code == 401:
                raise SourceError(f"GET {path}: the source kept answering 401 after {MAX_RELOGONS} new logons")
            if response.is_success:
                return Answer(response.status_code, pascal_body(body))
            return Answer(response.status_code, None, _message(response))

    async def logoff(self) -> None:
        """End the session (`DELETE /api/logonSessions/{id}`); a failure to is only a pity."""
        if self._session is None:
            return
        token, session_id = self._session
        self._session = None
        if not session_id:
            return
        with contextlib.suppress(SourceError):  # the session ends by itself once idle long enough
            await self._send("DELETE", f"/api/logonSessions/{session_id}", headers={SESSION_HEADER: token}, tries=1)

    # -- the machinery ------------------------------------------------------------------------

    async def _relogon(self, seen: int) -> None:
        """Log on again, unless another request already did since generation `seen`."""
        async with self._logon_lock:
            if self._generation == seen:
                self._session = None
                if seen:
                    self.relogons += 1
                await self.logon()

    def _local(self, url: str) -> str:
        """A link's path and query, asked of the source at `--from`: a proxied EM names itself by
        an inner host name, and no session token goes anywhere but to the source."""
        parts = urlsplit(url)
        path = parts.path or "/"
        prefix = urlsplit(self.url).path  # a source behind a proxy at a path (`https://host/em`)
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        return path + (f"?{parts.query}" if parts.query else "")

    async def _send(
        self, method: str, path: str, *, tries: int | None = None, **kwargs: Any
    ) -> tuple[httpx.Response, Any]:
        """One request, tried again on a passing failure; never anything but the three kinds. With
        the answer comes a successful GET's JSON (parsed once: a page of a large EM is big)."""
        if not _allowed(method, path):
            raise AssertionError(f"the import sends no {method} {path}")  # a bug, never the source's doing
        attempts = (self.gentle.retries + 1) if tries is None else tries
        for attempt in range(attempts):
            async with self._slots:
                await self._bucket.take()
                self.requests += 1
                response, body, failure, asked = await self._attempt(method, path, kwargs)
            if response is not None:
                return response, body
            if attempt + 1 == attempts:
                raise SourceError(f"{method} {path}: {failure} ({attempts} attempts)")
            self.retried += 1
            await self._sleep(max(self._backoff(attempt), asked))
        raise SourceError(f"{method} {path}: no attempt was allowed")

    async def _attempt(
        self, method: str, path: str, kwargs: dict[str, Any]
    ) -> tuple[httpx.Response | None, Any, str, float]:
        """One attempt: the answer to keep (and a successful GET's JSON), or what failed for a
        passing reason and how long the source asked us to wait (`Retry-After`)."""
        try:
            response = await self._http.request(method, self.url + path, **kwargs)
            await response.aread()
        except httpx.HTTPError as exc:
            if _tls_refused(exc):
                raise SourceError(
                    f"{self.url}: the certificate could not be verified ({self._scrub(_cause(exc))}); "
                    "give --ca FILE with the CA that signed it, or --insecure to skip the check"
                ) from None
            self._report(method, path, None)
            return None, None, self._scrub(_cause(exc)), 0.0
        self._report(method, path, response.status_code)
        if response.status_code in RETRY_STATUSES:
            failure = f"answered {response.status_code}: {_message(response)}"
            return None, None, failure, _retry_after(response, self.gentle.max_backoff)
        body = None
        if method == "GET" and response.is_success:
            try:  # a body cut short by a proxy is tried again
                body = json.loads(response.content)
            except ValueError:
                return None, None, "the answer is no whole JSON", 0.0
        return response, body, "", 0.0

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half the doubled wait, plus up to as much again at random."""
        wait = min(self.gentle.max_backoff, self.gentle.backoff * 2**attempt)
        return wait / 2 + self._jitter.random() * wait / 2

    def _report(self, method: str, path: str, status: int | None) -> None:
        if self._on_request is not None:
            self._on_request(method, path, status)

    def _json(self, response: httpx.Response, path: str) -> Any:
        try:
            return json.loads(response.content)
        except ValueError:
            raise SourceError(f"GET {path}: the answer is no JSON ({response.headers.get('content-type')})") from None

    def _scrub(self, text: str) -> str:
        """A library's message with the password (and its Basic form) taken out, should it be there."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _allowed(method: str, path: str) -> bool:
    """The three kinds of request the import sends: GETs, the logon and the logoff."""
    lowered = path.casefold()
    if method == "GET":
        return True
    if method == "POST":
        return lowered.startswith("/api/sessionmngr")
    return method == "DELETE" and lowered.startswith("/api/logonsessions/")


def login_spec(username: str, password: str) -> str:
    """A tenant's logon body: the vendor's `LoginSpec` with its `TenantCredentials`."""
    return (
        '<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><TenantCredentials>'
        f"<Username>{escape(username)}</Username><Password>{escape(password)}</Password>"
        "</TenantCredentials></LoginSpec>"
    )


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii") if password else ""


def pascal_body(body: Any) -> Any:
    """A JSON answer in PascalCase: release 13's camelCase read back (its members begin in lower
    case); the other releases' as sent, without a walk through a big page for nothing."""
    if isinstance(body, dict) and any(key[:1].islower() for key in body):
        return to_pascal(body)
    return body


def _message(response: httpx.Response) -> str:
    """An error answer's `Message` (a Veeam Error, either notation), else its reason phrase."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return response.reason_phrase or "no message"
    if isinstance(body, dict):
        message = body.get("Message") or body.get("message")
        if isinstance(message, str) and message:
            return message[:500]
    return response.reason_phrase or "no message"


def _retry_after(response: httpx.Response, cap: float) -> float:
    """A 429's or 503's `Retry-After` in seconds (0 where there is none), at most `cap`."""
    value = response.headers.get("Retry-After", "")
    try:
        return min(cap, max(0.0, float(value)))
    except ValueError:
        return 0.0


def _date(response: httpx.Response) -> datetime | None:
    """The answer's `Date`: the source's clock at the logon."""
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _tls_refused(exc: BaseException) -> bool:
    """Whether a failure is the source's certificate failing verification (no retry mends that)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _cause(exc: BaseException) -> str:
    """What went wrong, in words: the exception's text, else its kind."""
    text = str(exc).strip()
    return text or type(exc).__name__
