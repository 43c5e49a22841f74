"""MockEmClient against a live MockEmServer: every control call is checked by its effect on the
vendor API, the way a test that uses mock-em would see it."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from mock_em.model.fixture import parse_time, world_from_dict
from mock_em.model.schedule import latest_points, points_between
from mock_em.settings import Settings
from mock_em.testing import MockEmClient, MockEmError, MockEmServer

START = "2026-01-05T12:00:00Z"


@pytest.fixture(scope="module")
def live_server() -> Iterator[MockEmServer]:
    """A small world with a frozen clock, so point counts and times are exact."""
    with MockEmServer(Settings(host="127.0.0.1", port=0, tenants=2, clock=START)) as server:
        yield server


@pytest.fixture
def ctl(live_server: MockEmServer) -> Iterator[MockEmClient]:
    """A client over a freshly reset server."""
    with live_server.client() as client:
        client.reset()
        for snapshot in client.snapshots():
            client.delete_snapshot(snapshot["name"])
        yield client


@pytest.fixture
def token(ctl: MockEmClient) -> str:
    """An administrator's session."""
    return ctl.logon()


def items(data: dict, key: str) -> list[dict]:
    """The list of a JSON collection (`{"CloudTenants": [...]}`)."""
    return data.get(key) or []


def point_ids(ctl: MockEmClient, token: str) -> set[str]:
    """GUIDs of every restore point the vendor API lists."""
    refs = items(ctl.get_json("/cloud/vmReplicaPoints", token), "Refs") or items(
        ctl.get_json("/cloud/vmReplicaPoints", token, format="Entity"), "CloudVmReplicaPoints"
    )
    return {r["UID"].rsplit(":", 1)[-1] for r in refs}


def entity_points(ctl: MockEmClient, token: str) -> list[dict]:
    return items(ctl.get_json("/cloud/vmReplicaPoints", token, format="Entity"), "CloudVmReplicaPoints")


# -- server and status ----------------------------------------------------------------------


def test_server_binds_a_free_port_and_stops(live_server: MockEmServer) -> None:
    assert live_server.url.startswith("http://127.0.0.1:")
    assert int(live_server.url.rsplit(":", 1)[1]) != 9399
    with MockEmServer(tenants=1) as other:
        assert other.url != live_server.url
        url = other.url
        assert httpx.get(f"{url}/mock/health").json() == {"status": "ok"}
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/mock/health", timeout=1)
    with pytest.raises(RuntimeError, match="not started"):
        _ = other.url


def test_external_server_has_the_same_interface(live_server: MockEmServer) -> None:
    external = MockEmServer(url=live_server.url + "/")
    with external as server, server.client() as client:
        assert server.external and server.url == live_server.url
        assert server.api_url == f"{live_server.url}/api"
        assert client.health() == {"status": "ok"}
    assert httpx.get(f"{live_server.url}/mock/health").status_code == 200  # stop() left it running
    with pytest.raises(ValueError, match="takes no settings"):
        MockEmServer(url=live_server.url, tenants=3)
    with pytest.raises(ValueError, match="plain HTTP"):
        MockEmServer(tls=True)


def test_status(ctl: MockEmClient) -> None:
    assert ctl.health() == {"status": "ok"}
    assert ctl.ready()["ready"] is True
    about = ctl.about()
    assert about["name"] == "mock-em" and about["world"]["tenants"] == 2


def test_errors_carry_status_and_the_veeam_message(ctl: MockEmClient) -> None:
    with pytest.raises(MockEmError) as raised:
        ctl.restore_snapshot("never-saved")
    assert raised.value.status == 404
    assert raised.value.message == "Snapshot 'never-saved' was not found"
    with pytest.raises(MockEmError) as raised:
        ctl.logon("Administrator", "wrong")
    assert raised.value.status == 401
    assert "user name or password is incorrect" in raised.value.message
    dead = MockEmClient("http://127.0.0.1:9", timeout=1)
    with pytest.raises(MockEmError) as raised:
        dead.health()
    assert raised.value.status == 0


