"""The two ASGI apps the load benchmark serves with uvicorn under identical settings.

* `mock_em_app`: mock-em as `mock-em serve` builds it, from `MOCK_EM_*` variables (journal on, as
  by default), so the numbers are those of a default server.
* `reference_app`: the yardstick from issue 6: a raw ASGI app that answers pre-rendered bytes after
  checking the session header, with nothing else to do. `REFERENCE_BODIES` names a JSON file
  `{"token": …, "bodies": [[path, query, json, body-as-latin-1], …]}` holding exactly the bytes
  mock-em answered, so both servers send the same responses.
"""

from __future__ import annotations

import json
import os
from typing import Any

from mock_em.app import create_app
from mock_em.server import build_em
from mock_em.settings import Settings


def mock_em_app() -> Any:
    """mock-em over the world the `MOCK_EM_*` variables describe."""
    settings = Settings.from_sources()
    return create_app(build_em(settings), settings)


def reference_app() -> Any:
    """Pre-rendered bytes per (path, query string, JSON?), behind a session-header check."""
    with open(os.environ["REFERENCE_BODIES"], encoding="utf-8") as f:
        spec = json.load(f)
    token = spec["token"].encode()
    bodies: dict[tuple[str, bytes, bool], tuple[bytes, list[tuple[bytes, bytes]]]] = {}
    for path, query, is_json, text in spec["bodies"]:
        body = text.encode("latin-1")
        kind = b"application/json; charset=utf-8" if is_json else b"application/xml; charset=utf-8"
        bodies[(path, query.encode(), is_json)] = (
            body,
            [(b"content-length", b"%d" % len(body)), (b"content-type", kind)],
        )
    unauthorized = [(b"content-length", b"0")]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        ok = is_json = False
        for key, value in scope["headers"]:
            if key == b"x-restsvcsessionid":
                ok = value == token
            elif key == b"accept":
                is_json = b"application/json" in value.lower()
        found = bodies.get((scope["path"], scope["query_string"], is_json)) if ok else None
        if found is None:
            await send({"type": "http.response.start", "status": 401 if not ok else 404, "headers": unauthorized})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": found[1]})
        await send({"type": "http.response.body", "body": found[0]})

    return app
