"""`/api/replicaTaskSessions`: one task session per VM of each replica job session. See
`mock_em.resources.job_session_families`."""

from __future__ import annotations

from mock_em.model.entities import ReplicaTaskSession
from mock_em.resources import replica_sessions
from mock_em.resources.job_session_families import task_sessions

PATH = "/replicaTaskSessions"

KIND, FAMILY = task_sessions(ReplicaTaskSession, PATH, replica_sessions.PATH, position=9, query_order=11)
