"""The virtual infrastructure lookup (`GET /api/lookup`): the objects on a hierarchy root by name
and type, or one object by its reference, as restore clients find a VM's `HierarchyObjRef`.

The vendor's two forms ("Lookup Query"):

* `?host=<root UID>&name=<name>&type=<type>`: the objects of that type and name on the root.
  `name` matches case-insensitively and `*` stands for any text (EM's own `/lookupSvc` links send
  `name=\\*`, which means the same); `type` is one of the vendor's object types for the root's
  platform, in any case. The objects mock-em knows on a root are the VMs of the backup server's
  jobs of the root's platform that live there (`mock_em.model.inventory`), so `Vm` finds them and
  every other type of the platform finds none.
* `?hierarchyRef=<reference>` (veeam-em spells it `hierachyRef`): the object of that reference,
  if it is on a root of the world.

A host that is no root of the world finds nothing (an empty list), as does a reference to
nothing; a missing or malformed parameter is a `LookupQueryError` (400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

from mock_em.model.entities import Job
from mock_em.model.inventory import LOOKUP_TYPES, ROOT_KIND, ROOT_URN, URN_PLATFORMS, HierarchyRoot, roots_of, vm_ref
from mock_em.model.world import World

JOB_KIND = "Job"
VM_TYPE = "Vm"  # how the vendor's answers spell a VM's ObjectType
REF = re.compile(r"urn:(?P<platform>[A-Za-z]+):(?P<type>[A-Za-z]+):(?P<root>[0-9A-Fa-f-]{36})\.(?P<object>.+)")


class LookupQueryError(ValueError):
    """A lookup EM refuses with a 400 and this message."""


@dataclass(frozen=True, slots=True)
class HierarchyItem:
    """One object found: its reference, type and name (`HierarchyItemType`)."""

    object_ref: str
    object_type: str
    object_name: str


def roots(world: World) -> list[HierarchyRoot]:
    """The roots a lookup may name, in store order (the lookup service links each)."""
    return list(world.all(ROOT_KIND).values())


def root_id_of(host: str) -> UUID:
    """A root's id from `host`: its UID (`urn:veeam:HierarchyRoot:<guid>`, the prefix in any case)
    or the bare GUID."""
    text = host.strip()
    if text.casefold().startswith(ROOT_URN.casefold()):
        text = text[len(ROOT_URN) :]
    try:
        return UUID(text)
    except ValueError:
        raise LookupQueryError(f"Invalid host '{host}': expected a hierarchy root UID ({ROOT_URN}<id>)") from None


def name_matcher(name: str) -> re.Pattern[str]:
    """`name` as a case-insensitive pattern in which `*` (or `\\*`) stands for any text."""
    parts = name.replace("\\*", "*").split("*")
    return re.compile(".*".join(re.escape(p) for p in parts), re.IGNORECASE | re.DOTALL)


def vms_on(world: World, root: HierarchyRoot) -> list[HierarchyItem]:
    """The VMs that live on a root: each VM of its backup server's jobs of its platform, once, in
    the jobs' order, named as their restore points name them."""
    index = roots_of(world)
    if index.get((root.backup_server_id, root.platform)) != root.id:
        return []
    found: dict[str, HierarchyItem] = {}
    job: Job
    for job in world.all(JOB_KIND).values():
        if job.backup_server_id != root.backup_server_id or job.platform is not root.platform:
            continue
        for vm in job.vms:
            if vm.name not in found:
                ref = vm_ref(job.backup_server_id, job.platform, vm.name, index)
                found[vm.name] = HierarchyItem(ref, VM_TYPE, vm.name)
    return list(found.values())


def lookup_on_host(world: World, host: str | None, name: str | None, object_type: str | None) -> list[HierarchyItem]:
    """The objects of `object_type` named `name` on the root `host`."""
    missing = [p for p, v in (("host", host), ("name", name), ("type", object_type)) if not v]
    if missing:
        raise LookupQueryError(f"Missing query parameter(s): {', '.join(missing)} (or give hierarchyRef)")
    assert host is not None and name is not None and object_type is not None
    root = world.all(ROOT_KIND).get(root_id_of(host))
    known = {t.casefold() for types in LOOKUP_TYPES.values() for t in types}
    if object_type.casefold() not in known:
        raise LookupQueryError(f"Unknown object type '{object_type}'")
    if root is None:
        return []
    if object_type.casefold() not in {t.casefold() for t in LOOKUP_TYPES[root.platform]}:
        raise LookupQueryError(f"Object type '{object_type}' is not one of a {root.platform.value} host's")
    if object_type.casefold() != VM_TYPE.casefold():
        return []
    matches = name_matcher(name).fullmatch
    return [item for item in vms_on(world, root) if matches(item.object_name)]


def lookup_ref(world: World, reference: str) -> list[HierarchyItem]:
    """The object a hierarchy reference names, where it is on a root of the world."""
    parsed = REF.fullmatch(reference.strip())
    try:
        if parsed is None or parsed["platform"].casefold() not in URN_PLATFORMS:
            raise ValueError(reference)
        root_id = UUID(parsed["root"])
    except ValueError:
        raise LookupQueryError(
            f"Invalid hierarchyRef '{reference}': expected urn:<Platform>:<Type>:<HierarchyRootId>.<ObjectRef>"
        ) from None
    root = world.all(ROOT_KIND).get(root_id)
    if root is None or parsed["type"].casefold() != VM_TYPE.casefold():
        return []
    wanted = reference.strip().casefold()
    return [item for item in vms_on(world, root) if item.object_ref.casefold() == wanted]
