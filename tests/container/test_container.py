"""End-to-end suite against a running mock-em container (or any external mock-em).

`.ci/run` builds the image, starts it with the seed-sample fixture, waits for it to be healthy
and runs this file with `MOCK_EM_CONTAINER_URL` set to the published port. Elsewhere it skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from em_schema import assert_valid
from lxml import etree

URL = os.environ.get("MOCK_EM_CONTAINER_URL")
NS = {"em": "http://www.veeam.com/ent/v1.0"}
SEED_POINT = "93081441-6e3c-4584-b47a-08dc1ce24f84"

pytestmark = pytest.mark.skipif(not URL, reason="MOCK_EM_CONTAINER_URL is not set (.ci/run sets it)")


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A client of the container, after a control-plane reset."""
    with httpx.Client(base_url=URL or "", timeout=10) as client:
        assert client.post("/mock/reset").status_code == 200
        yield client


def logon(http: httpx.Client) -> str:
    response = http.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd"))
    assert response.status_code == 201, response.text
    assert_valid(response.content)
    return response.headers["X-RestSvcSessionId"]


def test_health_and_about(http: httpx.Client) -> None:
    """The HEALTHCHECK endpoint answers and the container serves the seed-sample world."""
    assert http.get("/mock/health").json() == {"status": "ok"}
    about = http.get("/mock/about").json()
    assert about["world"]["points"] == 6


def test_seed_request_and_logoff(http: httpx.Client) -> None:
    """Logon, the seed request with Hrefs on the published address, logoff, then 401."""
    token = logon(http)
    response = http.get("/api/cloud/vmReplicaPoints", headers={"X-RestSvcSessionId": token})
    assert response.status_code == 200
    root = assert_valid(response.content)
    hrefs = root.xpath("em:Ref/@Href", namespaces=NS)
    assert len(hrefs) == 6
    assert hrefs[0] == f"{URL}/api/cloud/vmReplicaPoints/{SEED_POINT}"
    session_id = http.get("/api/logonSessions", headers={"X-RestSvcSessionId": token})
    sid = etree.fromstring(session_id.content).findtext("em:LogonSession/em:SessionId", namespaces=NS)
    assert http.delete(f"/api/logonSessions/{sid}", headers={"X-RestSvcSessionId": token}).status_code == 204
    after = http.get("/api/cloud/vmReplicaPoints", headers={"X-RestSvcSessionId": token})
    assert after.status_code == 401
    assert_valid(after.content)


def test_entity_query_and_json(http: httpx.Client) -> None:
    """An entity, a filtered query and the JSON form of the same point agree."""
    token = logon(http)
    headers = {"X-RestSvcSessionId": token}
    entity = http.get(f"/api/cloud/vmReplicaPoints/{SEED_POINT}?format=Entity", headers=headers)
    root = assert_valid(entity.content)
    assert root.findtext("em:CreationTimeUTC", namespaces=NS) == "2015-12-25T20:00:47Z"
    query = http.get("/api/query?type=CloudVmReplicaPoint&filter=VmName==srv40&sortAsc=CreationTime", headers=headers)
    names = assert_valid(query.content).xpath("em:Refs/em:Ref/@Name", namespaces=NS)
    assert names == ["srv40@2015-12-22 21:05:43", "srv40@2015-12-27 21:08:13"]
    as_json = http.get(
        f"/api/cloud/vmReplicaPoints/{SEED_POINT}?format=Entity", headers={**headers, "Accept": "application/json"}
    )
    assert as_json.headers["content-type"] == "application/json; charset=utf-8"
    assert as_json.json()["CreationTimeUTC"] == "2015-12-25T20:00:47Z"
    assert as_json.json()["Name"] == "srv39@2015-12-25 20:00:47"


def test_control_plane_reset_restores_the_world(http: httpx.Client) -> None:
    """A world edit through the control plane, undone by a reset."""
    assert http.delete(f"/mock/world/points/{SEED_POINT}").status_code == 200
    assert http.get("/mock/about").json()["world"]["points"] == 5
    assert http.post("/mock/reset").status_code == 200
    assert http.get("/mock/about").json()["world"]["points"] == 6
