"""The objects an Enterprise Manager of a Cloud Connect service provider knows about.

Each class is named as Veeam names the resource, so a reader can hold the code against the
vendor's reference pages. They hold native values (UUID, aware UTC datetime, enums); how they look
on the wire is the wire layer's business, what may be done with them is the World's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


class PointType(enum.Enum):
    """`PointType` of a CloudVmReplicaPoint, in the vendor's enum order (queries compare by it)."""

    Full = "Full"
    ReverseIncrement = "ReverseIncrement"
    Increment = "Increment"
    Snapshot = "Snapshot"


class PointState(enum.Enum):
    """`State` of a CloudVmReplicaPoint, in the vendor's enum order."""

    Unknown = "Unknown"
    Ready = "Ready"
    Failover = "Failover"
    Failback = "Failback"
    PermanentFailover = "PermanentFailover"


class Platform(enum.Enum):
    """`Platform` of a CloudReplica: the hypervisor the tenant replicates from."""

    VMware = "VMware"
    HyperV = "HyperV"
    vCloud = "vCloud"


class Role(enum.Enum):
    """Enterprise Manager roles that decide what an account may read."""

    PortalAdministrator = "PortalAdministrator"
    PortalUser = "PortalUser"
    RestoreOperator = "RestoreOperator"
    CloudTenant = "CloudTenant"


def stamp(when: datetime, fine: bool = False) -> str:
    """The time in a session's or point's name: `yyyy-MM-dd HH:mm:ss` (UTC), or with six digits
    of a second's fraction where the release writes them (13: `model.instants`)."""
    if fine:
        return f"{when:%Y-%m-%d %H:%M:%S}.{when.microsecond:06d}"
    return str(when)[:19]  # `str`'s ISO text, made faster than by `strftime`


@dataclass(slots=True)
class BackupServer:
    """A Veeam Backup & Replication server connected to Enterprise Manager."""

    id: UUID
    name: str  # DNS name or IP address, as EM shows it
    description: str
    port: int = 9392
    version: str = "9.5.0.1922"


@dataclass(slots=True)
class CloudTenant:
    """A Cloud Connect tenant: a customer company of the service provider.

    `username` and `password` are the tenant's own credentials, used for tenant logon with
    `TenantCredentials`; EM never shows the password (the entity's `Password` is empty). Its
    `PublicIpCount` is no attribute: it counts the tenant's `CloudPublicIpAddress`es, so the two
    cannot disagree.
    """

    id: UUID
    name: str
    backup_server_id: UUID
    username: str
    password: str
    description: str = ""
    enabled: bool = True
    lease_expiration: datetime | None = None
    last_result: str = "Success"
    last_active: datetime | None = None
    throttling_enabled: bool = False
    throttling_speed_limit: int = 1
    throttling_speed_unit: str = "Mbps"
    backup_count: int = 0


@dataclass(slots=True)
class Vm:
    """A VM that a tenant's replication job replicates to the provider (`srvNN`)."""

    name: str
    display_name: str = ""

    def __post_init__(self) -> None:
        if not self.display_name:
            self.display_name = self.name


@dataclass(slots=True)
class ReplicaSchedule:
    """When a replication job runs: nightly at `hour:minute`, starting up to `spread_minutes` late.

    Real jobs start at the scheduled minute and each VM's point is taken some minutes into the
    run, so point times spread over an evening window (the seed shows 20:00 to 21:08).
    """

    hour: int = 20
    minute: int = 0
    spread_minutes: int = 70
    adhoc_rate: float = 0.1  # chance per VM per day of an extra point taken during the day
    seed: int = 0  # seeds the job's run history: points are a pure function of (replica, seed, VM, day)


@dataclass(slots=True)
class CloudReplica:
    """A tenant's replication job to the provider (`ABC Company Servers Replication`)."""

    id: UUID
    name: str
    tenant_id: UUID
    backup_server_id: UUID
    platform: Platform = Platform.VMware
    retention: int = 7  # restore points kept per VM; Veeam's default
    schedule: ReplicaSchedule = field(default_factory=ReplicaSchedule)
    vms: list[Vm] = field(default_factory=list)


