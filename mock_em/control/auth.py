"""The optional control-plane token: `Authorization: Bearer <token>` or `X-Mock-Token: <token>`."""

from __future__ import annotations

import hmac

from fastapi import Request

from mock_em.api.errors import VeeamError


async def control_token(request: Request) -> None:
    """Dependency: 401 unless the configured control token (if any) is presented."""
    expected = request.app.state.settings.control_token
    if not expected:
        return
    presented = request.headers.get("x-mock-token")
    if presented is None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        presented = value.strip() if scheme.casefold() == "bearer" else None
    if presented is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise VeeamError(401, "The control plane needs the control token (Authorization: Bearer <token>)")
