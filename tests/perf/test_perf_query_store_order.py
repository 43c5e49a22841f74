"""A sort by a field the model keeps its store in order of (`Field.store_order`: the catalogue's
points and files by time, the sessions by start), and the Name of a VM restore point, answered
without reading the whole column, gives exactly the pages of a full stable sort: the same items
in the same order, ties in store order both ways, with the same totals, for every page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mock_em.generator import WorldSize, generate_world
from mock_em.model import query as query_module
from mock_em.model.access import ADMIN
from mock_em.model.instants import WHOLE_SECONDS, Instants
from mock_em.model.job_sessions import refresh_jobs
from mock_em.model.query import QUERY_TYPES, QueryCache, run_query
from mock_em.model.world import World

NOW = datetime(2026, 1, 5, 23, 10, tzinfo=UTC)  # by night: runs are going on


@pytest.fixture(scope="module", params=[WHOLE_SECONDS, Instants(digits=6, fine_names=True)], ids=["9.5u4", "13"])
def world(request: pytest.FixtureRequest) -> World:
    """A world of jobs, as 9.5 U4 shows it (whole seconds, ties in the jobs' order) and as 13
    does (every time to the microsecond, names with it)."""
    made = generate_world(2, WorldSize(backup_servers=2, tenants=0, jobs_per_server=6), NOW)
    made.instants = request.param
    refresh_jobs(made, NOW, taken_over=True)
    refresh_jobs(made, NOW + timedelta(hours=3))  # and run on: the stores rebuilt as the clock runs
    return made


def sorts() -> list[tuple[str, str]]:
    """(type, field): every store-ordered field, and every field of VmRestorePoint."""
    found = [(t.name, f.name) for t in QUERY_TYPES.values() for f in t.fields.values() if f.store_order]
    found += [("VmRestorePoint", f.name) for f in QUERY_TYPES["vmrestorepoint"].fields.values()]
    return list(dict.fromkeys(found))


def _page(world: World, type_name: str, cache: QueryCache | None, page: int, size: int, **query: str):
    found = run_query(world, ADMIN, type_name, page=str(page), page_size=str(size), cache=cache, **query)
    return [o.id for o in found.items], found.pages_count, found.total


@pytest.mark.parametrize(("type_name", "field"), sorts())
@pytest.mark.parametrize("direction", ["sort_asc", "sort_desc"])
def test_pages_equal_a_full_stable_sort(world: World, type_name: str, field: str, direction: str, monkeypatch) -> None:
    objects = list(world.all(type_name).values())
    assert len(objects) > 40, type_name
    column = list(QUERY_TYPES[type_name.casefold()].field(field, purpose="sort by").column(world, objects))
    order = sorted(range(len(objects)), key=column.__getitem__, reverse=direction == "sort_desc")
    for size in (1, 7, 100):
        pages = -(-len(objects) // size)
        numbers = sorted({1, 2, 3, pages // 2 or 1, pages, pages + 1})
        expected = [([objects[i].id for i in order[(n - 1) * size : n * size]], pages, len(objects)) for n in numbers]
        query = {direction: field}
        assert [_page(world, type_name, QueryCache(), n, size, **query) for n in numbers] == expected, (size, query)
        assert [_page(world, type_name, None, n, size, **query) for n in numbers] == expected, (size, query)
        monkeypatch.setattr(query_module, "_HEAD_MAX", 0)  # past the window: the whole order, kept
        assert [_page(world, type_name, QueryCache(), n, size, **query) for n in numbers] == expected, (size, query)
        monkeypatch.undo()


def test_descending_ties_come_in_store_order(world: World) -> None:
    """Restore points of jobs started in the same second tie on CreationTime as 9.5 U4 shows them:
    newest first, the tie's points keep the store's order, as a stable sort leaves them. Shown to
    the microsecond (13), the same runs no longer tie, and the order is the times' alone."""
    points = list(world.all("RestorePoint").values())
    times = [p.backup_date for p in points]
    if world.instants.digits:
        assert len(set(times)) == len(times)
    else:
        assert len(set(times)) < len(times)  # the world has ties to check
    found = run_query(world, ADMIN, "RestorePoint", sort_desc="CreationTime", page_size=str(len(points)))
    expected = sorted(points, key=lambda p: p.backup_date, reverse=True)
    assert [p.id for p in found.items] == [p.id for p in expected]
