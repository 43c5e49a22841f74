"""The restore points' family (`mock_em/resources/restore_points.py`) as the wire shows it: one
per backup job run that left points, kept while any of its VM points is, named SQL-style; the
backup session that made it links to it while it is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import START, EmClient
from xmlutil import API, Link, body, links, logon

from mock_em.model.catalogue import sql_time
from mock_em.model.job_history import kept_tasks
from mock_em.registry import family
from resources.catalogue_checks import check_catalogue_readers, restore_operator_links
from resources.family_checks import entity_of, own_fields, query_uids, uid
from resources.session_checks import wire_time

FAMILY = family("RestorePoint")


def test_sql_style_names() -> None:
    """SQL Server's default datetime text, space-padded: `Jul  2 2019  1:50AM`, noon PM, midnight 12AM."""
    assert sql_time(datetime(2019, 7, 2, 1, 50, tzinfo=UTC)) == "Jul  2 2019  1:50AM"
    assert sql_time(datetime(2026, 3, 2, 22, 0, 14, tzinfo=UTC)) == "Mar  2 2026 10:00PM"
    assert sql_time(datetime(2026, 3, 12, 12, 5, tzinfo=UTC)) == "Mar 12 2026 12:05PM"
    assert sql_time(datetime(2026, 3, 12, 0, 5, tzinfo=UTC)) == "Mar 12 2026 12:05AM"


def test_one_point_per_run_that_left_kept_points(roles: EmClient, seed: EmClient) -> None:
    """The restore points are exactly the runs of the kept VM points, by time."""
    for client in (roles, seed):
        world = client.em.world
        runs = {run.restore_point_id: run for job in world.all("Job").values() for run, _ in kept_tasks(job, START)}
        points = list(world.all("RestorePoint").values())
        assert set(runs) == {p.id for p in points} and points
        assert [p.backup_date for p in points] == sorted(p.backup_date for p in points)
        for point in points:
            assert point.backup_date == runs[point.id].start and point.name == sql_time(point.backup_date)


def test_entity_fields_and_links(seed: EmClient) -> None:
    """`BackupDateUTC`; Up the backup server, Up the backup, Alternate, Down its VM points (in 9.5 U4
    not to its file: tests/resources/test_release_fields.py has v10's)."""
    world = seed.em.world
    token, _ = logon(seed)
    for point in world.all("RestorePoint").values():
        entity = entity_of(seed, FAMILY, point.id)
        assert own_fields(entity) == {"BackupDateUTC": wire_time(point.backup_date)}
        server, backup = world.backup_servers[point.backup_server_id], world.all("Backup")[point.backup_id]
        assert links(entity) == [
            Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name),
            Link("Up", "BackupReference", f"{API}/backups/{backup.id}", backup.name),
            Link("Alternate", "RestorePointReference", f"{API}/restorePoints/{point.id}", point.name),
            Link("Down", "VmRestorePointReferenceList", f"{API}/restorePoints/{point.id}/vmRestorePoints"),
        ]
        listed = body(seed.get_as(token, f"/api/restorePoints/{point.id}/vmRestorePoints"), 200, "EntityReferences")
        mine = [p for p in world.all("VmRestorePoint").values() if p.restore_point_id == point.id]
        assert [r.get("UID") for r in listed] == [f"urn:veeam:VmRestorePoint:{p.id}" for p in mine] and mine


def test_backup_sessions_link_the_kept_point(seed: EmClient) -> None:
    """A finished backup session whose point is kept links `Related` to it; the link resolves."""
    world = seed.em.world
    token, _ = logon(seed)
    linked = [s for s in world.all("BackupJobSession").values() if s.restore_point_id is not None]
    assert linked
    for session in linked:
        entity = body(seed.get_as(token, f"/api/backupSessions/{session.id}?format=Entity"), 200)
        related = [li for li in links(entity) if li.Rel == "Related"]
        point = world.all("RestorePoint")[session.restore_point_id]
        assert related == [Link("Related", "RestorePointReference", f"{API}/restorePoints/{point.id}", point.name)]
        assert seed.get_as(token, related[0].Href).status_code == 200
    assert all(s.restore_point_id is None for s in world.all("ReplicaJobSession").values())


def test_readers(roles: EmClient) -> None:
    """Restore Operators read restore points, Up to the backup but not to the server."""
    check_catalogue_readers(roles, FAMILY)
    assert restore_operator_links(roles, FAMILY) == [
        ("Up", "BackupReference"),
        ("Alternate", "RestorePointReference"),
        ("Down", "VmRestorePointReferenceList"),
    ]


def test_query_by_time_and_backup(roles: EmClient) -> None:
    """`CreationTime` and `BackupName` select what the points say."""
    token, _ = logon(roles)
    points = list(roles.em.world.all("RestorePoint").values())
    since = START - timedelta(days=3)
    found = query_uids(
        roles, token, FAMILY, filter=f'CreationTime>"{since:%Y-%m-%dT%H:%M:%S}Z"', sortAsc="CreationTime"
    )
    assert found == [uid(FAMILY, p.id) for p in points if p.backup_date > since] and found
    backup = roles.em.world.all("Backup")[points[0].backup_id]
    mine = query_uids(roles, token, FAMILY, filter=f'BackupName=="{backup.name}"')
    assert sorted(mine) == sorted(uid(FAMILY, p.id) for p in points if p.backup_id == backup.id)
