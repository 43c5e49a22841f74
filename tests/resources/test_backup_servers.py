"""The backup servers' family (`mock_em/resources/backup_servers.py`) as the wire shows it."""

from __future__ import annotations

from conftest import EmClient
from xmlutil import API, Link, links, logon, parse

from mock_em.model.entities import Role
from mock_em.registry import family
from resources.family_checks import (
    check_fixture_round_trip,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
    own_fields,
)

FAMILY = family("BackupServer")


def test_entity_fields_are_the_model_objects(seed_client: EmClient) -> None:
    """Description, Port and Version are the server's; its first link is Alternate, as EM's."""
    for server in seed_client.em.world.backup_servers.values():
        entity = entity_of(seed_client, FAMILY, server.id)
        assert entity.get("Name") == server.name
        assert own_fields(entity) == {
            "Description": server.description,
            "Port": str(server.port),
            "Version": server.version,
        }
        # No Up link: the vendor's entity (backupservers_id) and real servers (em-api-monitoring.md
        # §3) start with Alternate, and exporters label a server by `Links[0].Name`.
        assert links(entity)[0] == Link(
            "Alternate", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name
        )


def test_linked_from_the_logon_session_in_reference_form(seed_client: EmClient) -> None:
    """The LogonSession links Down to the reference list (and not to the entity list)."""
    response = seed_client.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd"))
    found = [li for li in links(parse(response)) if li.Href and "/backupServers" in li.Href]
    assert found == [Link("Down", "BackupServerReferenceList", f"{API}/backupServers")]


def test_restore_operators_may_not_read_them(seed: EmClient) -> None:
    """Portal Administrators and Users read backup servers; Restore Operators get 403."""
    check_readers(seed, FAMILY, forbidden={Role.RestoreOperator})


def test_tenants_may_not_read_them(seed: EmClient) -> None:
    """A Cloud Connect tenant gets 403: backup servers are the provider's configuration."""
    check_tenants_see_their_own(seed, FAMILY, readable=False)
    token, _ = logon(seed)
    assert seed.get_as(token, "/api/backupServers").status_code == 200


def test_fixture_section_round_trips(seed_client: EmClient) -> None:
    """`BackupServers` in a fixture: each server as JSON and back."""
    assert FAMILY.kind.section is not None and FAMILY.kind.section.name == "BackupServers"
    check_fixture_round_trip(seed_client, FAMILY)
