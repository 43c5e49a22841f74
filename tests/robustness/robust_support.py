"""What the robustness tests share: the app's route table, Veeam Error checks, tenant logon bodies,
and real `mock-em serve` processes on loopback (started with `e2e.test_real_server_curl`)."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
from e2e.test_real_server_curl import Server, free_port, start_server
from em_schema import assert_valid
from fastapi import FastAPI
from lxml import etree

NS = "http://www.veeam.com/ent/v1.0"
ADMIN = ("Administrator", "P@ssw0rd")
SESSION_HEADER = "X-RestSvcSessionId"
JSON_ACCEPT = {"Accept": "application/json"}
ERROR_STATUS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    500: "InternalServerError",
}
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


# -- the route table ------------------------------------------------------------------------------


def route_table(app: FastAPI) -> list[tuple[str, frozenset[str]]]:
    """Every (path template, methods) the app routes, flattening included routers.

    FastAPI before 0.16x lists flat `APIRoute`s in `app.routes`; later versions keep included
    routers as `_IncludedRouter` branches whose `effective_candidates()` hold the routes with their
    full paths. Both are walked; framework routes (docs, openapi.json) are included."""

    def walk(routes: Iterable[Any]) -> Iterator[tuple[str, frozenset[str]]]:
        for route in routes:
            candidates = getattr(route, "effective_candidates", None)
            if callable(candidates):
                yield from walk(candidates())
                continue
            path, methods = getattr(route, "path", None), getattr(route, "methods", None)
            if path and methods:
                yield path, frozenset(methods)

    merged: dict[str, set[str]] = {}
    for path, methods in walk(app.routes):
        merged.setdefault(path, set()).update(methods)
    return sorted((path, frozenset(methods)) for path, methods in merged.items())


def concrete(path: str, value: str = "00000000-0000-4000-8000-000000000000") -> str:
    """A route template with every `{param}` filled with `value`."""
    out, depth = [], 0
    for char in path:
        if char == "{":
            depth += 1
            if depth == 1:
                out.append(value)
        elif char == "}":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


# -- Veeam Error bodies ---------------------------------------------------------------------------


def error_fields(response: httpx.Response) -> dict[str, Any]:
    """Message, StatusCode and Status of a Veeam Error body, XML or JSON; AssertionError otherwise.

    An XML Error must also validate against the vendor schema (when `VEEAM_EM_XSD` is set)."""
    content_type = response.headers.get("content-type", "")
    body = response.content
    assert b"Traceback" not in body, body[:2000]
    if content_type.startswith("application/json"):
        data = json.loads(body)
        assert isinstance(data, dict), data
        assert set(data) >= {"Message", "StatusCode", "Status"}, data
        assert "detail" not in data, f"a framework error page: {data}"
        fields = {"Message": data["Message"], "StatusCode": data["StatusCode"], "Status": data["Status"]}
    else:
        assert content_type.startswith("application/xml"), (response.status_code, content_type, body[:500])
        root = assert_valid(body)
        assert root.tag == f"{{{NS}}}Error", root.tag
        fields = {
            "Message": root.get("Message"),
            "StatusCode": int(root.get("StatusCode")),
            "Status": root.get("Status"),
        }
    assert isinstance(fields["Message"], str) and fields["Message"], fields
    assert fields["StatusCode"] == response.status_code, (fields, response.status_code)
    if response.status_code in ERROR_STATUS:
        assert fields["Status"] == ERROR_STATUS[response.status_code], fields
    return fields


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response has this status and a Veeam Error body; returns its fields."""
    assert response.status_code == status, (response.status_code, response.text[:1000])
    return error_fields(response)


def assert_unauthorized(response: httpx.Response) -> dict[str, Any]:
    """401, the Basic challenge EM sends, and a Veeam Error."""
    fields = assert_error(response, 401)
    assert response.headers.get("www-authenticate") == "Basic Realm=RestSvc", response.headers
    return fields


# -- logons ---------------------------------------------------------------------------------------


def login_spec(username: str, password: str) -> bytes:
    """A tenant's LoginSpec XML body."""
    return (
        f'<LoginSpec xmlns="{NS}"><TenantCredentials><Username>{escape(username)}</Username>'
        f"<Password>{escape(password)}</Password></TenantCredentials></LoginSpec>"
    ).encode()


def session_id_of(body: bytes) -> str:
    """The SessionId of a LogonSession XML body."""
    found = etree.fromstring(body).findtext(f"{{{NS}}}SessionId")
    assert found, body[:500]
    return found


# -- real servers ---------------------------------------------------------------------------------


@contextmanager
def running_server(tmp: Path, *args: str, name: str = "server") -> Iterator[Server]:
    """`mock-em serve --host 127.0.0.1 --port <free> ARGS…`, stopped (SIGTERM) afterwards."""
    port = free_port()
    server, _ = start_server(["--host", "127.0.0.1", "--port", str(port), *args], port, tmp / f"{name}.log")
    try:
        yield server
    finally:
        server.stop()


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (`VmRSS` of /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def port_answers(host: str, port: int, timeout: float = 0.2) -> bool:
    """True when something accepts a TCP connection on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def listening_ports(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket in LISTEN state that process `pid` holds (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found: set[tuple[str, int]] = set()
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state != "0A" or inode not in inodes:  # 0A = LISTEN
                continue
            address, port = local.split(":")
            found.add((_proc_address(address, v6), int(port, 16)))
    return found


def _proc_address(hex_address: str, v6: bool) -> str:
    """/proc/net/tcp's little-endian hex address as text."""
    raw = bytes.fromhex(hex_address)
    if not v6:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def wait_until(condition: Any, timeout: float, interval: float = 0.02) -> bool:
    """Poll `condition()` until true or `timeout` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
