"""The request journal over the control plane: what clients sent to the vendor API, newest first.

Tokens, passwords and the control token never appear: the recorder redacts the headers that carry
them, and a request's session is named by its SessionId, not its token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from mock_em.api.errors import VeeamError
from mock_em.control.common import parse_uuid
from mock_em.model.fixture import format_time, parse_time
from mock_em.model.journal import Journal, JournalEntry, JournalFilter

router = APIRouter(prefix="/journal", tags=["journal"])


def journal(request: Request) -> Journal:
    """The app's request journal."""
    return request.app.state.journal


def entry_json(entry: JournalEntry) -> dict[str, Any]:
    """One journaled request; repeated headers are joined with `, ` as HTTP allows."""
    headers: dict[str, str] = {}
    for name, value in entry.headers:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return {
        "sequence": entry.sequence,
        "time": format_time(entry.time),
        "method": entry.method,
        "path": entry.path,
        "canonicalPath": entry.canonical_path,
        "query": entry.query,
        "headers": headers,
        "sessionId": str(entry.session_id) if entry.session_id else None,
        "userName": entry.user_name,
        "tokenRejected": entry.token_rejected,
        "status": entry.status,
        "latencyMs": entry.latency_ms,
        "faultId": entry.fault_id,
        "fault": entry.fault,
        "delayMs": entry.delay_ms,
        "error": entry.error,
    }


# The same filters for the list and the count, documented once.
METHOD = Query(default=None, max_length=20, description="only this HTTP method (any case)")
PATH = Query(
    default=None,
    max_length=1000,
    description="a glob (`/api/cloud/*`) if it holds `*`, `?` or `[`, else a substring; as sent or canonical",
)
STATUS = Query(default=None, ge=100, le=599, description="only this response status")
SESSION = Query(default=None, description="only requests of this logon session (its SessionId GUID)")
SINCE = Query(
    default=None,
    max_length=64,
    description="a sequence number (only later entries) or an ISO 8601 time (only requests received since)",
)


def journal_filter(
    method: str | None = METHOD,
    path: str | None = PATH,
    status: int | None = STATUS,
    sessionId: str | None = SESSION,
    since: str | None = SINCE,
) -> JournalFilter:
    """Dependency: the filters of the list and the count, documented once."""
    since_sequence, since_time = None, None
    if since is not None:
        if since.strip().isdigit():
            since_sequence = int(since)
        else:
            try:
                since_time = parse_time(since)
            except ValueError:
                raise VeeamError(400, f"since: {since!r} is neither a sequence number nor an ISO 8601 time") from None
    return JournalFilter(
        method=method,
        path=path,
        status=status,
        session_id=parse_uuid(sessionId, "sessionId") if sessionId is not None else None,
        since=since_sequence,
        since_time=since_time,
    )


Filters = Annotated[JournalFilter, Depends(journal_filter)]


@router.get("")
async def list_requests(
    request: Request,
    where: Filters,
    limit: int | None = Query(default=None, ge=0, description="at most this many (the newest)"),
) -> dict[str, Any]:
    """Journaled vendor requests, newest first; `status` is null where a connection fault broke
    the connection, and `tokenRejected` marks a session token that named no live session.
    `fault` is `"outage"` (with no `faultId`) where a shared EM answered 503 because its Redis was
    away."""
    return {"entries": [entry_json(e) for e in journal(request).entries(where, limit)]}


@router.get("/count")
async def count_requests(request: Request, where: Filters) -> dict[str, int]:
    """How many journaled requests match the filters (the same filters as the list)."""
    return {"count": journal(request).count(where)}


@router.delete("")
async def clear_journal(request: Request) -> dict[str, int]:
    """Forget every journaled request; sequence numbers keep rising (a reset starts them at 1)."""
    return {"deleted": journal(request).clear()}
