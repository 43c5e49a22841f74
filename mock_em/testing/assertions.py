"""Assertions over mock-em's live sessions and request journal, for what EM clients get wrong.

A real Enterprise Manager punishes these mistakes late and elsewhere: sessions never logged off
pile up until EM refuses new ones, and a client that keeps sending a dead token gets 401s it may
swallow silently. Each assertion fails with a message that explains the near-misses
(pytest-httpserver style): what was recorded that almost matched, and why it did not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any

from mock_em.testing.client import SESSION_HEADER, MockEmClient

LOGON_PATH = "/api/sessionMngr"
LOGOFF_PREFIX = "/api/logonSessions/"
SHOWN = 10  # entries listed in a failure message; more are summarised


def _oldest_first(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Journal entries in the order they happened (the control plane lists newest first)."""
    return sorted(entries, key=lambda e: e.get("sequence", 0))


def _canonical(entry: dict[str, Any]) -> str:
    return entry.get("canonicalPath") or entry.get("path") or ""


def describe(entry: dict[str, Any]) -> str:
    """`#12 10:00:01Z GET /api/cloud?format=Entity -> 401 (EM01\\Administrator) [fault f1]`."""
    query = entry.get("query")
    text = f"#{entry.get('sequence', '?')} {entry.get('time', '')} {entry.get('method', '?')} {entry.get('path', '?')}"
    if query:
        text += f"?{query}"
    status = entry.get("status")
    text += f" -> {status if status is not None else 'connection broken'}"
    if entry.get("userName"):
        text += f" ({entry['userName']})"
    if entry.get("faultId"):
        text += f" [fault {entry['faultId']}: {entry.get('fault')}]"
    if entry.get("error"):
        text += f' "{entry["error"]}"'
    return text


def _listing(entries: list[dict[str, Any]], limit: int = SHOWN) -> list[str]:
    lines = [f"    {describe(e)}" for e in entries[-limit:]]
    if len(entries) > limit:
        lines.insert(0, f"    … and {len(entries) - limit} earlier")
    return lines


def _is_logon(entry: dict[str, Any]) -> bool:
    return entry.get("method") == "POST" and _canonical(entry).rstrip("/").casefold() == LOGON_PATH.casefold()


def _is_logoff(entry: dict[str, Any]) -> bool:
    return entry.get("method") == "DELETE" and _canonical(entry).casefold().startswith(LOGOFF_PREFIX.casefold())


# -- sessions -------------------------------------------------------------------------------


def assert_all_sessions_logged_off(client: MockEmClient, *, ignore: Iterable[str] = ()) -> None:
    """No logon session is left live: whoever logged on also logged off.

    `ignore` takes tokens or SessionIds to leave alone, as do `client.ignored_sessions` (the
    `mock_em_session` fixture puts its own there). The failure names each user that forgot, with
    their logons and logoffs from the journal and any logoff that failed.
    """
    skip = set(client.ignored_sessions)
    skip.update(client.known_session_id(item) or item for item in ignore)
    live = [s for s in client.sessions() if s["sessionId"] not in skip]
    if not live:
        return
    users = Counter(s["userName"] for s in live)
    named = ", ".join(f"{user} ({n}×)" if n > 1 else user for user, n in users.items())
    lines = [f"{len(live)} logon session(s) never logged off, by: {named}"]
    lines += [
        f"    {s['userName']}: session {s['sessionId']}, created {s['created']}, last used {s['lastUsed']}"
        for s in live
    ]
    journal = _oldest_first(client.journal())
    logons = [e for e in journal if _is_logon(e) and e.get("status") == 201]
    logoffs = [e for e in journal if _is_logoff(e)]
    for user in users:
        on = sum(1 for e in logons if e.get("userName") == user)
        off = sum(1 for e in logoffs if e.get("userName") == user and e.get("status") == 204)
        lines.append(f"{user}: {on} logon(s), {off} successful logoff(s) in the journal")
    failed = [e for e in logoffs if e.get("status") != 204]
    if failed:
        lines.append("Near misses: logoffs that failed (a wrong SessionId, or a token already dead?):")
        lines += _listing(failed)
    elif not logoffs:
        lines.append("No logoff was sent at all: DELETE /api/logonSessions/{SessionId} with the session's own token.")
    raise AssertionError("\n".join(lines))


