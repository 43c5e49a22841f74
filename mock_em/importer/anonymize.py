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
from collections import defaultdict
from collections.abc import Callable
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
ROLE_ORDER = ("tenant", "person", "user", "netbios", "domain", "host", "vm", "fqdn", "ip", "phone", "email")
# Which role a name found in several takes: the first in this order.
STRENGTH = {role: rank for rank, role in enumerate(
    ("tenant", "job", "vm", "host", "fqdn", "ip", "domain", "netbios", "email", "person", "phone", "user")
)}  # fmt: skip
SHORTEST_ATOM = 2  # one-letter names are replaced where they stand alone as a value, not inside text
SHORTEST_SECRET = 8


class _Found:
    """What the first pass found: atoms by role (first role wins), GUIDs, secrets, in order."""

    def __init__(self) -> None:
        self.atoms: dict[str, str] = {}
        self.guids: dict[str, None] = {}
        self.secrets: dict[str, None] = {}
        self.seen: defaultdict[str, set[str]] = defaultdict(set)  # the strings read, by rule: each once

    def add(self, role: str, atom: str) -> None:
        """Note an atom; a name found in two roles takes the one that says most of it (a tenant's
        name that is also its logon name is a company's, whichever key came first)."""
        if atom:
            known = self.atoms.get(atom)
            if known is None or STRENGTH[role] < STRENGTH[known]:
                self.atoms[atom] = role

    def string(self, value: str, rule: str) -> None:
        """Note what one string of a key with `rule` holds."""
        seen = self.seen[rule]
        if value in seen:
            return
        seen.add(value)
        if rule == SECRET:
            self.secrets.setdefault(value)
            return
        if len(value) == 36 and GUID_FULL.fullmatch(value):
            self.guids.setdefault(value.lower())
            return
        if "-" in value:
            for match in GUID_ANY.finditer(value):
                self.guids.setdefault(match.group(0).lower())
        if rule == TEXT:
            for role, atom in text_atoms(value):
                self.add(role, atom)
        elif rule == "host" or (rule == "vm" and "." in value):
            for role, atom in host_atoms(value):
                self.add(role, atom)
        elif rule == "account":
            for role, atom in account_atoms(value):
                self.add(role, atom)
        else:
            self.add(rule, value)


class _Place:
    """One place in a fixture: a section and the keys down to it (`CloudReplicas`, `Vms`, `Name`),
    with the rule of the strings there, its name in the report, the count of values replaced
    (shared by the section) and the places under it. Worked out once per place, not once per
    value: a big world has a million values in a few dozen places."""

    __slots__ = ("counts", "keys", "name", "path", "rule", "section")

    def __init__(self, section: str, path: tuple[str, ...] = (), counts: dict[str, int] | None = None) -> None:
        self.section, self.path = section, path
        self.rule = rule_of(section, path) if path else TEXT
        self.name = ".".join(path)
        self.counts: dict[str, int] = {} if counts is None else counts
        self.keys: dict[str, _Place] = {}

    def under(self, key: str) -> _Place:
        place = self.keys.get(key)
        if place is None:
            place = self.keys[key] = _Place(self.section, (*self.path, key), self.counts)
        return place


def _collect(value: Any, place: _Place, found: _Found) -> None:
    """The first pass over one value (a section, an object, a list)."""
    kind = type(value)
    if kind is dict:
        keys = place.keys
        for key, item in value.items():
            kind = type(item)
            if kind is str:
                if item:
                    rule = (keys.get(key) or place.under(key)).rule
                    if rule != KEEP and item not in found.seen[rule]:
                        found.string(item, rule)
            elif kind is dict or kind is list:
                _collect(item, keys.get(key) or place.under(key), found)
    elif kind is list:
        for item in value:
            if type(item) is str:
                if item and place.rule != KEEP:
                    found.string(item, place.rule)
            else:
                _collect(item, place, found)


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


def _known_hosts(found: _Found) -> None:
    """A DNS name found in text whose machine a key names too (`esx05` in a `Reason` and a
    hierarchy root's `Name`) is that machine and its domain, not a name of its own."""
    machines = {atom.lower() for atom, role in found.atoms.items() if role in ("host", "vm")}
    found.atoms = {
        atom: role
        for atom, role in found.atoms.items()
        if role != "fqdn" or atom.partition(".")[0].lower() not in machines
    }


