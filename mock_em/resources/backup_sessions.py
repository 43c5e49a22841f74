"""`/api/backupSessions`: the runs of the backup servers' backup jobs, each with its VMs' task
sessions at `/api/backupSessions/{id}/taskSessions`, and a job's own at
`/api/jobs/{id}/backupSessions`. Derived from the jobs' schedules at the world's time; see
`mock_em.resources.job_session_families` and `docs/job-sessions.md`."""

from __future__ import annotations

from mock_em.model.entities import BackupJobSession
from mock_em.resources.family import SubCollection
from mock_em.resources.job_session_families import job_sessions

PATH = "/backupSessions"
TASKS = SubCollection("taskSessions", "BackupTaskSession", "session_id")

KIND, FAMILY = job_sessions(BackupJobSession, PATH, TASKS, position=6, query_order=9)
