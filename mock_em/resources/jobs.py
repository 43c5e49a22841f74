"""`/api/jobs`: the backup and replication jobs of the backup servers connected to Enterprise
Manager, and each server's own at `/api/backupServers/{id}/jobs` (`backup_servers.py`).

A job shows its `JobType`, `Platform` and `Description`, whether it has a schedule and whether
that is enabled, its `NextRun` (the next scheduled start after the world's time, left out for a
disabled job: `mock_em.model.job_runs`) and its `JobScheduleOptions`: daily at a time or every so
many hours, in UTC. It writes to one repository of its own server; removing that repository
removes the job. Its VMs are kept by name for the job's `includes` and sessions, which mock-em
does not serve yet; so the entity carries no `JobInfo`, and links only Up to its server and to its
other form (no Start, Stop, Retry, Clone or ToggleScheduleEnabled: mock-em serves no actions).
See `docs/jobs.md`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mock_em.importer.entity import Entity, Found, Reading
from mock_em.model.access import Access
from mock_em.model.entities import UNKNOWN_SIZE, Job, JobSchedule, JobType, Platform, Vm
from mock_em.model.fixture_records import records
from mock_em.model.ids import guid
from mock_em.model.job_history import backup_bytes
from mock_em.model.job_runs import next_run
from mock_em.model.kinds import ON_SERVER, PORTAL, ForeignKey, Kind
from mock_em.model.query_columns import enum_field, identity_fields, plain, query_for, ranked, string_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import Field as QueryField
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.query_fields import QueryType
from mock_em.model.usage import RESOURCE_KIND
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.family import Down, Family, SubCollection, generation_part
from mock_em.resources.job_edits import edits
from mock_em.resources.job_reading import complete_jobs
from mock_em.resources.managed_servers import server_of
from mock_em.wire.links import Hrefs, Link

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from mock_em.generator import Generation

PATH = "/jobs"
# The vendor's defaults for a new job's retries (3 times, 10 minutes apart), as its example shows.
RETRIES = {"RetryTimes": 3, "RetryTimeout": 10, "RetrySpecified": True}


def values(h: Hrefs, world: World, job: Job, access: Access) -> dict[str, Any]:
    """The entity's own fields, in the schema's order, then its schedule options: the daily and
    the periodic options both, the one not in use disabled, as EM shows them. Times are UTC
    (`TimeOffsetUtc` 0): mock-em's servers keep UTC."""
    schedule = job.schedule
    return {
        "JobType": job.job_type.value,
        "Platform": job.platform.value,
        "Description": job.description,
        "ScheduleConfigured": schedule.configured,
        "ScheduleEnabled": schedule.enabled,
        "NextRun": job.next_run,
        **RETRIES,
        "DailyEnabled": not schedule.every_hours,
        "Time": f"{schedule.hour:02d}:{schedule.minute:02d}:00",
        "TimeOffsetUtc": 0,
        "PeriodicallyEnabled": bool(schedule.every_hours),
        "FullPeriod": schedule.every_hours or 1,
    }


NEVER = datetime.max.replace(tzinfo=UTC)


