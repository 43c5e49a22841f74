"""The infrastructure families' readers (jobs, repositories, managed servers, hierarchy roots,
protection groups, discovered computers): serve a world (A), import it, serve what the import
made (B) at the same instant; every answer B gives for these families is A's, in XML and JSON:
lists, items, sub-collections, the query service, the lookup service and the lookups on every
root. The kinds no family reads yet are taken from A (`infrastructure.imported_with_borrowed`);
B derives the sessions and the catalogue from the jobs read, so their answers check what the
readers recovered of what a job's entity does not show (its VMs, their order, its retention)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import SEED_FIXTURE, EmClient, make_client
from infrastructure import JSON, answers, imported_with_borrowed, serving

from mock_em.model.clock import Clock
from mock_em.model.entities import JobType
from mock_em.registry import families
from mock_em.resources.backup_servers import JOBS, REPOSITORIES
from mock_em.settings import Settings

OURS = ("Job", "Repository", "ManagedServer", "HierarchyRoot", "AgentProtectionGroup", "DiscoveredComputer")
DERIVED_SHOWN = ("BackupJobSession", "ReplicaJobSession", "BackupTaskSession", "ReplicaTaskSession",
                 "Backup", "RestorePoint", "VmRestorePoint", "BackupFile")  # fmt: skip
AT = datetime(2026, 12, 9, tzinfo=UTC)
WORLDS = {
    "default": {},
    "seed5": {"seed": 5},
    "seed2": {"seed": 2},  # two disabled jobs, on two roots: their VMs are only in the lookups
    "seed19": {"seed": 19},  # two disabled jobs one after the other on a root
    "sample": {"fixture": str(SEED_FIXTURE)},
}
# 13 spells its JSON in camelCase, which the tests' crawl (`served.entities_of`) does not read: a
# 13 world is read through 12's wire (the same world, rendered alike but for spelling and times'
# digits) and served as 13, so B's 13 answers check what 13 renders of what was read.
RELEASES = ("9.5u4", "10", "12", "13")
READ_THROUGH = {"13": "12"}


@pytest.fixture(scope="module")
def pairs() -> Iterator[Callable[[str, str], tuple[EmClient, EmClient, list[str]]]]:
    """Factory: (world, release) → (A, B, the import's warnings), made once per module."""
    made: dict[tuple[str, str], tuple[EmClient, EmClient, list[str]]] = {}

    def pair(world: str, release: str) -> tuple[EmClient, EmClient, list[str]]:
        if (world, release) not in made:
            a = make_client(Settings(release=release, **WORLDS[world]), Clock(AT, frozen=True))
            read = READ_THROUGH.get(release)
            source = a if read is None else make_client(Settings(release=read, **WORLDS[world]), Clock(AT, frozen=True))
            imported, warnings, _ = imported_with_borrowed(source)
            if source is not a:
                source.close()
            made[(world, release)] = (a, serving(imported, a), warnings)
        return made[(world, release)]

    yield pair
    for a, b, _ in made.values():
        a.close()
        b.close()


def family_urls(a: EmClient) -> list[str]:
    """Every URL of the infrastructure families the release serves: lists, items and their
    sub-collections (reference and entity forms), each backup server's jobs and repositories,
    and the query service's pages of each type."""
    release = a.app.state.settings.release  # type: ignore[attr-defined]
    world = a.em.world
    urls: list[str] = []
    for family in families(release):
        if family.kind.name not in OURS:
            continue
        base = f"/api{family.path}"
        urls += [base, f"{base}?format=Entity"]
        for obj_id in world.all(family.kind.name):
            urls += [f"{base}/{obj_id}", f"{base}/{obj_id}?format=Entity"]
            for sub in family.subs:
                urls += [f"{base}/{obj_id}/{sub.segment}", f"{base}/{obj_id}/{sub.segment}?format=Entity"]
        for form in ("Entities", "References"):
            urls.append(f"/api/query?type={family.kind.name}&format={form}&pageSize=1000")
            urls.append(f"/api/query?type={family.kind.name}&format={form}&pageSize=2&page=2&sortDesc=Name")
    for server_id in world.backup_servers:
        for sub in (JOBS, REPOSITORIES):
            urls += [
                f"/api/backupServers/{server_id}/{sub.segment}",
                f"/api/backupServers/{server_id}/{sub.segment}?format=Entity",
            ]
    return urls


def lookup_urls(a: EmClient) -> list[str]:
    """The lookup service, every root's VMs and each VM by its reference."""
    token = a.logon()
    urls = ["/api/lookupSvc"]
    for root_id in a.em.world.all("HierarchyRoot"):
        on_root = f"/api/lookup?host=urn:veeam:HierarchyRoot:{root_id}&name=*&type=Vm"
        urls.append(on_root)
        found = a.get_as(token, on_root, headers=JSON).json()
        for item in found.get("HierarchyItems") or found.get("hierarchyItems") or ():  # 13: camelCase
            urls.append(f"/api/lookup?hierarchyRef={item.get('ObjectRef') or item['objectRef']}")
    return urls


def derived_urls(a: EmClient) -> list[str]:
    """The derived families' lists and query pages, which B works out from the jobs it read."""
    release = a.app.state.settings.release  # type: ignore[attr-defined]
    urls = []
    for family in families(release):
        if family.kind.name in DERIVED_SHOWN:
            urls += [f"/api{family.path}?format=Entity"]
            urls.append(f"/api/query?type={family.kind.name}&format=Entities&pageSize=1000")
    return urls


def differing(a: EmClient, b: EmClient, urls: list[str]) -> list[str]:
    """The answers B gives otherwise than A, by form and URL."""
    mine, theirs = answers(a, urls), answers(b, urls)
    return [url for url in mine if mine[url] != theirs[url]]


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("world", WORLDS)
def test_the_families_answers_are_the_sources(pairs: Any, world: str, release: str) -> None:
    a, b, warnings = pairs(world, release)
    assert warnings == []
    urls = family_urls(a)
    assert len(urls) > 40
    assert differing(a, b, urls) == []


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("world", WORLDS)
def test_the_lookups_on_every_root_are_the_sources(pairs: Any, world: str, release: str) -> None:
    a, b, _ = pairs(world, release)
    urls = lookup_urls(a)
    assert any("hierarchyRef" in url for url in urls)
    assert differing(a, b, urls) == []


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("world", WORLDS)
def test_sessions_and_catalogue_worked_out_from_the_jobs_read_are_the_sources(
    pairs: Any, world: str, release: str
) -> None:
    a, b, _ = pairs(world, release)
    assert differing(a, b, derived_urls(a)) == []


@pytest.mark.parametrize("world", ["default", "seed2"])
def test_what_a_job_shows_is_read_back_exactly(pairs: Any, world: str) -> None:
    a, b, _ = pairs(world, "12")
    for job_id, job in a.em.world.all("Job").items():
        read = b.em.world.all("Job")[job_id]
        assert (read.name, read.backup_server_id, read.job_type, read.platform, read.description) == (
            job.name, job.backup_server_id, job.job_type, job.platform, job.description,
        )  # fmt: skip
        assert read.schedule == job.schedule
        assert read.next_run == job.next_run
        assert read.vms == job.vms  # by the tasks and points, in the job's order, else the lookup
        if job.job_type is JobType.Backup:
            assert read.repository_id == job.repository_id  # its backup's repository


def test_a_backup_jobs_retention_is_one_that_keeps_the_same_points(pairs: Any) -> None:
    """Retention is not shown: the smallest that keeps each VM's points as shown is read, at most
    the source's (and the catalogue B works out is A's: the test above)."""
    a, b, _ = pairs("default", "12")
    for job_id, job in a.em.world.all("Job").items():
        read = b.em.world.all("Job")[job_id]
        if job.job_type is JobType.Backup:
            assert 1 <= read.retention <= job.retention
        else:
            assert read.retention == 14  # nothing shows it: the model's default


def test_jobs_that_never_ran_one_after_the_other_share_the_lookups_vms(pairs: Any) -> None:
    """The lookup lists a root's VMs in the jobs' order: two jobs in a row that show no VMs
    otherwise cannot be told apart, so the first takes them all (and the lookup is the same)."""
    a, b, _ = pairs("seed19", "12")
    source, read = a.em.world.all("Job"), b.em.world.all("Job")
    idle = [job for job in source.values() if not job.schedule.enabled]
    assert len(idle) == 2
    first, second = (read[job.id] for job in idle)
    assert [vm.name for vm in first.vms] == [vm.name for job in idle for vm in job.vms]
    assert second.vms == []


def test_the_repositories_free_space_is_taken_as_current(pairs: Any) -> None:
    a, b, _ = pairs("default", "12")
    shown = {r.id: (r.capacity, r.free_space) for r in a.em.world.all("Repository").values()}
    assert {r.id: (r.capacity, r.free_space) for r in b.em.world.all("Repository").values()} == shown


def test_95_serves_no_agents_so_none_are_imported(pairs: Any) -> None:
    a, b, _ = pairs("default", "9.5u4")
    assert a.em.world.all("AgentProtectionGroup")  # the source holds them, its wire does not show them
    assert not b.em.world.all("AgentProtectionGroup")
    assert not b.em.world.all("DiscoveredComputer")
