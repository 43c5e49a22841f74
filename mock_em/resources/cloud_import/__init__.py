"""What the Cloud Connect families' readers share: the backup server an entity's `Up` link names,
enum members, and what an entity shows that the model keeps elsewhere (`Notes`).

An account that may not read backup servers (a tenant's own logon) still sees objects whose links
name one where the source writes them: the first object naming a server the source did not list
makes a stand-in for it (id from the link's `Href`, name from its `Name`), with a warning, so that
the world it makes is whole. What needs every kind read is `cloud_import.completion`'s.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass, field
from uuid import UUID

from mock_em.importer.entity import Entity, Reading, Unreadable, guid_in
from mock_em.model.entities import BackupServer


@dataclass
class Notes:
    """What the Cloud Connect readers learnt that no model object holds, for the completion:
    servers made as stand-ins, a failover plan's `TenantName` and the order of its VMs, a tenant's
    `VmCount` and its compute resources' stats, a Hyper-V plan's host as a tenant's
    network appliance names it (`Cloud Appliance ABC Company(hv08)`)."""

    stand_in_servers: set[UUID] = field(default_factory=set)
    tenant_names: dict[UUID, str] = field(default_factory=dict)
    plan_hosts: dict[UUID, str] = field(default_factory=dict)
    vm_counts: dict[UUID, int] = field(default_factory=dict)  # a tenant's `VmCount`, by its id
    plan_order: dict[str, tuple[int, int]] = field(default_factory=dict)  # a VM's place in the plans read
    compute_stats: dict[UUID, tuple[int, int, list[int]]] = field(default_factory=dict)  # as shown, by id


NOTES = "CloudConnect"


def notes(reading: Reading) -> Notes:
    """The reading's notes (made on first use: a `Reading` is the import's, not the families')."""
    held = reading.notes.get(NOTES)
    if held is None:
        held = reading.notes[NOTES] = Notes()
    return held


def servers_read(reading: Reading) -> bool:
    """Whether the source listed its backup servers (an account that may read them)."""
    return any(i not in notes(reading).stand_in_servers for i in reading.of("BackupServer"))


def stand_in_server(reading: Reading, server_id: UUID, name: str = "") -> None:
    """A backup server the source names but does not list (its account may not read servers):
    known by its id and, where a link names it, its name."""
    if server_id in reading.of("BackupServer"):
        return
    notes(reading).stand_in_servers.add(server_id)
    server = BackupServer(server_id, name or str(server_id), "")
    reading.found.setdefault("BackupServer", {})[server_id] = server
    reading.warn(f"backup servers: {server.name!r} stands in for a server the source named but did not list")


def server_of(entity: Entity, reading: Reading) -> UUID | None:
    """The backup server an entity's `Up` link names (a stand-in where the source listed none);
    None where it shows no such link (an account that may not read servers sees none)."""
    link = entity.link("BackupServerReference", "Up")
    if link is None:
        return None
    server_id = guid_in(link.get("Href"))
    if server_id is not None and not servers_read(reading):
        stand_in_server(reading, server_id, link.get("Name") or "")
    return server_id


def named_server(reading: Reading, server_id: UUID | None) -> UUID | None:
    """A server a member names by its UID only (a public IP address's `BackupServerUid`): a
    stand-in where the source listed none."""
    if server_id is not None and not servers_read(reading):
        stand_in_server(reading, server_id)
    return server_id


def number(entity: Entity, key: str, default: int | None = None) -> int:
    """A whole-number member (`default` where it is absent), Unreadable for one that is not."""
    value = entity.get(key, default)
    if value is None:
        raise Unreadable(f"the entity {entity.name!r} lacks {key}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Unreadable(f"{key} {value!r} is not a whole number") from None


_ALPHABET = string.ascii_letters + string.digits


def tenant_password(tenant_id: UUID) -> str:
    """The password an imported tenant logs on with. EM never shows one, so it is derived from the
    tenant's id: 16 letters and digits of the SHA-256 of `tenant-password:<id>` (the id in its
    lower-case text form), the same for every import of the same tenant."""
    digest = hashlib.sha256(f"tenant-password:{tenant_id}".encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:16])