def next_run_column(world: World, items: Sequence[Job]) -> Iterable[datetime]:
    """`NextRun` as the query compares it: a job that will not run by its schedule runs never,
    after every date (`NextRun<…` leaves it out; it sorts last, ascending)."""
    return [job.next_run or NEVER for job in items]


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of Job fields (get_query_job)."""
    return query_for(
        kind,
        *identity_fields("Job"),
        string_field("Description", text_column("description")),
        QueryField("NextRun", FieldKind.DATETIME, next_run_column),
        enum_field("JobType", ranked("job_type", JobType), (t.value for t in JobType)),
        enum_field("Platform", ranked("platform", Platform), (p.value for p in Platform)),
        QueryField("ScheduleConfigured", FieldKind.BOOL, plain("schedule.configured")),
        QueryField("ScheduleEnabled", FieldKind.BOOL, plain("schedule.enabled")),
        *server_fields(),
    )


# -- the import's reader ----------------------------------------------------------------------------

NO_REPOSITORY = UUID(int=0)  # until `completes` finds the job's repository (none found: the job is left out)
DAY_MINUTES = 24 * 60


def reads(entity: Entity, reading: Reading) -> Job:
    """A job as its entity shows it: type, platform, description, its schedule from
    `ScheduleConfigured`, `ScheduleEnabled` and `JobScheduleOptions` (the daily time, or the
    periodic one's `FullPeriod` in hours where that is enabled), and its `NextRun`. What the
    entity does not show is found by `complete_jobs` once every kind is read (its repository, its
    VMs, its retention); what nothing shows keeps the model's default: a `failure_rate` of 0.02
    (the generator's), no control-plane run edits, deleted points or creation instant."""
    options = entity.nested("JobScheduleOptions")
    daily, periodic = options.nested("OptionsDaily"), options.nested("OptionsPeriodically")
    hour, minute = _utc_time(entity, daily, reading)
    every = (
        int(periodic.get("FullPeriod", 0) or 0)
        if periodic.get("Enabled") and periodic.get("Kind", "Hours") == "Hours"
        else 0
    )
    if every and (every > 24 or 24 % every):
        reading.warn(f"jobs: {entity.name!r} runs every {every} hours, not a divisor of the day: read as daily")
        every = 0
    schedule = JobSchedule(
        configured=bool(entity.get("ScheduleConfigured", False)), enabled=bool(entity.get("ScheduleEnabled", False)),
        hour=hour % every if every else hour, minute=minute, every_hours=every,
    )  # fmt: skip
    job = Job(
        entity.id, entity.name, server_of(entity), NO_REPOSITORY,
        entity.member("JobType", JobType), entity.member("Platform", Platform),
        entity.get("Description", ""), schedule,
    )  # fmt: skip
    job.next_run = entity.time("NextRun")
    return job


def _utc_time(entity: Entity, daily: Entity, reading: Reading) -> tuple[int, int]:
    """The daily option's `Time` in UTC (less its `TimeOffsetUtc`, in seconds or `[-]HH:MM:SS`);
    22:00, the model's default, where the source shows none."""
    text = daily.get("Time")
    if not text:
        return 22, 0
    try:
        hours, minutes = (int(part) for part in str(text).split(":")[:2])
        offset = daily.get("TimeOffsetUtc", 0)
        if isinstance(offset, str):
            sign = -1 if offset.startswith("-") else 1
            h, m, *_ = (int(float(p)) for p in offset.lstrip("+-").split(":"))
            offset = sign * (h * 3600 + m * 60)
        total = (hours * 60 + minutes - int(offset) // 60) % DAY_MINUTES
    except ValueError:
        reading.warn(f"jobs: {entity.name!r} shows Time {text!r}: read as 22:00")
        return 22, 0
    return divmod(total, 60)


def completes(found: Found, reading: Reading) -> None:
    """What the jobs' entities do not show, from the kinds that name them (`job_reading`)."""
    complete_jobs(found, reading)


# -- the generator's part ------------------------------------------------------------------------

WORKLOADS = (  # what a job protects, and the host name its VMs go by
    ("Exchange", "exch"),
    ("SQL", "sql"),
    ("File Server", "fs"),
    ("Web", "web"),
    ("ERP", "erp"),
    ("Domain Controller", "dc"),
)
NIGHT_HOURS = (22, 23, 0, 1)  # daily starts between 22:00 and 02:00
PERIODS = (4, 6, 8)


def generate_jobs(g: Generation) -> None:
    """Each backup server's three to eight jobs, writing to the server's own repositories (not the
    cloud repositories its tenants' quotas are on). Drawn from an RNG of their own (`jobs:{seed}`)
    after every other part, so no older draw moves."""
    rng = random.Random(f"jobs:{g.seed}")
    cloud = {resource.repository_id for resource in g.all(RESOURCE_KIND).values()}
    tenants = list(g.all("CloudTenant").values())
    for server_id in g.all("BackupServer"):
        targets = [r.id for r in g.all("Repository").values() if r.backup_server_id == server_id and r.id not in cloud]
        if not targets:
            continue
        owners = [t.name for t in tenants if t.backup_server_id == server_id]
        taken: set[str] = set()
        hosts: dict[str, int] = {}
        size = g.size
        for _ in range(_or_drawn(size.jobs_per_server, rng.randint(3, 8))):
            workload, host = rng.choice(WORKLOADS)
            job_type = JobType.Replica if rng.random() < size.replica_jobs_percent / 100 else JobType.Backup
            schedule = _schedule(rng)
            owner = rng.choice(owners) if owners and rng.random() < 0.6 else None
            name = _unique(_name(job_type, workload, owner, schedule.every_hours), taken)
            vms = []
            for _ in range(_or_drawn(size.vms_per_job, rng.randint(1, 6))):
                hosts[host] = hosts.get(host, 0) + 1
                vms.append(Vm(f"{host}{hosts[host]:02d}"))
            job = Job(
                guid(rng),
                name,
                server_id,
                rng.choice(targets),
                job_type,
                Platform.VMware if rng.random() < 0.85 else Platform.HyperV,
                f"{'Backup' if job_type is JobType.Backup else 'Replication'} of the {workload} VMs",
                schedule,
                vms,
                retention=_or_drawn(size.job_retention, rng.randint(14, 30)),
            )
            job.next_run = next_run(job.schedule, g.now)
            g.add(job)
            _store_backup(g, job)


def _or_drawn(knob: int, drawn: int) -> int:
    """A world-size knob's count, or where it is 0 the count drawn as a provider's EM has it. The
    draw is made either way, so setting one knob moves no other draw."""
    return knob or drawn


def _store_backup(g: Generation, job: Job) -> None:
    """What the job's backup holds at the world's time, taken from its repository's free space
    (the clock moves it on from there: `mock_em.model.job_sessions`)."""
    job.backup_bytes = backup_bytes(job, g.now)
    repository = g.all("Repository")[job.repository_id]
    if repository.free_space != UNKNOWN_SIZE:
        repository.free_space -= job.backup_bytes


def _name(job_type: JobType, workload: str, tenant: str | None, every_hours: int) -> str:
    """A service provider's names: `<Tenant> <Workload> Backup` and `<Tenant> DR Replica` for a
    tenant's hosted servers, `Exchange Daily Backup` (`SQL 4-Hourly Backup`) and `SQL Replication
    to DR` for its own."""
    if job_type is JobType.Replica:
        return f"{tenant} DR Replica" if tenant else f"{workload} Replication to DR"
    how_often = f"{every_hours}-Hourly" if every_hours else "Daily"
    return f"{tenant} {workload} Backup" if tenant else f"{workload} {how_often} Backup"


def _unique(name: str, taken: set[str]) -> str:
    """The name, or with ` 2`, ` 3`… where the server has a job of that name already."""
    chosen, n = name, 1
    while chosen in taken:
        n += 1
        chosen = f"{name} {n}"
    taken.add(chosen)
    return chosen


def _schedule(rng: random.Random) -> JobSchedule:
    """Mostly nightly between 22:00 and 02:00, on the hour or half hour; one in four every 4, 6
    or 8 hours; about one in ten disabled."""
    enabled = rng.random() >= 0.1
    minute = rng.choice((0, 30))
    if rng.random() < 0.25:
        every = rng.choice(PERIODS)
        return JobSchedule(enabled=enabled, hour=rng.randrange(every), minute=minute, every_hours=every)
    return JobSchedule(enabled=enabled, hour=rng.choice(NIGHT_HOURS), minute=minute)


def valid_schedule(job: Job) -> None:
    """A schedule EM could hold: a time of day, and a period that divides the day."""
    s = job.schedule
    if not (0 <= s.hour < 24 and 0 <= s.minute < 60) or (s.every_hours and 24 % s.every_hours):
        raise ValueError(f"job {job.name!r}: Schedule needs Hour 0-23, Minute 0-59 and EveryHours 0 or a divisor of 24")


KIND = Kind(
    Job,
    noun="job",
    keys=(ON_SERVER, ForeignKey("repository_id", "Repository")),
    readers=PORTAL,
    fixture=records(
        "Id Name BackupServerId RepositoryId JobType Platform Description Schedule Vms Retention RunEdits Created"
        " FailureRate DeletedPoints",
        check=valid_schedule,
        recorded_keys="NextRun",  # a recorded world's jobs start when its source said (`World.recorded`)
    ),
    query=query,
    query_order=4,  # first of the provider's types, as the vendor's query entities list them (Jobs first)
)

SESSIONS = SubCollection("backupSessions", "BackupJobSession", "job_id")


def entity_downs(h: Hrefs, world: World, job: Job, access: Access) -> list[Link]:
    """The entity links Down to the job's sessions (`/jobs/{id}/backupSessions`, as the vendor
    names it for every job; a replication job's list there is empty: its runs are replica
    sessions, at `/replicaSessions`)."""
    if not access.reads(SESSIONS.family):
        return []
    return [Link("Down", f"{SESSIONS.family}ReferenceList", h.sub(PATH, job.id, SESSIONS.segment))]


FAMILY = Family(
    KIND,
    PATH,
    values,
    ups=up_to_server,
    entity_downs=entity_downs,
    subs=(SESSIONS,),
    edits=edits(lambda job: KIND.section.dump(job)),
    down=Down("LogonSession", 1),  # after backup servers, before repositories, as EM's LogonSession links them
    generates=generation_part(generate_jobs),
    reads=reads,
    completes=completes,
)
