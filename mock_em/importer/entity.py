"""One object as a source Enterprise Manager showed it, and what a family's reader is given.

A family's `reads` (`mock_em.resources.family.Family`) is the inverse of its `values`: from the
entity form the source sent (JSON, its keys in the vendor's PascalCase whatever the release's
notation) it makes the model object, or several where the entity nests others (a tenant's
resources). Ids come from the entity's `UID` (`urn:veeam:Job:<guid>`), the objects it belongs to
from its links (`Up` to a `BackupServerReference`) or from members that name them (`JobUid`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

from mock_em.model.world import World
from mock_em.releases import ReleaseProfile

E = TypeVar("E", bound=Enum)
Found = dict[str, dict[UUID, Any]]  # the objects read so far, by kind name, each kind in the source's order


class Unreadable(ValueError):
    """An entity a reader cannot make an object of; the message says which member and why."""


def guid_in(text: str | None) -> UUID | None:
    """The GUID a `UID` (`urn:veeam:Job:<guid>`) or an `Href` (`…/jobs/<guid>?format=Entity`)
    ends with; None for no text."""
    if not text:
        return None
    tail = text.split("?", 1)[0].rstrip("/")
    tail = tail.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    try:
        return UUID(tail)
    except ValueError:
        raise Unreadable(f"{text!r} does not end with a GUID") from None


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity as the source sent it: its members by PascalCase name."""

    data: dict[str, Any]

    @property
    def id(self) -> UUID:
        """Its id: from `UID`, else its `Id` member (a tenant's resource), else its `Href`."""
        for key in ("UID", "Id", "Href"):
            found = guid_in(self.data.get(key))
            if found is not None:
                return found
        raise Unreadable("the entity has no UID, Id or Href")

    @property
    def name(self) -> str:
        """Its `Name` ("" where it has none)."""
        return self.data.get("Name") or ""

    def get(self, key: str, default: Any = None) -> Any:
        """A member, `default` where it is absent or null."""
        value = self.data.get(key)
        return default if value is None else value

    def __getitem__(self, key: str) -> Any:
        """A member that must be there (Unreadable otherwise)."""
        value = self.data.get(key)
        if value is None:
            raise Unreadable(f"the entity {self.data.get('UID') or self.name!r} lacks {key}")
        return value

    def nested(self, *path: str) -> Entity:
        """A nested object (`nested("CloudFailoverPlanOptions")`); an empty one where absent."""
        value: Any = self.data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return Entity(value if isinstance(value, dict) else {})

    def items(self, *path: str) -> list[Entity]:
        """The objects of a nested list (`items("Resources", "CloudTenantResources")`)."""
        value: Any = self.data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return [Entity(v) for v in value or () if isinstance(v, dict)]

    def member(self, key: str, enum: type[E], default: E | None = None) -> E:
        """The enumeration member a member names by its vendor value (`"JobType": "Backup"`);
        `default` where it is absent; Unreadable for a value the model does not know."""
        value = self.data.get(key)
        if value is None and default is not None:
            return default
        try:
            return enum(value)
        except ValueError:
            known = ", ".join(m.value for m in enum)
            raise Unreadable(f"{self.name!r}: {key} {value!r} is not one of {known}") from None

    def up(self, type_name: str) -> UUID:
        """The id its Up link of this `Type` leads to (`BackupServerReference`: the backup server
        an object is on); Unreadable without one."""
        found = self.link_id(type_name, "Up")
        if found is None:
            raise Unreadable(f"{self.name!r} has no Up link of type {type_name}")
        return found

    def time(self, key: str) -> datetime | None:
        """A time member (`2026-12-01T05:00:17.659559Z`) as an aware UTC datetime; None if absent."""
        value = self.data.get(key)
        if not value:
            return None
        try:
            return datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise Unreadable(f"{key} {value!r} is not a time") from None

    def uid(self, key: str) -> UUID | None:
        """The id a member naming another object holds (`JobUid`, `RepositoryUid`)."""
        return guid_in(self.data.get(key))

    @property
    def links(self) -> list[dict[str, Any]]:
        """Its links (`Rel`, `Href`, `Name`, `Type`)."""
        return [link for link in self.data.get("Links") or () if isinstance(link, dict)]

    def link(self, type_name: str, rel: str | None = None) -> dict[str, Any] | None:
        """Its first link of this `Type` (and `Rel`, if given)."""
        for link in self.links:
            if link.get("Type") == type_name and (rel is None or link.get("Rel") == rel):
                return link
        return None

    def link_id(self, type_name: str, rel: str | None = None) -> UUID | None:
        """The id its first link of this `Type` (and `Rel`) leads to (`BackupServerReference`)."""
        link = self.link(type_name, rel)
        return None if link is None else guid_in(link.get("Href"))


@dataclass
class Reading:
    """What a reader is given beside the entity: the objects the families before it made, the
    source's release, and where to say what it had to guess."""

    release: ReleaseProfile
    found: Found = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # what readers learn that no model object holds, for a `completes` (a root's VMs as its lookup
    # lists them, a tenant's `VmCount`), by a name of the family's choosing
    notes: dict[str, Any] = field(default_factory=dict)

    def of(self, kind: str) -> dict[UUID, Any]:
        """The objects of a kind read so far (none if the source had none)."""
        return self.found.get(kind, {})

    def warn(self, message: str) -> None:
        """Note something the fixture could not take as the source had it."""
        self.warnings.append(message)


Reads = Callable[[Entity, Reading], Any | Iterable[Any]]  # an entity to its object (or objects)
Completes = Callable[[Found, Reading], None]  # once every family is read: what needs other kinds


def made(result: Any) -> list[Any]:
    """What a reader returned, as a list of objects."""
    if result is None:
        return []
    if isinstance(result, list | tuple):
        return list(result)
    return [result]


__all__ = ["Completes", "Entity", "Found", "Reading", "Reads", "Unreadable", "World", "guid_in", "made"]
