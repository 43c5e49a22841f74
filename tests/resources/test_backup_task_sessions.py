"""The backup task sessions' family (`mock_em/resources/backup_task_sessions.py`): one per VM of
each backup job session, with its result, `Reason` and `TotalSize`."""

from __future__ import annotations

import pytest
from conftest import EmClient
from xmlutil import logon

from mock_em.model.entities import SessionResult, TaskState
from mock_em.model.job_history import GIB, vm_sizes
from mock_em.registry import family
from resources.family_checks import check_provider_only, query_uids, uid
from resources.session_checks import check_every_entity, sessions

FAMILY = family("BackupTaskSession")
SESSIONS = family("BackupJobSession")


def test_entity_fields_and_links(roles: EmClient, seed: EmClient) -> None:
    check_every_entity((roles, seed), FAMILY, SESSIONS.path)


def test_sizes_reasons_and_results_agree_with_the_session(roles: EmClient) -> None:
    """`TotalSize` is the VM's provisioned size in whole GiB (0 when the task failed); a failed
    or warning task says why (`Processing <vm> Error: …`), a successful one nothing; a session's
    result is the worst of its tasks'; a finished task leaves a VM restore point unless it failed."""
    world = roles.em.world
    tasks = sessions(roles, FAMILY)
    for task in tasks:
        if task.state is not TaskState.Completed:
            continue
        provisioned, _ = vm_sizes(task.job_id, task.vm_name)
        failed = task.result is SessionResult.Failed
        assert task.total_size == (0 if failed else provisioned) and provisioned % GIB == 0
        assert (task.reason == "") == (task.result is SessionResult.Success)
        assert task.reason == "" or task.reason.startswith(f"Processing {task.vm_display_name} Error: ")
        assert (task.point_id is None) == failed
    for session in sessions(roles, SESSIONS):
        mine = [t.result for t in tasks if t.session_id == session.id]
        if session.end_time is not None:
            worst = next((r for r in (SessionResult.Failed, SessionResult.Warning) if r in mine), SessionResult.Success)
            assert session.result is worst
    assert world.all("Job")


def test_readers_tenants_and_paths(roles: EmClient) -> None:
    """Portal administrators and users read them; Restore Operators and tenants get a 403."""
    check_provider_only(roles, FAMILY)


@pytest.mark.parametrize("field", ["JobSessionUid", "jobsessionuid"])
def test_query_by_session_and_vm(roles: EmClient, field: str) -> None:
    """A session's tasks by `JobSessionUid`, a VM's by `VmDisplayName`, newest first."""
    token, _ = logon(roles)
    task = sessions(roles, FAMILY)[-1]
    found = query_uids(roles, token, FAMILY, filter=f"{field}==urn:veeam:BackupJobSession:{task.session_id}")
    assert found == [uid(FAMILY, t.id) for t in sessions(roles, FAMILY) if t.session_id == task.session_id]
    found = query_uids(roles, token, FAMILY, filter=f'VmDisplayName=="{task.vm_display_name}"', sortDesc="CreationTime")
    mine = [t for t in sessions(roles, FAMILY) if t.vm_display_name == task.vm_display_name]
    assert found == [uid(FAMILY, t.id) for t in sorted(mine, key=lambda t: t.creation_time, reverse=True)]
