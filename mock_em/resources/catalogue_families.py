"""What the catalogue's families share (`backups.py`, `restore_points.py`,
`vm_restore_points.py`, `backup_files.py`): each is derived from the backup jobs' kept points
(`mock_em.model.catalogue`) and not written to a generated world's fixture; each is made on a backup server and
belongs to a parent (a backup to its job and repository, a point to its backup or restore point);
Portal Administrators, Portal Users and Restore Operators read them; and the LogonSession links
each at its place in em12's order. A recorded world (`World.recorded`) keeps the catalogue its
source showed instead, and writes it to its fixture. See `docs/catalogue.md`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from mock_em.model.fixture_records import Codec, records
from mock_em.model.kinds import ON_SERVER, PORTAL_AND_RESTORE, ForeignKey, Kind
from mock_em.model.query_fields import QueryType
from mock_em.resources.family import Down, Family, LinkSet, SubCollection, Values, no_links

if TYPE_CHECKING:
    from mock_em.importer.entity import Completes, Reads


def catalogue_kind(
    model: type,
    noun: str,
    parents: tuple[ForeignKey, ...],
    query: Callable[[Kind], QueryType],
    query_order: int,
    keys: str,
    codecs: Mapping[str, Codec] | None = None,
) -> Kind:
    """A catalogue kind: on a backup server, under its `parents`, read by the restore roles too;
    its fixture section (`keys`) is written for a recorded world alone (`FixtureSection.recorded`):
    a generated world derives its catalogue."""
    return Kind(
        model,
        noun=noun,
        keys=(ON_SERVER, *parents),
        readers=PORTAL_AND_RESTORE,
        fixture=records(keys, codecs=codecs, recorded=True),
        query=query,
        query_order=query_order,
    )


def catalogue_family(
    kind: Kind,
    path: str,
    values: Values,
    *,
    ups: LinkSet,
    position: int,
    downs: LinkSet = no_links,
    subs: tuple[SubCollection, ...] = (),
    fragments: bool = True,
    since_fields: Mapping[str, str] | None = None,
    since_links: Mapping[str, str] | None = None,
    reads: Reads | None = None,
    completes: Completes | None = None,
) -> Family:
    """A catalogue family, linked from the LogonSession at `position`; big lists keep their
    items' bytes (`fragments`) unless told otherwise; members and links that came with a later
    release as `Family` takes them."""
    return Family(kind, path, values, ups=ups, downs=downs, subs=subs, down=Down("LogonSession", position),
                  fragments=fragments, since_fields=since_fields or {}, since_links=since_links or {},
                  reads=reads, completes=completes)  # fmt: skip