def test_control_token() -> None:
    with MockEmServer(tenants=0, backup_servers=0, control_token="s3cret") as server:
        with MockEmClient(server.url) as anonymous:
            assert anonymous.health() == {"status": "ok"}  # health needs no token
            with pytest.raises(MockEmError) as raised:
                anonymous.about()
            assert raised.value.status == 401 and "control token" in raised.value.message
        with server.client() as client:
            assert client.control_token == "s3cret"
            assert client.about()["world"]["tenants"] == 0


# -- worlds ---------------------------------------------------------------------------------


def test_regenerate_and_reset(ctl: MockEmClient, token: str) -> None:
    original = ctl.world()
    answer = ctl.regenerate(seed=7, tenants=1, replicas_per_tenant=1, vms_per_replica=2, points_per_vm=3)
    assert answer["seed"] == 7 and answer["points"] == 6
    assert len(items(ctl.get_json("/cloud/tenants", token), "Refs")) == 1
    assert len(point_ids(ctl, token)) == 6
    ctl.reset()
    assert {**ctl.world(), "Seed": None} == {**original, "Seed": None}
    with pytest.raises(MockEmError) as raised:  # reset ends every session
        ctl.get_json("/cloud/tenants", token)
    assert raised.value.status == 401


def test_reset_restores_the_seed(ctl: MockEmClient) -> None:
    seed = ctl.about()["seed"]
    ctl.regenerate(seed=seed + 6)
    ctl.reset()
    assert ctl.about()["seed"] == seed


def test_load_world_round_trip(ctl: MockEmClient, tmp_path: Path) -> None:
    exported = ctl.world()
    ctl.regenerate(seed=99)
    assert ctl.world() != exported
    summary = ctl.load_world(exported)
    assert summary["points"] == len(exported["CloudVmReplicaPoints"])
    assert ctl.world() == exported
    path = tmp_path / "world.json"
    ctl.regenerate(seed=5)
    path.write_text(json.dumps(exported))
    ctl.load_world(path)
    assert ctl.world() == exported


def test_snapshots(ctl: MockEmClient, token: str) -> None:
    saved = ctl.save_snapshot("before")
    before = point_ids(ctl, token)
    assert saved["points"] == len(before)
    ctl.regenerate(seed=3)
    assert point_ids(ctl, token) != before
    ctl.restore_snapshot("before")
    assert point_ids(ctl, token) == before
    assert [s["name"] for s in ctl.snapshots()] == ["before"]
    ctl.delete_snapshot("before")
    assert ctl.snapshots() == []


# -- world edits ----------------------------------------------------------------------------


def test_tenant_edits(ctl: MockEmClient, token: str) -> None:
    tenant = ctl.add_tenant("ACME Corp", "Tenant#1")
    names = {r["Name"] for r in items(ctl.get_json("/cloud/tenants", token), "Refs")}
    assert "ACME Corp" in names
    tenant_token = ctl.logon_tenant("ACME Corp", "Tenant#1")
    assert ctl.get_json("/cloud/replicas", tenant_token).get("Refs") in (None, [])
    ctl.logoff(tenant_token)
    ctl.remove_tenant(tenant["Id"])
    names = {r["Name"] for r in items(ctl.get_json("/cloud/tenants", token), "Refs")}
    assert "ACME Corp" not in names


