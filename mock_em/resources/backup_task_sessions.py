"""`/api/backupTaskSessions`: one task session per VM of each backup job session: when it began
and ended, its result and `Reason`, the VM's provisioned size (`TotalSize`, 0 when it failed).
See `mock_em.resources.job_session_families`."""

from __future__ import annotations

from mock_em.model.entities import BackupTaskSession
from mock_em.resources import backup_sessions
from mock_em.resources.job_session_families import task_sessions

PATH = "/backupTaskSessions"

KIND, FAMILY = task_sessions(BackupTaskSession, PATH, backup_sessions.PATH, position=8, query_order=12)
