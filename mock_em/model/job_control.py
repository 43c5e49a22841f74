"""What the control plane may do to a job's runs, decided at the world's time: make its next
scheduled run fail or warn, start it now, stop the run going now.

Each decision is a `RunEdit` kept on the job (and in fixtures), never a change to a session:
sessions stay a pure function of the job (`mock_em.model.job_history`), so an edit replays alike
in every worker and survives a clock run, a snapshot and a fixture round trip. A refusal is a
ValueError whose text the control plane answers with a 400; a recorded world refuses them all
(`RECORDED`).
"""

from __future__ import annotations

from datetime import datetime

from mock_em.model.entities import Job, RunAction, RunEdit, SessionResult
from mock_em.model.job_history import LONGEST_RUN, Run, runs_between
from mock_em.model.job_runs import next_run

FORCED = {SessionResult.Failed: RunAction.Fail, SessionResult.Warning: RunAction.Warn}
# A recorded world's runs are as its source recorded them (`World.recorded`): there is no drawn run
# to fail, start or stop, so the control plane refuses these edits with a 400 saying why.
RECORDED = (
    "the world is recorded (imported): its job sessions are as its source showed them, and its jobs' runs"
    " cannot be edited"
)


def running(job: Job, now: datetime) -> Run | None:
    """The job's run going at `now`, if any."""
    going = [r for r in runs_between(job, now - LONGEST_RUN, now) if r.start <= now < r.end]
    return going[-1] if going else None


def force_next_run(job: Job, now: datetime, result: SessionResult) -> RunEdit:
    """The job's next scheduled run after `now` ends `Failed` (every VM fails, and is retried as
    failures are) or with a `Warning`."""
    if result not in FORCED:
        raise ValueError("Result: Failed or Warning")
    at = next_run(job.schedule, now)
    if at is None:
        raise ValueError(f"job {job.name!r} has no enabled schedule: start it instead")
    edit = RunEdit(FORCED[result], at)
    job.run_edits = [e for e in job.run_edits if not (e.at == at and e.action in FORCED.values())] + [edit]
    return edit


def start_now(job: Job, now: datetime) -> RunEdit:
    """A run of the job started by hand at `now` (as EM's Start: refused while one is going)."""
    if not job.vms:
        raise ValueError(f"job {job.name!r} has no VMs to process")
    if running(job, now) is not None:
        raise ValueError(f"job {job.name!r} is running already")
    edit = RunEdit(RunAction.Start, now)
    job.run_edits.append(edit)
    return edit


def stop_now(job: Job, now: datetime) -> RunEdit:
    """The run going at `now` stops: its unfinished VMs fail, and it is not retried."""
    run = running(job, now)
    if run is None:
        raise ValueError(f"job {job.name!r} is not running")
    edit = RunEdit(RunAction.Stop, now, run.id)
    job.run_edits.append(edit)
    return edit
