"""What the crawl read, made a world: each family's reader in the registry's order, then what
needs other kinds (`Family.completes`), then the objects whose references the source did not let
us read are left out, each kind with one warning, so a partial read is a smaller world, never a
broken one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from mock_em.importer.entity import Entity, Reading, Unreadable, made
from mock_em.model.kinds import Kind, kind_of, kinds
from mock_em.model.world import World
from mock_em.releases import ReleaseProfile, profile

DERIVED = ("Backup", "RestorePoint", "BackupFile", "VmRestorePoint",
           "BackupJobSession", "ReplicaJobSession", "BackupTaskSession", "ReplicaTaskSession")  # fmt: skip


def read_objects(entities: Mapping[str, Sequence[Entity]], release: ReleaseProfile) -> Reading:
    """Every entity made into model objects by its family's reader, in the registry's order, then
    completed (`complete`); the `Reading` holds them by kind and what had to be guessed."""
    reading = Reading(release)
    read_entities(entities, reading)
    complete(reading)
    return reading


def read_entities(entities: Mapping[str, Sequence[Entity]], reading: Reading) -> None:
    """Each family's reader over its entities, in the registry's order, into `reading.found`; an
    entity it cannot read is left out with a warning."""
    from mock_em.resources import FAMILIES  # the families sit above the importer's model side

    for family in FAMILIES:
        if family.reads is None:
            continue
        for entity in entities.get(family.kind.name, ()):
            try:
                objects = made(family.reads(entity, reading))
            except Unreadable as exc:
                reading.warn(f"{family.kind.plural}: one was left out: {exc}")
                continue
            for obj in objects:
                reading.found.setdefault(kind_of(obj).name, {})[obj.id] = obj


def complete(reading: Reading) -> None:
    """Each family's `completes`, once every entity is read: what needs other kinds."""
    from mock_em.resources import FAMILIES

    for family in FAMILIES:
        if family.completes is not None:
            family.completes(reading.found, reading)


def build_world(entities: Mapping[str, Sequence[Entity]], release: str) -> tuple[World, list[str]]:
    """The world of what was read from a source running `release`, and the warnings."""
    reading = read_objects(entities, profile(release))
    found = reading.found
    _drop_dangling(found, reading)
    world = World.of(*(found.get(name, {}).values() for name in kinds()))
    world.recorded = any(found.get(name) for name in DERIVED)
    world.release = release
    return world, reading.warnings


def _drop_dangling(found: dict[str, dict[UUID, Any]], reading: Reading) -> None:
    """Leave out objects naming one the source did not show (or let us read), in the kinds'
    order so that what goes takes what depends on it along; one warning per kind."""
    for kind in kinds().values():
        objects = found.get(kind.name)
        if not objects:
            continue
        for held in kind.holds:  # a held item naming what is missing goes; its holder stays
            targets = found.get(held.target, {})
            for obj in objects.values():
                items = getattr(obj, held.items)
                items[:] = [item for item in items if getattr(item, held.attr) in targets]
        gone = [obj_id for obj_id, obj in objects.items() if _dangles(kind, obj, found)]
        for obj_id in gone:
            del objects[obj_id]
        if gone:
            reading.warn(f"{kind.plural}: {len(gone)} left out, naming objects the source did not show")


def _dangles(kind: Kind, obj: Any, found: dict[str, dict[UUID, Any]]) -> bool:
    for key in kind.keys:
        target = getattr(obj, key.attr)
        if target not in found.get(key.target, {}):
            return True
    return False


__all__ = ["DERIVED", "build_world", "complete", "kind_of", "read_entities", "read_objects"]