@dataclass(slots=True)
class CloudVmReplicaPoint:
    """One restore point of one VM, left on the provider by a tenant's replication job."""

    id: UUID
    replica_id: UUID
    vm_name: str
    creation_time: datetime
    vm_display_name: str = ""
    point_type: PointType = PointType.Snapshot
    state: PointState = PointState.Ready

    def __post_init__(self) -> None:
        if not self.vm_display_name:
            self.vm_display_name = self.vm_name

    @property
    def name(self) -> str:
        """The vendor's point name: `<vm>@<yyyy-MM-dd HH:mm:ss>` of the creation time."""
        return f"{self.vm_name}@{self.creation_time:%Y-%m-%d %H:%M:%S}"


@dataclass(frozen=True, slots=True)
class Account:
    """Who may log on: an EM user with a role, or a Cloud Connect tenant (`tenant_id` set)."""

    user_name: str
    password: str
    role: Role = Role.PortalAdministrator
    tenant_id: UUID | None = None


@dataclass(slots=True)
class LogonSession:
    """A live session: what `POST /sessionMngr` creates and `DELETE /logonSessions/{id}` ends.

    `token` is what the client sends back in `X-RestSvcSessionId` (header or cookie): base64 of the
    `SessionId`'s lower-case hyphenated text, the form scripts written against real EMs send.
    """

    session_id: UUID
    token: str
    user_name: str  # as EM shows it, e.g. `EM01\\Administrator`
    account: Account
    created: datetime
    last_used: datetime


class RepositoryKind(enum.Enum):
    """`Kind` of a Repository: the storage behind it, as later EM versions report it (the 9.5
    schema has no `Kind`; em-api-monitoring.md §7 and §9 keep it)."""

    WindowsLocal = "WindowsLocal"
    LinuxLocal = "LinuxLocal"
    CifsShare = "CifsShare"
    Nfs = "Nfs"
    DDBoost = "DDBoost"
    HPStoreOnce = "HPStoreOnce"
    ExaGrid = "ExaGrid"
    Extendable = "Extendable"
    Cloud = "Cloud"
    AmazonS3Compatible = "AmazonS3Compatible"


UNKNOWN_SIZE = -1  # a repository's Capacity and FreeSpace where the storage does not say (object storage)


@dataclass(slots=True)
class Repository:
    """A backup repository of a backup server: where backups, and the tenants' cloud backups, are
    stored.

    `capacity` and `free_space` are in bytes, as EM reports them, both `UNKNOWN_SIZE` (-1) for
    object storage and never 0, which monitoring clients divide by. Capacity is fixed; free space
    falls as the tenants' cloud backups stored there grow and rises as retention deletes them
    (`mock_em.model.usage` keeps it current as the clock moves).
    """

    id: UUID
    name: str
    backup_server_id: UUID
    kind: RepositoryKind
    capacity: int
    free_space: int


@dataclass(slots=True)
class CloudTenantResource:
    """A tenant's backup resource: its storage quota on one cloud repository of the provider.

    `quota_mb` is the `Quota` EM reports (MB). `used_quota_mb` is its `UsedQuota`: what the
    tenant's cloud backups stored there hold as of the world's time (`mock_em.model.usage` works
    it out and keeps it current as the clock moves), plus `fill_offset_mb`, which only the control
    plane sets (to fill a quota to a given share, or past it).
    """

    id: UUID
    tenant_id: UUID
    repository_id: UUID
    repository_name: str  # the cloud repository's friendly name: the quota's `DisplayName`
    quota_mb: int
    wan_accelerator_id: UUID | None = None
    used_quota_mb: int = 0
    fill_offset_mb: int = 0

    @property
    def name(self) -> str:
        """What messages call it: the repository's friendly name."""
        return self.repository_name


@dataclass(slots=True)
class PlanStorage:
    """One storage of a hardware plan: a VMware datastore or a Hyper-V volume, with the quota
    each subscribed tenant's replicas may take there."""

    id: UUID
    friendly_name: str
    path: str  # the datastore's root path or the volume's path
    quota_gb: int
    reference: str = ""  # the datastore's or volume's reference (`urn:…`)


