"""The world the client tests run against, and reads of it through mock-em's own API.

A generated world (seed 4, six backup servers) frozen at an instant (by night) where a job is running and
the jobs' newest sessions of the last day include a Success, a Warning and a Failed one, a job ran
more than once that day (with a retry), and repositories of several servers share a name. Each
test works out what a client should show from these reads, by another road than the client's
where there is one (the query service for a client that reads lists, and the other way round).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mock_em.model.fixture import parse_time
from mock_em.testing import MockEmClient

CLOCK = "2026-01-05T22:10:00Z"
NOW = parse_time(CLOCK)
DAY_AGO = NOW - timedelta(days=1)
WORLD = {"seed": 4, "backup_servers": 6}
HOST = "127.0.0.1"
Em = tuple[MockEmClient, str]  # the test's own client of mock-em and its session token


def api(em: Em, path: str, **params: Any) -> Any:
    """GET a vendor path as JSON with the test's own session."""
    client, token = em
    return client.get_json(path, token, **params)


def query(em: Em, kind: str, filter_text: str | None = None) -> list[dict[str, Any]]:
    """Every entity of a query type (matching the filter, if any), from the query service."""
    plural = "Repositories" if kind == "Repository" else f"{kind}s"
    params = {"type": kind, "format": "Entities", "pageSize": 100_000} | (
        {"filter": filter_text} if filter_text else {}
    )
    data = api(em, "/query", **params)
    assert data["PagingInfo"]["PagesCount"] == 1
    return data["Entities"][plural][plural]


def stamp(text: str) -> int:
    """A UTC time of the API as a Unix time (whole seconds)."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def lasted(item: dict[str, Any]) -> int:
    """Seconds from creation to the end, or to the clock while it runs (as exporters time it)."""
    end = stamp(item["EndTimeUTC"]) if item.get("EndTimeUTC") else int(NOW.timestamp())
    return end - stamp(item["CreationTimeUTC"])


def server_names(em: Em) -> dict[str, str]:
    """Backup server names by the Href of their references."""
    servers = api(em, "/backupServers", format="Entity")["BackupServers"]
    return {s["Href"].partition("?")[0]: s["Name"] for s in servers}


def server_of(item: dict[str, Any], names: dict[str, str]) -> str:
    """The name of the backup server an item's BackupServerReference link leads to."""
    (href,) = [li["Href"] for li in item["Links"] if li["Type"] == "BackupServerReference"]
    return names[href]


def since_day_ago(em: Em, kind: str) -> list[dict[str, Any]]:
    """The sessions of a kind created in the day before the clock, by the query service."""
    return query(em, kind, f'CreationTime>"{DAY_AGO:%Y-%m-%dT%H:%M:%SZ}"')
