"""What the catalogue families' tests share (backups, restore points, VM restore points): who
reads them, and the wire's view of one object's links as a given role sees them."""

from __future__ import annotations

from conftest import EmClient
from xmlutil import body, links, logon

from mock_em.resources.family import Family
from resources.family_checks import check_path_case, check_readers, check_tenants_see_their_own


def check_catalogue_readers(client: EmClient, family: Family) -> None:
    """Portal administrators, portal users and Restore Operators read the catalogue; tenants get
    a 403 (it is the provider's); its paths answer in any case."""
    check_readers(client, family, forbidden=set())
    check_tenants_see_their_own(client, family, readable=False)
    check_path_case(client, family)


def restore_operator_links(client: EmClient, family: Family) -> list[tuple[str, str | None]]:
    """One object's entity links as a Restore Operator sees them (Rel, Type)."""
    some_id = next(iter(client.em.world.all(family.name)))
    token, _ = logon(client, "ro", "pw")
    entity = body(client.get_as(token, f"/api{family.path}/{some_id}?format=Entity"), 200, family.name)
    return [(li.Rel, li.Type) for li in links(entity)]
