"""Logon sessions as the control plane sees them: list them, end one or all (to test re-logon)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from mock_em.control.common import em, parse_uuid
from mock_em.model.enterprise_manager import NotFound
from mock_em.model.entities import LogonSession
from mock_em.model.fixture import format_time
from mock_em.model.world import World

router = APIRouter(prefix="/sessions", tags=["sessions"])


def session_json(session: LogonSession, world: World) -> dict[str, Any]:
    """A session without its token (tokens never leave the vendor API)."""
    tenant = world.tenants.get(session.account.tenant_id) if session.account.tenant_id else None
    return {
        "sessionId": str(session.session_id),
        "userName": session.user_name,
        "role": session.account.role.value,
        "tenantId": str(tenant.id) if tenant else None,
        "tenantName": tenant.name if tenant else None,
        "created": format_time(session.created),
        "lastUsed": format_time(session.last_used),
    }


@router.get("")
async def list_sessions(request: Request) -> dict[str, Any]:
    """Every live session, oldest first."""
    manager = em(request)
    return {"sessions": [session_json(s, manager.world) for s in manager.sessions.live()]}


@router.delete("")
async def expire_all(request: Request) -> dict[str, int]:
    """End every session, as an EM restart would."""
    return {"expired": em(request).sessions.expire_all()}


@router.delete("/{session_id}")
async def expire_one(request: Request, session_id: str) -> dict[str, Any]:
    """End one session; its token gets 401 from now on."""
    ended = em(request).sessions.logoff(parse_uuid(session_id, "sessionId"))
    if not ended:
        raise NotFound(f"Logon session {session_id} was not found")
    return {"expired": 1}
