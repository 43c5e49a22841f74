"""`mock-em import --anonymize --seed N`: a fixture whose names, addresses and GUIDs are replaced,
consistently, by realistic stand-ins, and everything else kept exactly.

A provider shares an imported fixture to reproduce what its EM shows; the fixture must not say
whose it is. Times, sizes, states, counts and the structure (lists, their order, which object
names which) are what the reproduction needs, so they are kept byte for byte; names are not, so
each original name (an "atom": a tenant's, a job's, a VM's, a host's, an address, an account, a
contact) gets one stand-in (`anonymize_names`) put everywhere the original occurs: as a value of
its own and inside other text (`srv39@2015-12-25 20:00:47`, `ABC Company Servers Replication`,
a file path under its job's folder, `Processing srv39 Error: …`). GUIDs are remapped the same way,
in ids, references and inside strings (`urn:veeam:Job:<guid>`). Tenants' passwords are replaced.

It works in three passes over the data: find every atom (known keys give names of a role,
`anonymize_rules`; any other text is searched for shapes such as addresses and contacts,
`anonymize_text`), draw the stand-ins in the order found (deterministic for a seed), then rewrite
every string with one pattern of all atoms. The report counts, by section and key, the values it
replaced, and holds no original value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from mock_em.importer.anonymize_names import StandIns
from mock_em.importer.anonymize_rules import KEEP, SECRET, TEXT, rule_of
from mock_em.importer.anonymize_text import (
    GUID_ANY,
    GUID_FULL,
    account_atoms,
    atom_pattern,
    containment_pattern,
    host_atoms,
    text_atoms,
    trie_pattern,
)

__all__ = ["anonymize"]

# The order roles are drawn in: a job's stand-in is built on its tenant's, an e-mail address's on
# its domain's.
ROLE_ORDER = ("tenant", "person", "user", "netbios", "domain", "host", "vm", "ip", "phone", "email")
SHORTEST_ATOM = 2  # one-letter names are replaced where they stand alone as a value, not inside text


class _Found:
    """What the first pass found: atoms by role (first role wins), GUIDs, secrets, in order."""

    def __init__(self) -> None:
        self.atoms: dict[str, str] = {}
        self.guids: dict[str, None] = {}
        self.secrets: dict[str, None] = {}
        self.texts: set[str] = set()

    def add(self, role: str, atom: str) -> None:
        if atom:
            self.atoms.setdefault(atom, role)


@lru_cache(maxsize=4096)
def _rule(section: str, path: tuple[str, ...]) -> str:
    return rule_of(section, path)


def _collect(value: Any, section: str, path: tuple[str, ...], found: _Found) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _collect(item, section, (*path, key), found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, section, path, found)
    elif isinstance(value, str) and value and path:
        rule = _rule(section, path)
        if rule == KEEP:
            return
        if rule == SECRET:
            found.secrets.setdefault(value)
            return
        if len(value) == 36 and GUID_FULL.fullmatch(value):
            found.guids.setdefault(value.lower())
            return
        for match in GUID_ANY.finditer(value):
            found.guids.setdefault(match.group(0).lower())
        if rule == TEXT:
            if value not in found.texts:
                found.texts.add(value)
                for role, atom in text_atoms(value):
                    found.add(role, atom)
        elif rule == "host" or (rule == "vm" and "." in value):
            for role, atom in host_atoms(value):
                found.add(role, atom)
        elif rule == "account":
            for role, atom in account_atoms(value):
                found.add(role, atom)
        else:
            found.add(rule, value)


def _leading(atoms: dict[str, str], names: StandIns) -> Callable[[str], tuple[str, str] | None]:
    """For a job's name: the stand-in of the known name it starts with, and the rest of it."""
    others = [a for a, role in atoms.items() if role != "job" and len(a) >= SHORTEST_ATOM]
    trie = trie_pattern(others)
    if not trie:
        return lambda name: None
    start = re.compile(rf"(?:{trie})(?![A-Za-z0-9])")

    def leading(name: str) -> tuple[str, str] | None:
        match = start.match(name)
        if match is None or match.end() == len(name):
            return None
        return names.names[match.group(0)], name[match.end() :]

    return leading


def _stand_ins(found: _Found, seed: int) -> StandIns:
    """Every atom's and secret's stand-in, drawn role by role in the order found."""
    originals = set(found.atoms) | set(found.secrets)
    names = StandIns(seed, originals | set(found.guids))
    names.leaks = containment_pattern(a for a in originals if len(a) >= SHORTEST_ATOM)
    names.note_ips(a for a, role in found.atoms.items() if role == "ip")
    for wanted in ROLE_ORDER:
        for atom, role in found.atoms.items():
            if role == wanted:
                names.name(role, atom)
    leading = _leading(found.atoms, names)
    for atom, role in found.atoms.items():
        if role == "job":
            names.job(atom, leading)
    for secret in found.secrets:
        names.secret(secret)
    for guid in found.guids:
        names.guid(guid)
    return names


class _Rewriter:
    """The third pass: each string through the one pattern of all atoms, each once (memoized:
    a big world repeats its VMs' names a hundred thousand times)."""

    def __init__(self, names: StandIns) -> None:
        self.names = names
        atoms = [a for a in names.names if len(a) >= SHORTEST_ATOM]
        self.pattern = atom_pattern(atoms)
        self.done: dict[str, str] = {}
        self.counts: dict[str, dict[str, int]] = {}

    def _replace(self, match: re.Match[str]) -> str:
        guid = match.group(1)
        if guid is not None:
            return self.names.guid(guid)
        return self.names.names[match.group(0)]

    def text(self, value: str) -> str:
        done = self.done.get(value)
        if done is None:
            whole = self.names.names.get(value)
            done = self.done[value] = whole if whole is not None else self.pattern.sub(self._replace, value)
        return done

    def walk(self, value: Any, section: str, path: tuple[str, ...]) -> Any:
        if isinstance(value, dict):
            return {key: self.walk(item, section, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.walk(item, section, path) for item in value]
        if not isinstance(value, str) or not value or not path:
            return value
        rule = _rule(section, path)
        if rule == KEEP:
            return value
        if rule == SECRET:
            new = self.names.secret(value)
        elif len(value) == 36 and GUID_FULL.fullmatch(value):
            new = self.names.guid(value)
        else:
            new = self.text(value)
        if new != value:
            counts = self.counts.setdefault(section or "(top)", {})
            key = ".".join(path)
            counts[key] = counts.get(key, 0) + 1
        return new


def anonymize(data: dict[str, Any], seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fixture `data` with every name, address, account, contact, password and GUID replaced
    by its stand-in for `seed`, everything else kept; and a report of what was replaced, by
    section and key, without any original value."""
    found = _Found()
    for key, value in data.items():
        section = key if isinstance(value, list | dict) else ""
        _collect(value, section, () if section else (key,), found)
    names = _stand_ins(found, seed)
    rewriter = _Rewriter(names)
    result: dict[str, Any] = {}
    for key, value in data.items():
        section = key if isinstance(value, list | dict) else ""
        result[key] = rewriter.walk(value, section, () if section else (key,))
    roles: dict[str, int] = {}
    for role in found.atoms.values():
        roles[role] = roles.get(role, 0) + 1
    report = {
        "Seed": seed,
        "Totals": {
            "Values": sum(sum(keys.values()) for keys in rewriter.counts.values()),
            "Names": dict(sorted(roles.items())),
            "Guids": len(found.guids),
            "Secrets": len(found.secrets),
        },
        "Sections": {section: dict(sorted(keys.items())) for section, keys in rewriter.counts.items()},
    }
    return result, report
