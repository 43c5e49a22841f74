"""When the jobs of the backup servers run next: each job's `NextRun` as of the world's time.

A job's schedule is fixed; its next start follows from the schedule and the instant the world is
current to, so it is kept on the job (`Job.next_run`, what the query service sorts and filters on)
and moved on whenever the world's time moves: at generation, when the EM takes a world (generated,
loaded or restored) and when the clock runs the world on (`mock_em.model.schedule.run_world`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mock_em.model.entities import Job, JobSchedule
from mock_em.model.world import World

JOB_KIND = "Job"
DAY = timedelta(days=1)


def next_run(schedule: JobSchedule, after: datetime) -> datetime | None:
    """The first scheduled start strictly after `after` (UTC, whole minutes); `None` for a job
    whose schedule is not configured or not enabled, as EM leaves `NextRun` out for those."""
    if not (schedule.configured and schedule.enabled):
        return None
    midnight = after.replace(hour=0, minute=0, second=0, microsecond=0)
    step = schedule.every_hours or 24
    first = schedule.hour % step
    for day in (midnight, midnight + DAY):
        for hour in range(first, 24, step):
            start = day + timedelta(hours=hour, minutes=schedule.minute)
            if start > after:
                return start
    raise AssertionError("a schedule starts at least once a day")  # pragma: no cover


def refresh_next_runs(world: World, at: datetime, *, taken_over: bool = False) -> int:
    """Set every job's `next_run` to its next start after `at`; returns how many moved. The world
    counts as changed only then, so caches of a world whose jobs did not move stay valid; and not
    when the EM has just `taken_over` the world (nothing is cached for it yet, and a world loaded
    from a fixture stays equal to the one the fixture was written from)."""
    moved = 0
    job: Job
    for job in world.all(JOB_KIND).values():
        upcoming = next_run(job.schedule, at)
        if upcoming != job.next_run:
            job.next_run = upcoming
            moved += 1
    if moved and not taken_over:
        world.changed()
    return moved