@dataclass(slots=True)
class CloudHardwarePlan:
    """A hardware plan of the provider: the CPU, memory, storage and networks each subscribed
    tenant's VM replicas may use on one host or cluster (per tenant: limits are not shared)."""

    id: UUID
    name: str
    backup_server_id: UUID
    platform: Platform
    host_ref: str  # the host or cluster the replicas run on (`urn:…`)
    parent_name: str
    storages: list[PlanStorage]
    network_id: UUID
    description: str = ""
    processor_limit_mhz: int = -1  # -1: no limit, as EM writes it
    memory_limit_mb: int = -1
    networks_with_internet: int = 1
    networks_without_internet: int = 1


@dataclass(slots=True)
class ComputeUsage:
    """What a compute resource's VMs use of its plan, kept as its source showed it (see
    `CloudTenantComputeResource.usage`): CPUs, memory, and the GB used on each of the plan's
    storages, in the plan's order."""

    cpu_count: int
    memory_usage_mb: int
    storage_usage_gb: list[int] = field(default_factory=list)


@dataclass(slots=True)
class CloudTenantComputeResource:
    """A tenant's subscription to a hardware plan: where its VM replicas run on failover.

    What they use of the plan (`ComputeResourceStats`) is worked out from the tenant's replicated
    VMs (`mock_em.model.compute`), which are sized from their replica's id and their names; an
    anonymized import renames both, so it keeps the use its source showed in `usage` (None: work
    it out)."""

    id: UUID
    tenant_id: UUID
    plan_id: UUID
    use_network_failover: bool = True
    production_network: str = "VM Network"
    wan_accelerator_id: UUID | None = None
    usage: ComputeUsage | None = None

    @property
    def name(self) -> str:
        """What messages call it: its id (it has no name of its own)."""
        return str(self.id)


@dataclass(slots=True)
class CloudGateway:
    """A cloud gateway of the provider: where tenants' backup servers connect to Cloud Connect."""

    id: UUID
    name: str  # the gateway's DNS name or IP address, as EM names it
    backup_server_id: UUID
    external_ip: str
    network_mode: str = "Direct"  # `Direct` or `NAT`
    external_port: int = 6180
    internal_port: int = 6180
    enabled: bool = True
    description: str = ""


@dataclass(slots=True)
class CloudFailoveredVm:
    """One VM of a cloud failover plan (`FailoverPlanVMId`): a VM that one of the tenant's
    replicas replicates, named as the replica names it. Its `Order` is its place in the plan."""

    id: UUID
    replica_id: UUID
    vm_name: str


@dataclass(slots=True)
class CloudFailoverPlan:
    """A tenant's cloud failover plan: the VMs of its replicas to start on the provider's side, in
    order, when its site fails (`ABC Company Failover Plan`). The tenant makes it; it lives on the
    backup server the tenant is registered on."""

    id: UUID
    name: str
    tenant_id: UUID
    backup_server_id: UUID
    description: str = ""
    pre_command_enabled: bool = False
    pre_command: str = ""
    post_command_enabled: bool = False
    post_command: str = ""
    vms: list[CloudFailoveredVm] = field(default_factory=list)


@dataclass(slots=True)
class CloudPublicIpAddress:
    """A public IP address from the provider's pool on a backup server, assigned to a tenant: after
    a full site failover its VM replicas are reached from the internet at these addresses."""

    id: UUID
    ip_address: str
    tenant_id: UUID
    backup_server_id: UUID  # the server whose pool holds it: the tenant's own

    @property
    def name(self) -> str:
        """EM names an address by itself (`198.51.100.16`)."""
        return self.ip_address


class JobType(enum.Enum):
    """`JobType` of a Job, as EM names the jobs of a backup server (mock-em's jobs back up or
    replicate VMs; copy jobs are not modelled)."""

    Backup = "Backup"
    Replica = "Replica"


class SessionState(enum.Enum):
    """`State` of a job session, in the vendor's order (queries compare by it)."""

    Starting = "Starting"
    Stopping = "Stopping"
    Working = "Working"
    Pausing = "Pausing"
    Resuming = "Resuming"
    Stopped = "Stopped"


class SessionResult(enum.Enum):
    """`Result` of a job or task session: `None` while it runs."""

    Success = "Success"
    Warning = "Warning"  # it ended, with a VM that warned
    Failed = "Failed"  # a VM failed, or the run was stopped
    None_ = "None"  # still running


