"""The replica task sessions' family (`mock_em/resources/replica_task_sessions.py`): one per VM
of each replica job session."""

from __future__ import annotations

from conftest import EmClient
from xmlutil import logon

from mock_em.registry import family
from resources.family_checks import check_provider_only, query_uids, uid
from resources.session_checks import check_every_entity, sessions

FAMILY = family("ReplicaTaskSession")
SESSIONS = family("ReplicaJobSession")


def test_entity_fields_and_links(roles: EmClient, seed: EmClient) -> None:
    check_every_entity((roles, seed), FAMILY, SESSIONS.path)


def test_replicas_hold_no_backup_space(roles: EmClient) -> None:
    """A replica's points are on its DR host: its tasks show the VM's size but the job's backup
    on the repository holds nothing."""
    jobs = {t.job_id for t in sessions(roles, FAMILY)}
    assert jobs and all(roles.em.world.all("Job")[j].backup_bytes == 0 for j in jobs)


def test_readers_tenants_and_paths(roles: EmClient) -> None:
    """Portal administrators and users read them; Restore Operators and tenants get a 403."""
    check_provider_only(roles, FAMILY)


def test_query_by_result(roles: EmClient) -> None:
    token, _ = logon(roles)
    found = query_uids(roles, token, FAMILY, filter="Result==Success;State==Completed", pageSize="2000")
    ok = [t for t in sessions(roles, FAMILY) if t.result.value == "Success" and t.state.value == "Completed"]
    assert sorted(found) == sorted(uid(FAMILY, t.id) for t in ok) and found
