"""The control plane's edits, built from the families' declarations (`Family.edits`): every family
that declares edits is added, shown, changed and removed the same way under `/mock/world/{segment}`."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mock_em.app import create_app
from mock_em.model.clock import Clock
from mock_em.model.entities import PointState
from mock_em.registry import edited_families
from mock_em.resources.family import BadEdit, guid_of, member_of
from mock_em.server import build_em
from mock_em.settings import Settings

START = datetime(2026, 1, 5, 12, tzinfo=UTC)
SETTINGS = Settings(seed=9, tenants=2, replicas_per_tenant=1, vms_per_replica=2, points_per_vm=2)
MISSING = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A small generated world, clock frozen at START."""
    app = create_app(build_em(SETTINGS, Clock(START, frozen=True)), SETTINGS)
    with TestClient(app, base_url="http://localhost:9399") as c:
        yield c


def world(client: TestClient) -> dict[str, Any]:
    """The world as a fixture."""
    return client.get("/mock/world").json()


def test_the_edited_families_in_registry_order() -> None:
    """Backup servers come with the world and sessions from the jobs; tenants, replicas, points,
    public IP addresses, repositories and jobs are edited."""
    segments = [f.edits.segment for f in edited_families() if f.edits]
    assert segments == ["tenants", "replicas", "points", "publicIpAddresses", "repositories", "jobs"]


@pytest.mark.parametrize("family", edited_families(), ids=lambda f: f.name)
def test_every_edited_family_shows_one_object_as_its_answers_do(client: TestClient, family: Any) -> None:
    """`GET /mock/world/{segment}/{id}` is the object's control JSON; unknown and bad ids are a 404
    and a 400 in the words of DELETE."""
    section = family.kind.section.name
    first = world(client)[section][0]
    base = f"/mock/world/{family.edits.segment}"
    shown = client.get(f"{base}/{first['Id']}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["Id"] == first["Id"]
    assert shown.json() == family.edits.json(family.kind.section.load(first))
    missing = client.get(f"{base}/{MISSING}")
    assert missing.status_code == 404
    assert missing.json()["Message"] == f"{family.kind.what} {MISSING} was not found"
    bad = client.get(f"{base}/nope")
    assert bad.status_code == 400
    assert bad.json()["Message"] == f"{family.kind.noun} id 'nope' is not a GUID"


def test_an_added_object_is_shown_and_removed_with_what_names_it(client: TestClient) -> None:
    """POST answers what GET then shows; DELETE cascades through the world's foreign keys."""
    tenant = client.post("/mock/world/tenants", json={"Name": "Shown Co", "Password": "pw"})
    assert tenant.status_code == 201
    assert client.get(f"/mock/world/tenants/{tenant.json()['Id']}").json() == tenant.json()
    replica = client.post("/mock/world/replicas", json={"Name": "Job", "TenantId": tenant.json()["Id"], "Vms": ["a"]})
    point = client.post("/mock/world/points", json={"ReplicaId": replica.json()["Id"], "VmName": "a"})
    assert point.status_code == 201
    assert client.get(f"/mock/world/points/{point.json()['Id']}").json() == point.json()
    gone = client.delete(f"/mock/world/tenants/{tenant.json()['Id']}")
    assert gone.json() == {"deleted": tenant.json()["Id"], "pointsRemoved": 1}
    assert client.get(f"/mock/world/replicas/{replica.json()['Id']}").status_code == 404
    assert client.get(f"/mock/world/points/{point.json()['Id']}").status_code == 404


def test_a_change_is_refused_before_the_id_is_read_and_bumps_the_version(client: TestClient) -> None:
    """PATCH checks the body first (as the control plane always did), then changes the object."""
    point = world(client)["CloudVmReplicaPoints"][0]
    refused = client.patch("/mock/world/points/nope", json={"State": "Odd"})
    assert refused.status_code == 400
    assert refused.json()["Message"].startswith("State: 'Odd' is not one of")
    before = client.app.state.em.world.version  # type: ignore[attr-defined]
    changed = client.patch(f"/mock/world/points/{point['Id']}", json={"State": "failover"})
    assert changed.json()["State"] == "Failover"
    assert client.get(f"/mock/world/points/{point['Id']}").json()["State"] == "Failover"
    assert client.app.state.em.world.version == before + 1  # type: ignore[attr-defined]


def test_the_families_edit_helpers_refuse_in_the_control_planes_words() -> None:
    """`guid_of` and `member_of` raise BadEdit, which the control plane answers with a 400."""
    with pytest.raises(BadEdit, match=r"^TenantId 'x' is not a GUID$"):
        guid_of("x", "TenantId")
    assert member_of(PointState, "FAILBACK", "State") is PointState.Failback
    with pytest.raises(BadEdit, match=r"^State: 'Odd' is not one of Unknown, Ready"):
        member_of(PointState, "Odd", "State")