class TaskState(enum.Enum):
    """`State` of a task session (one VM of a run)."""

    Pending = "Pending"  # not begun (mock-em shows a task once it begins)
    InProgress = "InProgress"  # working on its VM: reads Success, as EM shows it
    Completed = "Completed"  # ended, with its result


class RunAction(enum.Enum):
    """What the control plane did to a job's runs (`RunEdit`)."""

    Fail = "Fail"  # the run at `at` (a scheduled start) fails
    Warn = "Warn"  # the run at `at` ends with a warning
    Start = "Start"  # a run started by hand at `at`
    Stop = "Stop"  # the run `session_id` stopped by hand at `at`


@dataclass(slots=True)
class RunEdit:
    """One control-plane edit of a job's runs, kept on the job so that its runs stay a pure
    function of the job (`mock_em.model.job_history`)."""

    action: RunAction
    at: datetime
    session_id: UUID | None = None


@dataclass(slots=True)
class JobSchedule:
    """When a job of a backup server runs, in UTC: daily at `hour:minute` or, with `every_hours`
    set (a divisor of 24), every so many hours at `minute` past the hours that fall in step with
    `hour`. `configured` is the vendor's `ScheduleConfigured` (a job without one runs only by hand),
    `enabled` its `ScheduleEnabled` (a disabled job keeps its schedule but never runs by it)."""

    configured: bool = True
    enabled: bool = True
    hour: int = 22
    minute: int = 0
    every_hours: int = 0


@dataclass(slots=True)
class Job:
    """A backup or replication job of a backup server (`Exchange Daily Backup`, `ABC DR Replica`).

    It protects VMs named as the server's inventory names them (`srvNN` or host names) and writes
    to one repository of its own server: removing the repository removes its jobs. `next_run` is
    the vendor's `NextRun`: the next scheduled start after the world's time, `None` for a job with
    no enabled schedule; `mock_em.model.job_runs` keeps it current as the clock moves.
    """

    id: UUID
    name: str
    backup_server_id: UUID
    repository_id: UUID
    job_type: JobType = JobType.Backup
    platform: Platform = Platform.VMware
    description: str = ""
    schedule: JobSchedule = field(default_factory=JobSchedule)
    vms: list[Vm] = field(default_factory=list)
    retention: int = 14  # restore points its backup keeps per VM
    run_edits: list[RunEdit] = field(default_factory=list)
    created: datetime | None = None  # when the control plane added it (None: it always existed): no run before
    failure_rate: float = 0.02  # the chance that a VM's task fails (demo mode raises it)
    deleted_points: list[UUID] = field(default_factory=list)  # restore points the control plane deleted
    next_run: datetime | None = field(default=None, compare=False)  # derived from the schedule: not state
    backup_bytes: int = field(default=0, compare=False)  # what its backup holds, as last applied to the repository


@dataclass(slots=True)
class JobRunRecord:
    """What a job session and a task session share: each is a record of one job's run (or of one
    VM in it), named with its start, shown at the world's time; derived from the job's schedule
    (`mock_em.model.job_sessions`), never stored in fixtures. Its kinds may be made positionally,
    in field order, as `job_sessions` makes the hundreds of thousands of a big world's, and their
    names are worked out when read, not kept (most of them are never shown)."""

    id: UUID
    job_id: UUID
    backup_server_id: UUID
    job_name: str
    creation_time: datetime
    end_time: datetime | None  # None while it runs
    result: SessionResult


@dataclass(slots=True)
class BackupJobSession(JobRunRecord):
    """A run of a backup job (`Exchange Daily Backup@2026-03-02 22:00:14`). `restore_point_id` is
    the restore point the run left, if any VM succeeded."""

    job_type: JobType
    state: SessionState
    progress: int  # 0 to 100, 100 once it has ended
    is_retry: bool  # an automatic retry of a run with failed VMs
    restore_point_id: UUID | None = None
    fine_name: bool = False  # its name shows the fraction of a second (13; `model.instants`)

    @property
    def name(self) -> str:
        """`job@yyyy-MM-dd HH:mm:ss`, the run's start in UTC (em-api-monitoring.md §2.2), with
        `.ffffff` in 13."""
        return f"{self.job_name}@{stamp(self.creation_time, self.fine_name)}"


