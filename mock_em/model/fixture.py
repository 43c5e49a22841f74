"""Worlds as JSON fixture files: what `mock-em generate` writes and `serve --fixture` reads.

Keys use the vendor's names (`CloudTenants`, `CreationTimeUTC`, `PointType`), so a fixture reads
like the API it feeds. Lists keep their order: it is the order the API lists objects in. Each
kind declares its section and its objects' JSON form (`Kind.section`); this module only frames
them, checks ids and references, and says where a file is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from mock_em.model.fixture_values import format_time, parse_time, typed
from mock_em.model.kinds import kinds
from mock_em.model.world import World

__all__ = ["FixtureError", "dump_world", "format_time", "load_world", "parse_time", "world_from_dict", "world_to_dict"]

FORMAT = "mock-em/world"
FORMAT_VERSION = 1


class FixtureError(ValueError):
    """A fixture file that cannot become a world; the message says where and why."""


def world_to_dict(world: World, seed: int | None = None) -> dict[str, Any]:
    """The world as plain JSON data, in store order. A recorded world (`World.recorded`) says so
    (`"Recorded": true`, and the `"Release"` its source ran where known) and writes what a
    generated world derives from its jobs' schedules: the sessions, the catalogue and each job's
    `NextRun` (`FixtureSection.recorded`); a generated world's file has none of it."""
    data: dict[str, Any] = {"Format": FORMAT, "FormatVersion": FORMAT_VERSION, "Seed": seed}
    recorded = world.recorded
    if recorded:
        data["Recorded"] = True
    if world.release is not None:
        data["Release"] = world.release
    for kind in kinds().values():
        section = kind.section
        if section is None or (section.recorded and not recorded):
            continue
        dump = section.dump_recorded if recorded else section.dump
        data[section.name] = [dump(o) for o in world.all(kind.name).values()]
    return data


def world_from_dict(data: Any) -> World:
    """Rebuild a world from `world_to_dict` data; FixtureError says what is wrong and where."""
    if not isinstance(data, dict) or data.get("Format") != FORMAT:
        raise FixtureError(f'not a mock-em world: expected an object with "Format": "{FORMAT}"')
    if data.get("FormatVersion") != FORMAT_VERSION:
        raise FixtureError(
            f"unsupported FormatVersion {data.get('FormatVersion')!r}; this mock-em reads {FORMAT_VERSION}"
        )
    sections: list[list[Any]] = []
    where = ""
    try:
        for kind in kinds().values():
            section = kind.section
            where = section.name if section is not None else kind.name
            sections.append([section.load(item) for item in data.get(section.name, [])] if section else [])
        where = "references"
        for kind, items in zip(kinds().values(), sections, strict=True):
            seen: set[UUID] = set()
            for item in items:
                if item.id in seen:
                    name = kind.section.name if kind.section else kind.name
                    raise FixtureError(f"{name}: the id {item.id} appears more than once")
                seen.add(item.id)
        world = World.of(*sections)
        where = "Recorded"
        world.recorded = typed(data.get("Recorded", False), bool, "true or false (Recorded)")
        release = data.get("Release")
        world.release = None if release is None else typed(release, str, "a string (Release)")
        return world
    except FixtureError:
        raise
    except KeyError as exc:
        raise FixtureError(f"{where}: an entry lacks the field {exc.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise FixtureError(f"{where}: {exc}") from None


def load_world(path: str | Path) -> tuple[World, int | None]:
    """Read a fixture file: the world and the seed it was generated from (None if hand-made)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"cannot read fixture {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise FixtureError(f"fixture {path} is not valid JSON: {exc}") from None
    seed = data.get("Seed") if isinstance(data, dict) else None
    return world_from_dict(data), seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def dump_world(world: World, path: str | Path, seed: int | None = None) -> None:
    """Write a fixture file that `load_world` reads back to the same world."""
    Path(path).write_text(json.dumps(world_to_dict(world, seed), indent=1) + "\n", encoding="utf-8")
