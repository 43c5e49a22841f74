"""`/api/replicaSessions`: the runs of the backup servers' replication jobs, each with its VMs'
task sessions at `/api/replicaSessions/{id}/replicaTaskSessions`. Derived from the jobs'
schedules at the world's time; see `mock_em.resources.job_session_families`."""

from __future__ import annotations

from mock_em.model.entities import ReplicaJobSession
from mock_em.resources.family import SubCollection
from mock_em.resources.job_session_families import job_sessions

PATH = "/replicaSessions"
TASKS = SubCollection("replicaTaskSessions", "ReplicaTaskSession", "session_id")

KIND, FAMILY = job_sessions(ReplicaJobSession, PATH, TASKS, position=7, query_order=10)
