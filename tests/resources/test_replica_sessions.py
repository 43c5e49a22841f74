"""The replica job sessions' family (`mock_em/resources/replica_sessions.py`): the runs of the
replication jobs, as backup job sessions are shown, at `/api/replicaSessions`."""

from __future__ import annotations

from conftest import EmClient
from xmlutil import body, logon

from mock_em.model.entities import JobType
from mock_em.registry import family
from resources.family_checks import check_provider_only, query_uids, uid
from resources.session_checks import check_session_entity, sessions

FAMILY = family("ReplicaJobSession")


def test_entity_fields_and_links(roles: EmClient, seed: EmClient) -> None:
    for client in (roles, seed):
        found = sessions(client, FAMILY)
        assert found and all(s.job_type is JobType.Replica for s in found)
        for session in found:
            check_session_entity(client, FAMILY, session)


def test_only_replication_jobs_and_their_task_sessions(seed: EmClient) -> None:
    """Replica sessions are the replication jobs' runs, never in `/backupSessions`; each lists its
    tasks at `replicaTaskSessions`; the replication job's `backupSessions` list is empty."""
    token, _ = logon(seed)
    backup = {e.get("UID") for e in body(seed.get_as(token, "/api/backupSessions"), 200, "EntityReferences")}
    for session in sessions(seed, FAMILY):
        assert f"urn:veeam:BackupJobSession:{session.id}" not in backup
        listed = body(seed.get_as(token, f"/api/replicaSessions/{session.id}/replicaTaskSessions"), 200)
        mine = [t for t in seed.em.world.all("ReplicaTaskSession").values() if t.session_id == session.id]
        assert [r.get("UID") for r in listed] == [f"urn:veeam:ReplicaTaskSession:{t.id}" for t in mine]
        assert len(body(seed.get_as(token, f"/api/jobs/{session.job_id}/backupSessions"), 200)) == 0


def test_readers_tenants_and_paths(roles: EmClient) -> None:
    """Portal administrators and users read them; Restore Operators and tenants get a 403."""
    check_provider_only(roles, FAMILY)


def test_query_newest_first(roles: EmClient) -> None:
    token, _ = logon(roles)
    found = query_uids(roles, token, FAMILY, filter="JobType==Replica", sortDesc="CreationTime", pageSize="2000")
    newest = sorted(sessions(roles, FAMILY), key=lambda s: s.creation_time, reverse=True)
    assert found == [uid(FAMILY, s.id) for s in newest]
