"""Shared fixtures: an EM over a chosen world with a frozen clock, and a client whose every XML
response is checked against the vendor schema (em_schema.py) before a test sees it."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpcore  # noqa: F401  # loaded once, before any test can load it anew: httpx maps its errors
import httpx
import pytest
from em_schema import assert_valid

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mock_em.app import create_app
from mock_em.model.clock import Clock
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.fixture import load_world
from mock_em.model.job_sessions import refresh_jobs
from mock_em.model.world import World
from mock_em.server import build_em
from mock_em.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED_FIXTURE = ROOT / "fixtures" / "seed-sample.json"
START = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
ADMIN = ("Administrator", "P@ssw0rd")
BASE = "http://localhost:9399"


def seed_world() -> World:
    """The seed sample as the EM serves it at START: its jobs' sessions shown at that time."""
    world = load_world(SEED_FIXTURE)[0]
    refresh_jobs(world, START, taken_over=True)
    return world


def check_response(response: httpx.Response) -> None:
    """Every answer is empty (204), JSON when the client asked for it, or else an XML document that
    the vendor schema accepts."""
    response.read()
    if response.status_code == 204:
        assert response.content == b""
        return
    if "application/json" in response.request.headers.get("accept", "").lower():
        assert response.headers["content-type"] == "application/json; charset=utf-8", response.headers
        json.loads(response.content)
        return
    assert response.headers["content-type"] == "application/xml; charset=utf-8", response.headers
    assert_valid(response.content)


class EmClient(TestClient):
    """A TestClient bound to one EM, checking every response; `em` is the model behind it."""

    em: EnterpriseManager

    def logon(self, user: str = ADMIN[0], password: str = ADMIN[1]) -> str:
        """Log on with Basic credentials and return the session token."""
        response = self.post("/api/sessionMngr/?v=latest", auth=(user, password))
        assert response.status_code == 201, response.text
        return response.headers["X-RestSvcSessionId"]

    def get_as(self, token: str, url: str, **kwargs: Any) -> httpx.Response:
        """GET with the session header and no cookies (the cookie would win over the header)."""
        self.cookies.clear()
        headers = {"X-RestSvcSessionId": token, **kwargs.pop("headers", {})}
        return self.get(url, headers=headers, **kwargs)

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A control-plane call: mock-em's own JSON, not EM's, so the schema check is off for it."""
        hooks, self.event_hooks = self.event_hooks, {"request": [], "response": []}
        try:
            return self.request(method, path, **kwargs)
        finally:
            self.event_hooks = hooks


def make_client(settings: Settings, clock: Clock | None = None) -> EmClient:
    """A client over the EM that `settings` describe, with a frozen clock at START by default."""
    clock = clock or Clock(START, frozen=True)
    em = build_em(settings, clock)
    client = EmClient(create_app(em, settings), base_url=BASE)
    client.em = em
    client.event_hooks = {"request": [], "response": [check_response]}
    return client


@pytest.fixture
def em_client() -> Iterator[Callable[..., EmClient]]:
    """Factory: `em_client(tenants=2, ...)` → a checked client over that generated world."""
    made: list[EmClient] = []

    def factory(clock: Clock | None = None, **settings: Any) -> EmClient:
        client = make_client(Settings(**settings), clock)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def client(em_client: Callable[..., EmClient]) -> EmClient:
    """A checked client over the default generated world (seed 1)."""
    return em_client()


@pytest.fixture
def seed_client(em_client: Callable[..., EmClient]) -> EmClient:
    """A checked client over the seed page's world."""
    return em_client(fixture=str(SEED_FIXTURE))