def _stand_ins(found: _Found, seed: int) -> StandIns:
    """Every atom's and secret's stand-in, drawn role by role in the order found."""
    _known_hosts(found)
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
    """The third pass: each string through the one pattern of all atoms, each distinct string
    once (a big world repeats its VMs' names a hundred thousand times)."""

    def __init__(self, names: StandIns) -> None:
        self.names = names
        # A password long enough not to be a common word is replaced in text too (a tenant's
        # password copied into a description); a name that equals one keeps its name's stand-in.
        secrets = {s: new for s, new in names.secrets.items() if len(s) >= SHORTEST_SECRET}
        self.texts: dict[str, str] = {**secrets, **names.names}
        self.pattern = atom_pattern(a for a in self.texts if len(a) >= SHORTEST_ATOM)
        self.folded: dict[str, str] = {}  # a stand-in by its original in lower case: the first found
        for original, stand_in in self.texts.items():
            self.folded.setdefault(original.lower(), stand_in)
        self.done: dict[str, str] = {**self.texts, **names.guid_texts}

    def _replace(self, match: re.Match[str]) -> str:
        guid = match.group(1)
        if guid is not None:
            return self.names.guid(guid)
        found = match.group(0)
        stand_in = self.texts.get(found)
        if stand_in is not None:
            return stand_in
        stand_in = self.folded[found.lower()]  # the name in another case: the stand-in in that case
        return stand_in.upper() if found.isupper() else stand_in

    def string(self, value: str, rule: str) -> str:
        """The string's stand-in text (`walk` looks in `done` first, inline: it is the hot path)."""
        if rule == KEEP:
            return value
        if rule == SECRET:
            return self.names.secrets[value]
        new = self.done.get(value)
        if new is None:
            new = self.done[value] = self.pattern.sub(self._replace, value)
        return new

    def counted(self, value: str, rule: str, counts: dict[str, int], name: str) -> str:
        new = self.string(value, rule)
        if new != value:
            counts[name] = counts.get(name, 0) + 1
        return new

    def walk(self, value: Any, place: _Place) -> Any:
        kind = type(value)
        if kind is dict:
            keys, counts, out = place.keys, place.counts, {}
            for key, item in value.items():
                kind = type(item)
                if kind is str:
                    if item:
                        at = keys.get(key) or place.under(key)
                        rule = at.rule
                        if rule != KEEP:
                            new = self.done.get(item) if rule != SECRET else None
                            new = self.string(item, rule) if new is None else new
                            if new != item:
                                counts[at.name] = counts.get(at.name, 0) + 1
                            item = new
                elif kind is dict or kind is list:
                    item = self.walk(item, keys.get(key) or place.under(key))
                out[key] = item
            return out
        if kind is list:
            return [
                (self.counted(item, place.rule, place.counts, place.name) if item else item)
                if type(item) is str
                else self.walk(item, place)
                for item in value
            ]
        return value


def anonymize(data: dict[str, Any], seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fixture `data` with every name, address, account, contact, password and GUID replaced
    by its stand-in for `seed`, everything else kept; and a report of what was replaced, without
    any original value: `{"Seed": 7, "Totals": {"Values": n, "Names": {role: distinct originals},
    "Guids": n, "Secrets": n}, "Sections": {section: {key path ("Vms.Name"): values replaced}}}`."""
    found = _Found()
    scalars = {key: value for key, value in data.items() if not isinstance(value, list | dict)}
    places = {key: _Place(key) for key in data if key not in scalars}
    places[""] = _Place("")  # the top's own values (`Format`, `Release`, …), each under its key
    _collect(scalars, places[""], found)
    for key, place in places.items():
        if key:
            _collect(data[key], place, found)
    names = _stand_ins(found, seed)
    rewriter = _Rewriter(names)
    scalars = rewriter.walk(scalars, places[""])
    result = {key: scalars[key] if key in scalars else rewriter.walk(value, places[key]) for key, value in data.items()}
    counts = {key or "(top)": place.counts for key, place in places.items() if place.counts}
    roles: dict[str, int] = {}
    for role in found.atoms.values():
        roles[role] = roles.get(role, 0) + 1
    report = {
        "Seed": seed,
        "Totals": {
            "Values": sum(sum(keys.values()) for keys in counts.values()),
            "Names": dict(sorted(roles.items())),
            "Guids": len(found.guids),
            "Secrets": len(found.secrets),
        },
        "Sections": {section: dict(sorted(keys.items())) for section, keys in counts.items()},
    }
    return result, report