def test_replica_vm_and_point_edits(ctl: MockEmClient, token: str) -> None:
    tenant = ctl.add_tenant("Edit Co")
    replica = ctl.add_replica(tenant["Id"], "Edit Co Replication", vms=["web01"], retention=3)
    assert replica["Vms"] == ["web01"]
    replica = ctl.add_vm(replica["Id"])
    assert len(replica["Vms"]) == 2
    point = ctl.add_point(replica["Id"], "web01", datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    assert point["CreationTimeUTC"] == "2026-01-05T09:00:00Z"
    shown = ctl.get_json(f"/cloud/vmReplicaPoints/{point['Id']}", token, format="Entity")
    assert shown["VmName"] == "web01" and shown["State"] == "Ready"
    ctl.set_point_state(point["Id"], "Failover")
    assert ctl.get_json(f"/cloud/vmReplicaPoints/{point['Id']}", token, format="Entity")["State"] == "Failover"
    ctl.remove_point(point["Id"])
    with pytest.raises(MockEmError) as raised:
        ctl.get_json(f"/cloud/vmReplicaPoints/{point['Id']}", token)
    assert raised.value.status == 404
    ctl.remove_vm(replica["Id"], "web01")
    ctl.remove_replica(replica["Id"])
    with pytest.raises(MockEmError):
        ctl.get_json(f"/cloud/replicas/{replica['Id']}", token)


# -- clock ----------------------------------------------------------------------------------


def test_clock_set_freeze_resume(ctl: MockEmClient) -> None:
    state = ctl.clock()
    assert state["now"] == START and state["frozen"] and state["virtual"]
    assert ctl.now() == parse_time(START)
    ctl.set_clock("2026-02-01T00:00:00Z")
    assert ctl.now() == datetime(2026, 2, 1, tzinfo=UTC)
    ctl.set_clock(datetime(2026, 2, 2, tzinfo=UTC))
    assert ctl.clock()["now"] == "2026-02-02T00:00:00Z"
    with pytest.raises(ValueError, match="naive"):
        ctl.set_clock(datetime(2026, 2, 2))
    resumed = ctl.resume(rate=3600)
    assert not resumed["frozen"] and resumed["rate"] == 3600
    frozen = ctl.freeze()
    assert frozen["frozen"] and parse_time(frozen["now"]) >= datetime(2026, 2, 2, tzinfo=UTC)
    assert ctl.clock()["now"] == frozen["now"]
    assert ctl.advance(timedelta(hours=1))["now"] == ctl.clock()["now"]
    assert ctl.now() - parse_time(frozen["now"]) == timedelta(hours=1)
    ctl.advance(90)
    assert ctl.now() - parse_time(frozen["now"]) == timedelta(hours=1, seconds=90)


def test_a_week_yields_the_points_the_schedule_implies(ctl: MockEmClient, token: str) -> None:
    world = world_from_dict(ctl.world())
    before_time = ctl.now()
    before = point_ids(ctl, token)
    answer = ctl.advance("7d")
    token = ctl.logon()  # a week idle ended the session
    after_time = parse_time(answer["now"])
    assert after_time - before_time == timedelta(days=7)
    points = entity_points(ctl, token)
    after = {p["UID"].rsplit(":", 1)[-1] for p in points}
    assert after - before, "a week of nightly runs leaves new points"
    assert len(after - before) == answer["pointsAdded"]
    assert len(before - after) == answer["pointsRemoved"]

    # Per VM: never more than the replica's retention, and exactly the newest `retention` points
    # of the schedule; the new ones are exactly the schedule's points of the week.
    replicas = {str(r.id): r for r in world.replicas.values()}
    by_vm: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for p in points:
        replica_href = next(link["Href"] for link in p["Links"] if link["Type"] == "CloudReplicaReference")
        by_vm[(replica_href.rsplit("/", 1)[-1], p["VmName"])].append(p)
    for (replica_id, _vm), vm_points in by_vm.items():
        assert len(vm_points) <= replicas[replica_id].retention
    replica = next(iter(world.replicas.values()))
    vm = replica.vms[0]
    shown = {UUID(p["UID"].rsplit(":", 1)[-1]) for p in by_vm[(str(replica.id), vm.name)]}
    kept = latest_points(replica, vm, after_time, replica.retention)
    assert shown == {p.id for p in kept}
    week = points_between(replica, vm, before_time, after_time)
    new = {UUID(i) for i in after - before}
    assert {p.id for p in week if p.id in {k.id for k in kept}} == shown & new


def test_retention_holds_over_a_long_run(ctl: MockEmClient, token: str) -> None:
    retention = {r["Id"]: r["Retention"] for r in ctl.world()["CloudReplicas"]}
    for _ in range(3):
        ctl.advance("5d")
    token = ctl.logon()
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for p in entity_points(ctl, token):
        replica_href = next(link["Href"] for link in p["Links"] if link["Type"] == "CloudReplicaReference")
        counts[(replica_href.rsplit("/", 1)[-1], p["VmName"])] += 1
    assert counts and all(n <= retention[rid] for (rid, _), n in counts.items())


# -- sessions -------------------------------------------------------------------------------


def test_logon_logoff_and_sessions(ctl: MockEmClient) -> None:
    token = ctl.logon()
    sessions = ctl.sessions()
    assert [s["userName"] for s in sessions] == ["EM01\\Administrator"]
    assert ctl.session_id(token) == sessions[0]["sessionId"]
    assert ctl.get_json("/", token) is not None
    ctl.logoff(token)
    assert ctl.sessions() == []
    with pytest.raises(MockEmError) as raised:
        ctl.get_json("/cloud", token)
    assert raised.value.status == 401


def test_logoff_of_a_token_logged_on_elsewhere(ctl: MockEmClient, live_server: MockEmServer) -> None:
    response = httpx.post(f"{live_server.api_url}/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd"))
    token = response.headers["X-RestSvcSessionId"]
    ctl.logoff(token)  # the client finds the session id through the vendor API
    assert ctl.sessions() == []


