"""The backups' family (`mock_em/resources/backups.py`) as the wire shows it: one backup per
backup job, named as the job, on its repository, with the restore points it holds."""

from __future__ import annotations

from uuid import uuid5

from conftest import EmClient
from xmlutil import API, Link, body, links, logon

from mock_em.model.entities import JobType
from mock_em.registry import family
from resources.catalogue_checks import check_catalogue_readers, restore_operator_links
from resources.family_checks import entity_of, own_fields, query_uids, uid

FAMILY = family("Backup")


def test_one_backup_per_backup_job_with_a_stable_id(roles: EmClient, seed: EmClient) -> None:
    """Each backup job has one backup, its id the job's (uuid5), its Name the job's name; a
    replication job has none."""
    for client in (roles, seed):
        world = client.em.world
        backups = world.all("Backup")
        jobs = [j for j in world.all("Job").values() if j.job_type is JobType.Backup]
        assert sorted(backups) == sorted(uuid5(j.id, "Backup") for j in jobs) and jobs
        for job in jobs:
            backup = backups[uuid5(job.id, "Backup")]
            assert (backup.name, backup.repository_id, backup.platform) == (job.name, job.repository_id, job.platform)


def test_entity_fields_and_links(roles: EmClient) -> None:
    """`Platform`; Up the repository, Up the backup server (the vendor's entity order),
    Alternate, Down its restore points, which list exactly the points of its job's runs. (9.5 U4:
    no `BackupType`, no link to the files; tests/resources/test_release_fields.py has v10's.)"""
    world = roles.em.world
    token, _ = logon(roles)
    for backup in world.all("Backup").values():
        entity = entity_of(roles, FAMILY, backup.id)
        assert own_fields(entity) == {"Platform": backup.platform.value}
        repository, server = (
            world.all("Repository")[backup.repository_id],
            world.backup_servers[backup.backup_server_id],
        )
        assert links(entity) == [
            Link("Up", "RepositoryReference", f"{API}/repositories/{repository.id}", repository.name),
            Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name),
            Link("Alternate", "BackupReference", f"{API}/backups/{backup.id}", backup.name),
            Link("Down", "RestorePointReferenceList", f"{API}/backups/{backup.id}/restorePoints"),
        ]
        listed = body(roles.get_as(token, f"/api/backups/{backup.id}/restorePoints"), 200, "EntityReferences")
        mine = [p for p in world.all("RestorePoint").values() if p.backup_id == backup.id]
        assert [r.get("UID") for r in listed] == [f"urn:veeam:RestorePoint:{p.id}" for p in mine]


def test_readers(roles: EmClient) -> None:
    """Restore Operators read backups, without the links to what they may not read."""
    check_catalogue_readers(roles, FAMILY)
    assert restore_operator_links(roles, FAMILY) == [
        ("Alternate", "BackupReference"),
        ("Down", "RestorePointReferenceList"),
    ]


def test_query_by_job_and_repository(roles: EmClient) -> None:
    """`JobName`, `RepositoryUid` and `BackupServerName` select what the backups say."""
    token, _ = logon(roles)
    backup = next(iter(roles.em.world.all("Backup").values()))
    found = query_uids(roles, token, FAMILY, filter=f'JobName=="{backup.name}"')
    assert found == [uid(FAMILY, backup.id)]
    on_repository = query_uids(
        roles, token, FAMILY, filter=f"RepositoryUid==urn:veeam:Repository:{backup.repository_id}"
    )
    mine = [b for b in roles.em.world.all("Backup").values() if b.repository_id == backup.repository_id]
    assert on_repository == [uid(FAMILY, b.id) for b in mine]
