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
from datetime import date, datetime, timedelta

from mock_em.model.entities import Job
from mock_em.model.job_history import DAY, HISTORY, LONGEST_RUN, Run, job_key, runs_on

TICK_MARGIN = timedelta(milliseconds=1)  # a progress tick is taken a little early: never late


def quiet_until(jobs: Iterable[Job], at: datetime) -> datetime:
    """The first instant after `at` at which anything derived from `jobs` may look different
    (never later than two days on, so a job without runs is looked at again). Scheduled starts
    to come are the jobs' `next_run`s (a run starts seconds after it; its retries follow runs
    already drawn); runs that may still be going are those of the days `LONGEST_RUN` reaches;
    runs that may leave the history are those of the days around `at - HISTORY`."""
    soonest = datetime.combine(at.date() + 2 * DAY, datetime.min.time(), at.tzinfo)
    going = _days((at - LONGEST_RUN).date() - DAY, at.date())
    leaving = _days((at - HISTORY).date() - DAY, (at - HISTORY).date() + DAY)
    for job in jobs:
        if job.next_run is not None and job.next_run > at:
            soonest = min(soonest, job.next_run)
        key = job_key(job)
        for day in going:
            for run in runs_on(job, day, key):
                soonest = min(soonest, _next_change(run, at))
        for day in leaving:
            for run in runs_on(job, day, key):
                if run.start + HISTORY > at:
                    soonest = min(soonest, run.start + HISTORY)
    return soonest


def _days(first: date, last: date) -> list[date]:
    return [first + n * DAY for n in range((last - first).days + 1)]


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
