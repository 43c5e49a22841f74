"""`MockEmClient`: a small typed client for mock-em's control plane (`/mock`) and for logging on.

Tests change the emulated Enterprise Manager only through the control plane (the design's one back
door), so the same test runs against a server in a thread, in another process or in a container.
Every method is one HTTP call; every failure raises `MockEmError` with the status and the Veeam
`Error` message the server wrote, so a failing test shows what the server objected to.

The control plane's calls themselves are `mock_em.testing.control_plane.ControlPlane`'s, which the
client mixes in; here is the connection (`_control`, `_send`), status, and the vendor API calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, cast

import httpx

from mock_em.testing.control_plane import ClockState, ControlPlane, SessionInfo, WorldSummary

__all__ = [
    "DEFAULT_ADMIN",
    "SESSION_HEADER",
    "ClockState",
    "MockEmClient",
    "MockEmError",
    "SessionInfo",
    "WorldSummary",
]

DEFAULT_ADMIN = ("Administrator", "P@ssw0rd")
SESSION_HEADER = "X-RestSvcSessionId"


class MockEmError(Exception):
    """A request that mock-em answered with an error status (or did not answer at all).

    `status` is the HTTP status (0 when there was no answer), `message` the `Message` of the
    Veeam `Error` body, so assertions can match on either without parsing bodies.
    """

    def __init__(self, method: str, url: str, status: int, message: str, body: str = "") -> None:
        super().__init__(f"{method} {url} -> {status}: {message}")
        self.method = method
        self.url = url
        self.status = status
        self.message = message
        self.body = body


def error_message(response: httpx.Response) -> str:
    """The `Message` of a Veeam Error body, JSON or XML; the raw text when it is neither."""
    text = response.text
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("Message", "message", "detail", "error"):
            if isinstance(data.get(key), str):
                return data[key]
    match = re.search(r'Message="([^"]*)"', text)
    if match:
        return match.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.strip()[:500] or response.reason_phrase


class MockEmClient(ControlPlane):
    """The control plane of one mock-em server, plus logon and logoff on its vendor API.

    Give it the server's base URL (`http://127.0.0.1:9399`, no `/api`). To drive an in-process
    app instead (no socket), pass an `httpx.Client` bound to it as `http`, for example a
    `starlette.testclient.TestClient(app)`. `control_token` is sent as a Bearer token when the
    server was started with `MOCK_EM_CONTROL_TOKEN`.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:9399",
        *,
        control_token: str | None = None,
        timeout: float = 30.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.control_token = control_token
        self._owned = http is None
        self.http = http if http is not None else httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.base_url = str(self.http.base_url).rstrip("/")
        # session id of each token logged on through this client, so logoff needs no extra request
        self._session_ids: dict[str, str] = {}
        # session ids that assert_all_sessions_logged_off leaves alone (e.g. a fixture's own session)
        self.ignored_sessions: set[str] = set()

    # -- plumbing -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (not a client passed in as `http`)."""
        if self._owned:
            self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MockEmClient({self.base_url!r})"

    @property
    def api_url(self) -> str:
        """The vendor API's base URL (`…/api`)."""
        return f"{self.base_url}/api"

    def _control(self, method: str, path: str, *, body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """One control-plane call; its JSON answer, or MockEmError."""
        headers = {"Accept": "application/json"}
        if self.control_token:
            headers["Authorization"] = f"Bearer {self.control_token}"
        response = self._send(method, f"/mock{path}", headers=headers, json=body, params=params)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise MockEmError(method, url, 0, f"no answer: {exc!r}") from exc
        if response.status_code >= 400:
            raise MockEmError(method, url, response.status_code, error_message(response), response.text)
        return response

    # -- status -------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """`{"status": "ok"}` once the process answers (no control token needed)."""
        return self._control("GET", "/health")

    def ready(self) -> dict[str, Any]:
        """Readiness: the world is loaded (no control token needed)."""
        return self._control("GET", "/ready")

    def about(self) -> dict[str, Any]:
        """Version, release, seed, world size, clock, live session count and vendor routes."""
        return self._control("GET", "/about")

    def reset(self) -> dict[str, Any]:
        """Back to the start: the original world and clock, no sessions, faults or journal."""
        return self._control("POST", "/reset")

    # -- vendor API ---------------------------------------------------------------------------

    def logon(self, user: str = DEFAULT_ADMIN[0], password: str = DEFAULT_ADMIN[1]) -> str:
        """Log an EM user on with HTTP Basic (`POST /api/sessionMngr/?v=latest`); the session token."""
        response = self._send(
            "POST", "/api/sessionMngr/?v=latest", auth=(user, password), headers={"Accept": "application/json"}
        )
        return self._opened(response)

    def logon_tenant(self, username: str, password: str) -> str:
        """Log a Cloud Connect tenant on with `TenantCredentials` in a LoginSpec; the session token."""
        body = {"TenantCredentials": {"Username": username, "Password": password}}
        response = self._send("POST", "/api/sessionMngr/?v=latest", json=body, headers={"Accept": "application/json"})
        return self._opened(response)

    def _opened(self, response: httpx.Response) -> str:
        token = response.headers[SESSION_HEADER]
        self._session_ids[token] = response.headers.get("location", "").rstrip("/").rsplit("/", 1)[-1]
        self.http.cookies.clear()  # the logon's cookie would override the token of later calls
        return token

    def known_session_id(self, token: str) -> str | None:
        """The SessionId of a token logged on through this client; None for others (no request)."""
        return self._session_ids.get(token)

    def session_id(self, token: str) -> str:
        """The SessionId of a token (what `sessions()` lists); asks the vendor API if not known."""
        known = self._session_ids.get(token)
        if known:
            return known
        data = self.get_json("/logonSessions", token, format="Entity")
        own = cast(dict[str, Any], data["LogonSessions"][0])
        session_id = str(own.get("SessionId") or own["UID"].rsplit(":", 1)[-1])
        self._session_ids[token] = session_id
        return session_id

    def logoff(self, token: str) -> None:
        """End a session the way clients do: `DELETE /api/logonSessions/{id}` with its own token."""
        session_id = self.session_id(token)
        self._send("DELETE", f"/api/logonSessions/{session_id}", headers={SESSION_HEADER: token})
        self._session_ids.pop(token, None)

    def get_json(self, path: str, token: str | None = None, **params: Any) -> Any:
        """`GET /api{path}` as JSON with a session token (for assertions in tests)."""
        headers = {"Accept": "application/json"}
        if token is not None:
            headers[SESSION_HEADER] = token
        self.http.cookies.clear()
        return self._send("GET", f"/api{path}", headers=headers, params=params).json()