def test_expire_sessions(ctl: MockEmClient) -> None:
    first, second = ctl.logon(), ctl.logon()
    ctl.expire_session(ctl.session_id(first))
    with pytest.raises(MockEmError):
        ctl.get_json("/cloud", first)
    assert ctl.get_json("/cloud", second)
    assert ctl.expire_sessions() == 1
    with pytest.raises(MockEmError) as raised:
        ctl.get_json("/cloud", second)
    assert raised.value.status == 401
    assert ctl.sessions() == []


# -- faults and journal ---------------------------------------------------------------------


def test_faults(ctl: MockEmClient, token: str) -> None:
    rule = ctl.add_fault("/api/cloud/*", method="GET", status=503, max_count=1)
    assert rule["id"] == "f1" and rule["maxCount"] == 1
    with pytest.raises(MockEmError) as raised:
        ctl.get_json("/cloud/tenants", token)
    assert raised.value.status == 503 and raised.value.message == "The service is unavailable"
    assert ctl.get_json("/cloud/tenants", token)  # spent after one hit
    assert ctl.fault("f1")["statistics"]["fired"] == 1
    second = ctl.add_fault("/api/backupServers", status=500, message="boom", skip_first=1)
    assert ctl.get_json("/backupServers", token)
    with pytest.raises(MockEmError, match="boom"):
        ctl.get_json("/backupServers", token)
    assert [f["id"] for f in ctl.faults()] == ["f1", second["id"]]
    ctl.delete_fault(second["id"])
    assert ctl.get_json("/backupServers", token)
    assert ctl.clear_faults() == 1
    assert ctl.faults() == []
    with pytest.raises(MockEmError) as raised:
        ctl.add_fault("/api/cloud")  # no action
    assert raised.value.status == 400


def test_journal(ctl: MockEmClient, token: str) -> None:
    session_id = ctl.session_id(token)
    ctl.get_json("/cloud/tenants", token)
    ctl.get_json("/cloud/replicas", token, format="Entity")
    with pytest.raises(MockEmError):
        ctl.get_json("/cloud", "not-a-token")
    entries = ctl.journal()
    assert [e["canonicalPath"] for e in entries] == [
        "/api/cloud",
        "/api/cloud/replicas",
        "/api/cloud/tenants",
        "/api/sessionMngr",
    ]  # newest first
    assert entries[0]["tokenRejected"] and entries[0]["status"] == 401
    assert ctl.journal_count() == 4
    assert ctl.journal_count(method="GET") == 3
    assert ctl.journal_count(path="/api/cloud/*") == 2
    assert ctl.journal_count(status=401) == 1
    assert ctl.journal_count(session_id=session_id) == 3
    assert ctl.journal_count(since=entries[1]["sequence"]) == 1
    assert len(ctl.journal(limit=2)) == 2
    assert ctl.journal(path="replicas")[0]["query"] == "format=Entity"
    assert ctl.clear_journal() == 4
    assert ctl.journal() == []


def test_snapshot_names_are_quoted(ctl: MockEmClient) -> None:
    ctl.save_snapshot("before run #1?")
    assert [s["name"] for s in ctl.snapshots()] == ["before run #1?"]
    ctl.restore_snapshot("before run #1?")
    ctl.delete_snapshot("before run #1?")