@dataclass(slots=True)
class ReplicaJobSession(BackupJobSession):
    """A run of a replication job: a backup job session's fields, its own kind and routes."""


@dataclass(slots=True)
class BackupTaskSession(JobRunRecord):
    """One VM's task in a backup job session (`exch01@2026-03-02 22:00:41`). `point_id` is the VM
    restore point it left (None while running or when it failed); `vm_uid` the VM as its host
    names it, as its VM restore points' `HierarchyObjRef` does (EM 12 and later show it as
    `VmUid`)."""

    session_id: UUID
    vm_name: str
    vm_display_name: str
    state: TaskState
    reason: str
    total_size: int
    point_id: UUID | None = None
    vm_uid: str = ""
    fine_name: bool = False  # its name shows the fraction of a second (13; `model.instants`)
    # what the point it left adds: a backup's bytes on the repository, a replica's on its DR host
    # (shown by no entity; the summary report of a recorded world counts them: `report_recorded`)
    point_bytes: int = 0

    @property
    def name(self) -> str:
        """`vm@yyyy-MM-dd HH:mm:ss`, the task's start in UTC (em-api-monitoring.md §2.2), with
        `.ffffff` in 13."""
        return f"{self.vm_display_name}@{stamp(self.creation_time, self.fine_name)}"


@dataclass(slots=True)
class ReplicaTaskSession(BackupTaskSession):
    """One VM's task in a replica job session."""


@dataclass(slots=True, kw_only=True)
class Backup:
    """A backup job's backup on its repository (named as the job), holding the job's restore
    points; derived from the job (`mock_em.model.catalogue`), never stored in fixtures."""

    id: UUID
    name: str
    backup_server_id: UUID
    job_id: UUID
    repository_id: UUID
    platform: Platform


@dataclass(slots=True, kw_only=True)
class RestorePoint:
    """What one backup job run left in its backup (`Mar  2 2026 10:00PM`): kept while any of its
    VM restore points is kept by the job's retention."""

    id: UUID
    name: str
    backup_server_id: UUID
    backup_id: UUID
    backup_date: datetime
    backup_file_id: UUID | None = None  # the file that holds it (`BackupFile`)


@dataclass(slots=True)
class VmRestorePoint:
    """One VM's point in a restore point (`exch01@2026-03-02 22:00:41`): a synthetic full on
    Sundays, else an increment; `hierarchy_obj_ref` is the VM as its host names it. Its name is
    worked out when read, not kept: a world may hold a million points, most never shown (and,
    for the same reason, the catalogue makes them positionally, the fastest way)."""

    id: UUID
    backup_server_id: UUID
    restore_point_id: UUID
    creation_time: datetime
    vm_name: str
    vm_display_name: str
    full: bool
    hierarchy_obj_ref: str
    backup_file_id: UUID | None = None  # the file that holds it (`BackupFile`)
    fine_name: bool = False  # its name shows the fraction of a second (13; `model.instants`)

    @property
    def name(self) -> str:
        """`vm@yyyy-MM-dd HH:mm:ss`, the time the VM's task began, in UTC (the vendor's example:
        `sql01-hv@2013-08-24 05:03:25`), with `.ffffff` in 13."""
        return f"{self.vm_name}@{stamp(self.creation_time, self.fine_name)}"

    @property
    def algorithm(self) -> str:
        """How the point was made: Sunday's synthetic full, else an incremental run."""
        return "SyntheticFull" if self.full else "Incremental"

    @property
    def point_type(self) -> str:
        """What the point's file is: a full or an increment."""
        return "Full" if self.full else "Increment"


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupFile:
    """One file of a backup job's backup on its repository (`Exchange Daily BackupD2026-03-01T220000.vbk`):
    the file a job run wrote, holding its restore point. Sunday's synthetic full is a `vbk`, the
    other runs' increments `vib` (the vendor's `FileType`); `backup_size` is what it takes on the
    repository, `data_size` the source data read into it. Derived with the catalogue
    (`mock_em.model.backup_files`), never stored in fixtures."""

    id: UUID
    name: str
    backup_server_id: UUID
    backup_id: UUID
    restore_point_id: UUID
    file_path: str
    backup_size: int
    data_size: int
    deduplication_ratio: float
    compress_ratio: float
    creation_time: datetime
    file_type: str
