"""The crawl's paging against a source that is odd in ways mock-em is not: links naming the EM by
an inner host name, an object shown on two pages, paging links that go round, a 5xx with
`Retry-After`. The source is an httpx transport answering as such an EM would."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from mock_em.importer.client import Gentleness, Source, SourceError
from mock_em.importer.crawl import crawl
from mock_em.resources import FAMILIES

REPLICAS = next(f for f in FAMILIES if f.kind.name == "CloudReplica")
PLANS = next(f for f in FAMILIES if f.kind.name == "CloudHardwarePlan")
NO_REPORT = httpx.Response(403, json={"Message": "Access denied"})  # the crawl's last ask: the summary report
GUIDS = [f"urn:veeam:CloudReplica:00000000-0000-0000-0000-00000000000{i}" for i in range(4)]


def _page(uids: list[str], next_href: str | None) -> dict[str, Any]:
    links = [{"Rel": "Next", "Href": next_href}] if next_href else []
    entities = {"CloudReplicas": {"CloudReplicas": [{"UID": uid, "Name": uid[-1]} for uid in uids]}}
    return {"Entities": entities, "PagingInfo": {"Links": links, "PagesCount": 2}}


def _source(pages: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request]) -> Source:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(201, headers={"X-RestSvcSessionId": "tok"}, json={"SessionId": "s1"})
        if request.method == "DELETE":
            return httpx.Response(204)
        return pages(request)

    async def no_sleep(seconds: float) -> None:
        return None

    return Source(
        "https://em.example:9398",
        "reader",
        "pw",
        gentleness=Gentleness(rate=1000, retries=2),
        jitter=random.Random(0),
        sleep=no_sleep,
        transport=httpx.MockTransport(handler),
    )


def _read(source: Source, families: list[Any]) -> Any:
    async def go() -> Any:
        async with source:
            await source.logon()
            return await crawl(source, families, page_size=2)

    return asyncio.run(go())


def test_next_links_are_asked_of_the_source_and_a_repeated_object_is_kept_once() -> None:
    seen: list[httpx.Request] = []

    def pages(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/cloud/hardwarePlans":
            return httpx.Response(200, json={"CloudHardwarePlans": [{"UID": "urn:veeam:CloudHardwarePlan:1"}]})
        if request.url.params.get("page") == "2":
            return httpx.Response(200, json=_page([GUIDS[1], GUIDS[2]], None))
        return httpx.Response(200, json=_page(GUIDS[:2], "http://inner-em:9399/api/query?type=CloudReplica&page=2"))

    crawled = _read(_source(pages, seen), [REPLICAS, PLANS])
    assert [e.data["UID"] for e in crawled.entities["CloudReplica"]] == GUIDS[:3]
    assert len(crawled.entities["CloudHardwarePlan"]) == 1
    assert any("shown twice" in w for w in crawled.warnings)
    assert {r.url.host for r in seen} == {"em.example"}  # the session token went to the source alone
    assert [r.method for r in seen][-1] == "DELETE"
    gets = [str(r.url) for r in seen if r.method == "GET"]
    assert "https://em.example:9398/api/query?type=CloudReplica&format=Entities&pageSize=2" in gets
    assert all(r.headers["X-RestSvcSessionId"] == "tok" for r in seen if r.method == "GET")


def test_paging_links_that_go_round_end_the_read() -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=_page(GUIDS[:1], "https://em.example:9398/api/query?type=CloudReplica&p=1"))

    with pytest.raises(SourceError, match="go round in a circle"):
        _read(_source(pages, []), [REPLICAS])


def test_retry_after_is_honoured_and_camel_case_read_back() -> None:
    waits: list[float] = []
    answers = iter(
        [
            httpx.Response(503, headers={"Retry-After": "7"}, json={"message": "busy"}),
            httpx.Response(200, content=json.dumps({"cloudHardwarePlans": [{"uid": "urn:veeam:CloudHardwarePlan:1"}]})),
        ]
    )
    source = _source(lambda request: NO_REPORT if "/reports/" in request.url.path else next(answers), [])

    async def record(seconds: float) -> None:
        waits.append(seconds)

    source._sleep = record
    crawled = _read(source, [PLANS])
    assert crawled.entities["CloudHardwarePlan"][0].data == {"UID": "urn:veeam:CloudHardwarePlan:1"}
    assert waits and waits[0] >= 7
