"""`/api/backupTaskSessions`: one task session per VM of each backup job session: when it began
and ended, its result and `Reason`, the VM's provisioned size (`TotalSize`, 0 when it failed).
See `mock_em.resources.job_session_families`.

From EM 10 on a backup task also names its VM as the VM's host does (`VmUid`, after `TotalSize`,
as the em12 and em13 captures show it; `urn:VMware:Vm:<root>.vm-<n>`, the `HierarchyObjRef` of the
VM's restore points). The vendor's replica task sessions show no such member."""

from __future__ import annotations

from typing import Any

from mock_em.model.access import Access
from mock_em.model.entities import BackupTaskSession
from mock_em.model.world import World
from mock_em.resources import backup_sessions
from mock_em.resources.job_session_families import task_sessions, task_values
from mock_em.wire.links import Hrefs

PATH = "/backupTaskSessions"


def values(h: Hrefs, world: World, task: BackupTaskSession, access: Access) -> dict[str, Any]:
    """A task session's fields, and its VM's reference on the host (12+: `since_fields`)."""
    return {**task_values(h, world, task, access), "VmUid": task.vm_uid}


KIND, FAMILY = task_sessions(
    BackupTaskSession,
    PATH,
    backup_sessions.PATH,
    position=8,
    query_order=12,
    values=values,
    since_fields={"VmUid": "10"},  # em-api-monitoring.md §2.4: "v10+ add VmUid" (§7: none in 9.5 U4)
)
