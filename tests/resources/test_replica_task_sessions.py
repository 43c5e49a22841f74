"""The replica task sessions' family (`mock_em/resources/replica_task_sessions.py`): one per VM
of each replica job session."""

from __future__ import annotations

from conftest import EmClient
from xmlutil import logon

from mock_em.model.entities import Role
from mock_em.registry import family
from resources.family_checks import check_path_case, check_readers, check_tenants_see_their_own, query_uids, uid
from resources.session_checks import check_task_entity, sessions

FAMILY = family("ReplicaTaskSession")
SESSIONS = family("ReplicaJobSession")


def test_entity_fields_and_links(roles: EmClient, seed: EmClient) -> None:
    for client in (roles, seed):
        found = sessions(client, FAMILY)
        assert found
        for task in found:
            check_task_entity(client, FAMILY, SESSIONS.path, task)


def test_replicas_hold_no_backup_space(roles: EmClient) -> None:
    """A replica's points are on its DR host: its tasks show the VM's size but the job's backup
    on the repository holds nothing."""
    jobs = {t.job_id for t in sessions(roles, FAMILY)}
    assert jobs and all(roles.em.world.all("Job")[j].backup_bytes == 0 for j in jobs)


def test_readers_and_tenants(roles: EmClient) -> None:
    check_readers(roles, FAMILY, forbidden={Role.RestoreOperator})
    check_tenants_see_their_own(roles, FAMILY, readable=False)


def test_path_segments_in_any_case(roles: EmClient) -> None:
    check_path_case(roles, FAMILY)


def test_query_by_result(roles: EmClient) -> None:
    token, _ = logon(roles)
    found = query_uids(roles, token, FAMILY, filter="Result==Success;State==Completed", pageSize="2000")
    ok = [t for t in sessions(roles, FAMILY) if t.result.value == "Success" and t.state.value == "Completed"]
    assert sorted(found) == sorted(uid(FAMILY, t.id) for t in ok) and found