# -- tokens ---------------------------------------------------------------------------------


def _why_401(entry: dict[str, Any]) -> str:
    if entry.get("faultId"):
        return f"injected by fault rule {entry['faultId']}"
    if entry.get("tokenRejected"):
        return "the token named no live session: expired (idle), logged off, ended by a reset, or never issued"
    headers = {k.lower() for k in (entry.get("headers") or {})}
    if SESSION_HEADER.lower() not in headers and "cookie" not in headers:
        return "no session token was sent (X-RestSvcSessionId header or cookie)"
    return "refused with 401"


def assert_no_unauthenticated_requests(client: MockEmClient) -> None:
    """No vendor request was refused for want of a live session: none carried an expired,
    logged-off or unknown token, and none outside logon came without one.

    Failed logons (wrong credentials on `POST /api/sessionMngr`) are a different mistake and are
    not counted. The failure lists the requests, why each was refused, and what the same client
    did just before (its last logon and logoff), which usually shows the dead token's origin.
    """
    journal = _oldest_first(client.journal())
    refused = [e for e in journal if not _is_logon(e) and (e.get("tokenRejected") or e.get("status") == 401)]
    if not refused:
        return
    lines = [f"{len(refused)} request(s) refused for want of a live session:"]
    lines += [f"    {describe(e)}\n        why: {_why_401(e)}" for e in refused[-SHOWN:]]
    if len(refused) > SHOWN:
        lines.insert(1, f"    … and {len(refused) - SHOWN} earlier")
    first = refused[0].get("sequence", 0)
    before = [e for e in journal if e.get("sequence", 0) < first and (_is_logon(e) or _is_logoff(e))]
    if before:
        lines.append("Logons and logoffs before the first refusal:")
        lines += _listing(before, 4)
    lines.append(
        "Hint: when a request answers 401, log on again (POST /api/sessionMngr) instead of retrying the token."
    )
    raise AssertionError("\n".join(lines))


# -- counts ---------------------------------------------------------------------------------


def _norm(path: str) -> str:
    path = path.split("?", 1)[0].casefold()
    return path.rstrip("/") if len(path) > 1 else path


def _path_matches(pattern: str, entry: dict[str, Any]) -> bool:
    wanted = _norm(pattern)
    candidates = {_norm(_canonical(entry)), _norm(entry.get("path", ""))}
    if set("*?[") & set(wanted):
        return any(fnmatchcase(c, wanted) for c in candidates)
    return wanted in candidates


def _one_level(a: str, b: str) -> bool:
    """True when one path is the other plus one segment (`/api/cloud` and `/api/cloud/tenants`)."""
    short, long = sorted((a, b), key=len)
    return long.startswith(short + "/") and "/" not in long[len(short) + 1 :]


def assert_request_count(client: MockEmClient, method: str, path: str, expected: int) -> None:
    """Exactly `expected` requests `method path` reached the vendor API.

    `path` matches as EM routes: any case, with or without a trailing slash, query string
    ignored; it may be a glob (`/api/cloud/replicas/*`). On a mismatch the message lists near
    misses: the same path with another method, and the same method on a path one level up or down.
    """
    method = method.upper()
    journal = _oldest_first(client.journal())
    matching = [e for e in journal if e.get("method", "").upper() == method and _path_matches(path, e)]
    if len(matching) == expected:
        return
    lines = [f"expected {expected} × {method} {path}, the journal has {len(matching)}"]
    if matching:
        lines.append("Matching:")
        lines += _listing(matching)
    wanted = _norm(path)
    near: list[str] = []
    for e in journal:
        if e in matching:
            continue
        same_method = e.get("method", "").upper() == method
        other = _norm(_canonical(e))
        if _path_matches(path, e):
            near.append(f"    {describe(e)}  [{e.get('method')}, not {method}]")
        elif same_method and _one_level(other, wanted):
            near.append(f"    {describe(e)}  [path {'below' if other.startswith(wanted) else 'above'} {path}]")
    if near:
        lines.append("Near misses:")
        lines += near[-SHOWN:]
    elif not matching:
        lines.append(f"All {len(journal)} journaled request(s):" if journal else "The journal is empty.")
        lines += _listing(journal)
    raise AssertionError("\n".join(lines))
