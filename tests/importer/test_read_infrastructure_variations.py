"""The infrastructure readers on what another Enterprise Manager may send: members left out,
times in another zone, schedules mock-em does not model, values it does not know. A reader
gives the documented default (and a warning where it guessed), or leaves the object out
(`Unreadable`), never crashes. (What the readers make of mock-em's own wire, served again, is
`test_read_infrastructure.py`'s.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from mock_em.importer.build import build_world
from mock_em.importer.entity import Entity, Reading, Unreadable
from mock_em.model.agents import AgentStatus
from mock_em.model.entities import UNKNOWN_SIZE, JobType, Platform, RepositoryKind
from mock_em.model.inventory import HostType
from mock_em.releases import profile
from mock_em.resources import discovered_computers, hierarchy_roots, jobs, repositories

SERVER = "a6cecc1b-78e5-4061-b311-d8a3c2ce6f44"
UP = {"Rel": "Up", "Href": f"https://em:9398/api/backupServers/{SERVER}", "Type": "BackupServerReference"}
JOB = "43ed5fe3-66a4-4deb-92fb-55422ecc9901"


def job_entity(**members: Any) -> Entity:
    """A job's entity as the vendor's example shows one, with `members` changed."""
    data: dict[str, Any] = {
        "JobType": "Backup", "Platform": "HyperV", "Description": "Backup of MS SQL Server DB",
        "ScheduleConfigured": True, "ScheduleEnabled": True, "NextRun": "2026-12-09T23:30:00Z",
        "JobScheduleOptions": {
            "OptionsDaily": {"Kind": "Everyday", "Time": "23:30:00", "TimeOffsetUtc": 0, "Enabled": True},
            "OptionsPeriodically": {"Kind": "Hours", "FullPeriod": 1, "Enabled": False},
        },
        "Name": "DB Backup", "UID": f"urn:veeam:Job:{JOB}", "Links": [UP],
    }  # fmt: skip
    data.update(members)
    return Entity(data)


def reading() -> Reading:
    return Reading(profile("12"))


def test_a_daily_job_is_read_with_its_time_in_utc() -> None:
    options = {"OptionsDaily": {"Time": "01:30:00", "TimeOffsetUtc": 7200, "Enabled": True}}
    job = jobs.reads(job_entity(JobScheduleOptions=options), reading())
    assert (job.schedule.hour, job.schedule.minute, job.schedule.every_hours) == (23, 30, 0)
    assert job.id == UUID(JOB) and job.backup_server_id == UUID(SERVER)
    assert (job.job_type, job.platform) == (JobType.Backup, Platform.HyperV)
    assert job.next_run == datetime(2026, 12, 9, 23, 30, tzinfo=UTC)


def test_an_offset_written_as_a_time_span_counts_too() -> None:
    options = {"OptionsDaily": {"Time": "08:00:00", "TimeOffsetUtc": "-05:00:00", "Enabled": True}}
    job = jobs.reads(job_entity(JobScheduleOptions=options), reading())
    assert (job.schedule.hour, job.schedule.minute) == (13, 0)


def test_a_periodic_job_runs_every_so_many_hours_in_step_with_its_time() -> None:
    options = {
        "OptionsDaily": {"Time": "05:30:00", "Enabled": False},
        "OptionsPeriodically": {"Kind": "Hours", "FullPeriod": 4, "Enabled": True},
    }
    job = jobs.reads(job_entity(JobScheduleOptions=options), reading())
    assert (job.schedule.hour, job.schedule.minute, job.schedule.every_hours) == (1, 30, 4)


def test_a_period_that_does_not_divide_the_day_is_read_as_daily_with_a_warning() -> None:
    options = {"OptionsDaily": {"Time": "05:00:00"}, "OptionsPeriodically": {"FullPeriod": 5, "Enabled": True}}
    read = reading()
    job = jobs.reads(job_entity(JobScheduleOptions=options), read)
    assert job.schedule.every_hours == 0
    assert any("every 5 hours" in warning for warning in read.warnings)


def test_a_job_without_schedule_options_keeps_the_default_time_and_no_next_run() -> None:
    entity = job_entity(ScheduleConfigured=False, ScheduleEnabled=None, NextRun=None, JobScheduleOptions=None)
    job = jobs.reads(entity, reading())
    assert (job.schedule.configured, job.schedule.enabled) == (False, False)
    assert (job.schedule.hour, job.schedule.minute) == (22, 0)
    assert job.next_run is None


@pytest.mark.parametrize(
    "members",
    [{"Links": []}, {"JobType": "BackupCopy"}, {"Platform": None}, {"UID": None, "Href": None}],
    ids=["no server", "a type mock-em does not model", "no platform", "no id"],
)
def test_a_job_mock_em_cannot_model_is_left_out(members: dict[str, Any]) -> None:
    with pytest.raises(Unreadable):
        jobs.reads(job_entity(**members), reading())


def repository(**members: Any) -> Entity:
    data = {"Name": "Backup Repository 1", "UID": f"urn:veeam:Repository:{JOB}", "Links": [UP]}
    data.update(members)
    return Entity(data)


def test_a_repository_without_kind_is_a_windows_one() -> None:
    read = repositories.reads(repository(Capacity=100, FreeSpace=40), reading())
    assert (read.kind, read.capacity, read.free_space) == (RepositoryKind.WindowsLocal, 100, 40)


@pytest.mark.parametrize("sizes", [(0, 0), (100, None), (None, None)])
def test_a_repository_whose_storage_reports_no_size_is_unknown(sizes: tuple[Any, Any]) -> None:
    read = reading()
    found = repositories.reads(repository(Capacity=sizes[0], FreeSpace=sizes[1], Kind="Nfs"), read)
    assert (found.capacity, found.free_space, found.kind) == (UNKNOWN_SIZE, UNKNOWN_SIZE, RepositoryKind.Nfs)
    assert read.warnings or sizes == (None, None)


def test_a_root_of_an_unknown_host_type_is_left_out_and_a_known_one_read() -> None:
    root = {"Name": "vc01", "UID": f"urn:veeam:HierarchyRoot:{JOB}", "UniqueId": "x", "Links": [UP]}
    with pytest.raises(Unreadable):
        hierarchy_roots.reads(Entity({**root, "HostType": "Nutanix"}), reading())
    assert hierarchy_roots.reads(Entity({**root, "HostType": "ESXi"}), reading()).host_type is HostType.ESXi


def test_a_computer_without_agent_members_reads_them_empty() -> None:
    group = {
        "Rel": "Up",
        "Href": f"https://em/api/agents/protectionGroups/{SERVER}",
        "Type": "AgentProtectionGroupReference",
    }
    data = {"Name": "ws01", "UID": f"urn:veeam:DiscoveredComputer:{JOB}", "Links": [UP, group],
            "HostStatus": "Offline", "AgentStatus": "NotInstalled"}  # fmt: skip
    computer = discovered_computers.reads(Entity(data), reading())
    assert (computer.agent_version, computer.os_version, computer.ip_address) == ("", "", "")
    assert computer.agent_status is AgentStatus.NotInstalled and computer.protection_group_id == UUID(SERVER)
    with pytest.raises(Unreadable):
        discovered_computers.reads(Entity({**data, "Links": [UP]}), reading())


def test_a_job_whose_server_was_not_read_is_left_out_of_the_world_with_a_warning() -> None:
    """Through the builder: a job and a repository naming a backup server the source did not show
    go, each kind with one warning, and the world stays whole."""
    world, warnings = build_world({"Job": [job_entity()], "Repository": [repository(Capacity=5, FreeSpace=1)]}, "12")
    assert not world.all("Job") and not world.all("Repository")
    assert any(w.startswith("jobs:") for w in warnings) and any(w.startswith("repositories:") for w in warnings)


def test_a_roots_lookup_is_asked_by_its_uid_and_its_vms_kept_in_order() -> None:
    root = Entity({"Name": "vc01", "UID": f"urn:veeam:HierarchyRoot:{JOB}", "HostType": "VC", "Links": [UP]})
    assert hierarchy_roots.lookup_url(root) == f"/api/lookup?host=urn:veeam:HierarchyRoot:{JOB}&name=*&type=Vm"
    assert hierarchy_roots.lookup_url(Entity({"Name": "vc01"})) is None
    assert hierarchy_roots.with_lookup(root, {"Message": "busy"}) is root
    items = [{"ObjectName": "b", "ObjectType": "Vm"}, {"ObjectName": "x", "ObjectType": "Host"},
             {"ObjectName": "a", "ObjectType": "VM"}]  # fmt: skip
    read = reading()
    hierarchy_roots.reads(hierarchy_roots.with_lookup(root, {"HierarchyItems": items}), read)
    assert read.notes[hierarchy_roots.LOOKUP_VMS] == {UUID(JOB): ["b", "a"]}
