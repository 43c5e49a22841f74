"""When the jobs' derived state can next change: `quiet_until`.

The sessions, task sessions, catalogue and backups that `job_sessions.refresh_jobs` shows are a
function of the jobs and the instant. Between two instants they differ only if something happened
in between: a run or task started or ended, a running session's `Progress` ticked, a run left the
kept history, a scheduled start passed. When the clock runs on (every request, with a running
clock) and none of these fell in between, nothing is redrawn: a world of a million VM restore
points answers without rebuilding its catalogue on every request. Edits of jobs refresh anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from mock_em.model.entities import Job
from mock_em.model.job_history import DAY, HISTORY, Run, runs_on

TICK_MARGIN = timedelta(milliseconds=1)  # a progress tick is taken a little early: never late


def quiet_until(jobs: Iterable[Job], at: datetime) -> datetime:
    """The first instant after `at` at which anything derived from `jobs` may look different
    (never later than two days on, so a job without runs is looked at again)."""
    soonest = datetime.combine(at.date() + 2 * DAY, datetime.min.time(), at.tzinfo)
    first = (at - HISTORY - DAY).date()  # a run of that day (or a retry of it) may still be kept
    days = [first + n * DAY for n in range((at.date() - first).days + 2)]  # up to tomorrow
    for job in jobs:
        if job.next_run is not None and job.next_run > at:
            soonest = min(soonest, job.next_run)
        for day in days:
            for run in runs_on(job, day):
                soonest = min(soonest, _next_change(run, at))
    return soonest


def _next_change(run: Run, at: datetime) -> datetime:
    """The run's first change after `at`: its start, a task's start or end, its end, a tick of
    its progress, or its leaving the history."""
    if run.start > at:
        return run.start
    if run.end <= at:
        return run.start + HISTORY if run.start + HISTORY > at else datetime.max.replace(tzinfo=at.tzinfo)
    moments = [run.end, run.start + HISTORY]
    moments.extend(t.start for t in run.tasks if t.start > at)
    moments.extend(t.end for t in run.tasks if t.end > at)
    span = (run.end - run.start).total_seconds()
    done = int(100 * (at - run.start).total_seconds() / span)
    moments.append(run.start + timedelta(seconds=(done + 1) * span / 100) - TICK_MARGIN)
    return max(min(moments), at + TICK_MARGIN)
