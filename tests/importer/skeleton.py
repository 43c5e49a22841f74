"""Comparing an EM with its anonymized import: answers whose names differ but whose skeleton
(keys, list lengths, types), numbers, states and times do not; and the original names (atoms)
of a world, to be looked for in what the anonymized copy says.

An anonymized import replaces every name, address and GUID, so its answers cannot be compared
byte for byte with the source's. They are compared leaf by leaf instead: a number, a boolean, a
null, or a string that holds no original name must be the same; a string that holds names (a
VM's, `srv39@2015-12-25 20:00:47`) must keep everything around the names (the time, here), with
GUIDs as GUIDs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from mock_em import registry
from mock_em.model.world import World

GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
GUID_ANY = re.compile(rf"(?<![0-9A-Fa-f]){GUID}(?![0-9A-Fa-f])")
CONTACT = re.compile(r"Contact: ([^,]+), (.+)$")
EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
HOST_SECTIONS = ("BackupServers", "ManagedServers", "CloudGateways", "HierarchyRoots", "DiscoveredComputers")
NAMED_SECTIONS = ("CloudTenants", "Jobs", "CloudReplicas", "CloudFailoverPlans")
VM_LISTS = ("Jobs", "CloudReplicas")
THUMBPRINT = re.compile(r"[0-9A-F]{40}")  # a certificate's SHA-1, as Windows writes it
SHORTEST_CHECKED = 4  # atoms looked for in the anonymized copy (see `atoms_of`)


def strings(node: Any) -> Iterator[str]:
    """Every string in a JSON document."""
    if isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, str):
        yield node


def _host(name: str) -> set[str]:
    """A host's name whole, its first label and its domain (`vbr01.scott.net`: `vbr01`,
    `scott.net`), but no bare top-level domain, and an address whole."""
    if not name or name[0].isdigit():
        return {name}
    labels = name.split(".")
    found = {name, labels[0]}
    if len(labels) > 2:
        found.add(".".join(labels[1:]))
    return found


def atoms_of(data: dict[str, Any]) -> set[str]:
    """Every value of a world's fixture that says whose it is, found from the fixture's own keys
    (not from the anonymizer's rules): tenants' names, user names and passwords, the contacts and
    e-mail addresses in descriptions, job, replica and failover plan names, VM names and display
    names (in jobs, replicas, failover plans and points), the hosts (backup servers, managed
    servers, hierarchy roots, gateways, discovered computers, hardware plans' hosts: whole, first
    label and domain), gateways' and public and discovered addresses, and every GUID."""
    found: set[str] = set()
    for tenant in data.get("CloudTenants", []):
        found |= {tenant["Username"], tenant["Password"]}
        contact = CONTACT.search(tenant.get("Description") or "")
        if contact:
            found |= set(contact.groups())
    for section in NAMED_SECTIONS:
        found |= {item["Name"] for item in data.get(section, [])}
    for section in VM_LISTS:
        found |= {vm[key] for job in data.get(section, []) for vm in job["Vms"] for key in ("Name", "DisplayName")}
    found |= {vm["Name"] for plan in data.get("CloudFailoverPlans", []) for vm in plan["Includes"]}
    for point in data.get("CloudVmReplicaPoints", []):
        found |= {point["VmName"], point["VmDisplayName"]}
    hosts = {item["Name"] for section in HOST_SECTIONS for item in data.get(section, [])}
    hosts |= {plan["ParentName"] for plan in data.get("CloudHardwarePlans", []) if plan.get("ParentName")}
    for item in data.get("CloudGateways", []):
        hosts.add(item["ExternalIP"])
    for section in ("CloudPublicIpAddresses", "DiscoveredComputers"):
        hosts |= {item["IpAddress"] for item in data.get(section, []) if item.get("IpAddress")}
    for host in hosts:
        found |= _host(host)
    for text in strings(data):
        found |= {match.group(0).lower() for match in GUID_ANY.finditer(text)}
        found |= {match.group(0) for match in EMAIL.finditer(text)}
    return {atom for atom in found if atom}


def token_pattern(atoms: Iterable[str]) -> re.Pattern[str] | None:
    """Any of `atoms` as a whole token (no letter or digit right before or after it, but for the
    date the vendor glues to a job's name in a backup file's: `DB BackupD2026-11-22T170020.vbk`),
    in any case, longest first."""
    ordered = sorted({atom.lower() for atom in atoms}, key=len, reverse=True)
    if not ordered:
        return None
    body = "|".join(re.escape(atom) for atom in ordered)
    ends = r"(?:(?![A-Za-z0-9])|(?=D\d{4}-\d\d-\d\dT))"
    return re.compile(rf"(?<![A-Za-z0-9])(?:{body}){ends}", re.IGNORECASE)


def leaks(pattern: re.Pattern[str] | None, text: str) -> set[str]:
    """The atoms the pattern finds in `text`."""
    return set() if pattern is None else {match.group(0).lower() for match in pattern.finditer(text)}


class Skeleton:
    """Compares a source's JSON answers with its anonymized copy's, leaf by leaf (the module's
    docstring), with one pattern of the source's atoms; the GUIDs of the source must map to the
    copy's one to one across every answer compared."""

    def __init__(self, atoms: Iterable[str]) -> None:
        names = {atom for atom in atoms if not GUID_ANY.fullmatch(atom)}
        named = token_pattern(names)
        names_body = f"|{named.pattern}" if named is not None else ""
        self.parts = re.compile(rf"({GUID_ANY.pattern}){names_body}", re.IGNORECASE)
        self.guids: dict[str, str] = {}
        self.back: dict[str, str] = {}
        self.found: list[str] = []

    def compare(self, a: Any, b: Any, where: str) -> None:
        """Note every way `b` is not `a` anonymized (in `found`)."""
        if type(a) is not type(b):
            self.found.append(f"{where}: {type(a).__name__} {a!r:.80} vs {type(b).__name__} {b!r:.80}")
        elif isinstance(a, dict):
            if list(a) != list(b):
                self.found.append(f"{where}: keys {list(a)} vs {list(b)}")
                return
            for key in a:
                self.compare(a[key], b[key], f"{where}.{key}")
        elif isinstance(a, list):
            if len(a) != len(b):
                self.found.append(f"{where}: {len(a)} items vs {len(b)}")
                return
            for i, (left, right) in enumerate(zip(a, b, strict=True)):
                self.compare(left, right, f"{where}[{i}]")
        elif isinstance(a, str):
            self._string(a, b, where)
        elif a != b:
            self.found.append(f"{where}: {a!r} vs {b!r}")

    def _string(self, a: str, b: str, where: str) -> None:
        """A certificate's thumbprint identifies its server as a GUID does: `b` must be another
        one, the same wherever `a` is. Otherwise `b` must be `a` with each GUID replaced by the
        one it maps to (a new one: the first time it is met) and each name by any text, and all
        else kept."""
        if THUMBPRINT.fullmatch(a):
            if not THUMBPRINT.fullmatch(b) or a == b or self.guids.setdefault(a, b) != b:
                self.found.append(f"{where}: thumbprint {a} vs {b}")
            return
        template, guids, at = [], [], 0
        for match in self.parts.finditer(a):
            template.append(re.escape(a[at : match.start()]))
            if match.group(1) is not None:
                guids.append(match.group(1).lower())
                template.append(f"({GUID})")
            else:
                template.append("(?:.+?)")
            at = match.end()
        template.append(re.escape(a[at:]))
        shape = re.fullmatch("".join(template), b, re.DOTALL)
        if shape is None:
            self.found.append(f"{where}: {a!r:.160} vs {b!r:.160}")
            return
        for original, new in zip(guids, shape.groups(), strict=True):
            new = new.lower()
            if self.guids.setdefault(original, new) != new or self.back.setdefault(new, original) != original:
                self.found.append(f"{where}: GUID {original} is {self.guids[original]} elsewhere, here {new}")


def sample(ids: list[Any], most: int) -> list[Any]:
    """At most `most` ids, evenly spread over the list (its first and last among them)."""
    if len(ids) <= most:
        return ids
    step = (len(ids) - 1) / (most - 1)
    return [ids[round(i * step)] for i in range(most)]


def broad_urls(world: World, release: str, items: int = 3) -> Iterator[str]:
    """A broad crawl: the services, every family's collection in both forms, `items` items of each
    kind (each form), their members, every query type in both formats, the summary report and its
    frames, and the lookup service for every hierarchy root."""
    yield from ("/api/", "/api/querySvc", "/api/lookupSvc")
    yield from (f"/api{path}" for path in registry.service_paths(release))
    for route in registry.routes(release):
        if route.shape == "list":
            yield from (f"/api{route.path}", f"/api{route.path}?format=Entity")
            continue
        for obj_id in sample(list(world.all(route.family.kind.name)), items):
            path = f"/api{route.path}".replace("{id}", str(obj_id))
            yield path
            if route.shape == "item":
                yield f"{path}?format=Entity"
    for family, listed, item in registry.release_member_routes(release):
        for obj_id in sample(list(world.all(family.kind.name)), items):
            obj = world.all(family.kind.name)[obj_id]
            yield f"/api{listed}".replace("{id}", str(obj_id))
            for member in family.members.of(obj):  # type: ignore[union-attr]
                yield f"/api{item}".replace("{id}", str(obj_id)).replace("{member_id}", str(member.id))
    for kind_name in sorted(registry.kind_names(release)):
        if registry.family(kind_name).kind.query is not None:
            yield f"/api/query?type={kind_name}&pageSize=1000000"
            yield f"/api/query?type={kind_name}&format=Entities&pageSize=1000000"
    for frame in ("", "/overview", "/vms_overview", "/job_statistics", "/processed_vms", "/repository"):
        yield f"/api/reports/summary{frame}"
    for root_id in world.all("HierarchyRoot"):
        yield f"/api/lookup?host=urn:veeam:HierarchyRoot:{root_id}&name=*&type=Vm"
