"""The crawl: every family the source serves, read in entity form, in the order the source lists.

A family with a query type is read through the query service
(`/api/query?type={kind}&format=Entities&pageSize=N`), following the `Next` links of its
`PagingInfo`; one without is read from its collection (`{path}?format=Entity`). A family the
source does not let us read (403: the account's role; 404 or 400: a release that lacks the
type) is recorded absent with one warning; the world is then built without it. The families are
read side by side, as many at once as the client's concurrency allows; each family's pages one
after the other, since each page names the next.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from mock_em.importer.client import Answer, Source, SourceError
from mock_em.importer.entity import Entity
from mock_em.releases import ReleaseProfile, has_arrived

if TYPE_CHECKING:
    from mock_em.resources.family import Family

ABSENT_STATUSES = frozenset({400, 403, 404})
MAX_PAGES = 1_000_000  # a paging chain longer than this loops


class Watcher(Protocol):
    """What follows the crawl (the terminal's progress line)."""

    def family_read(self, name: str, objects: int, page: int, pages: int | None) -> None: ...


@dataclass
class Crawled:
    """What a crawl read: entities by kind name (in the source's order), the families the source
    did not let us read, and warnings."""

    entities: dict[str, list[Entity]] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)  # kind name -> why
    warnings: list[str] = field(default_factory=list)
    vms_overview: dict[str, Any] | None = None  # the source's report frame (None: not read)

    @property
    def objects(self) -> int:
        """How many entities were read."""
        return sum(len(items) for items in self.entities.values())


def importable(release: ReleaseProfile, families: Iterable[Family] | None = None) -> list[Family]:
    """The families an import reads from a source of this release: those with a reader that the
    release serves, in registry order."""
    if families is None:
        from mock_em.resources import FAMILIES  # the families sit above the importer

        families = [family for family in FAMILIES if family.reads is not None]
    return [family for family in families if has_arrived(family.since, release.name)]


def first_url(family: Family, page_size: int) -> str:
    """Where a family's entities begin: its query, or its collection in entity form."""
    if family.kind.query is not None:
        return f"/api/query?type={family.kind.name}&format=Entities&pageSize={page_size}"
    return f"/api{family.path}?format=Entity"


async def crawl(
    source: Source,
    families: Sequence[Family],
    page_size: int = 500,
    watcher: Watcher | None = None,
) -> Crawled:
    """Read every family's entities through `source` (logged on)."""
    crawled = Crawled()
    tasks = [asyncio.create_task(_family(source, family, page_size, watcher)) for family in families]
    try:
        results = await asyncio.gather(*tasks)
    except BaseException:
        # one family failed for good: the others stop now, before the session is logged off
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    for family, (items, absent, warnings) in zip(families, results, strict=True):
        name = family.kind.name
        crawled.warnings.extend(warnings)
        if absent is not None:
            crawled.absent[name] = absent
            crawled.warnings.append(f"{family.kind.plural}: not read ({absent}); the world has none")
        else:
            crawled.entities[name] = items
    await _root_lookups(source, crawled)
    await _vms_overview(source, crawled)
    return crawled


ROOT_KIND = "HierarchyRoot"
VMS_OVERVIEW = "/api/reports/summary/vms_overview"


async def _root_lookups(source: Source, crawled: Crawled) -> None:
    """Each hierarchy root's entity with the VMs its lookup lists: no entity names the VMs of a
    job that has not run in the source's history, and the lookup answers from a job's VMs."""
    from mock_em.resources.hierarchy_roots import lookup_url, with_lookup  # the families sit above

    roots = crawled.entities.get(ROOT_KIND)
    if not roots:
        return
    read: list[Entity] = []
    for root in roots:
        url = lookup_url(root)
        answer = await source.get(url) if url else None
        read.append(with_lookup(root, answer.body) if answer is not None and answer.status == 200 else root)
        if answer is not None and answer.status != 200:
            crawled.warnings.append(f"the lookup of root {root.name!r} answered {answer.status}: its VMs are the jobs'")
    crawled.entities[ROOT_KIND] = read


async def _vms_overview(source: Source, crawled: Crawled) -> None:
    """The source's `vms_overview` frame: no entity shows a restore point's size, and its report
    says what the points of its last day hold (`report_recorded.match_point_sizes`)."""
    answer = await source.get(VMS_OVERVIEW)
    if answer.status == 200 and isinstance(answer.body, dict):
        crawled.vms_overview = answer.body
    else:
        crawled.warnings.append(f"the summary report answered {answer.status}: the points' sizes are estimates")


async def _family(
    source: Source, family: Family, page_size: int, watcher: Watcher | None
) -> tuple[list[Entity], str | None, list[str]]:
    """One family's entities in the source's order, or why it is absent; and warnings."""
    name = family.kind.name
    url: str | None = first_url(family, page_size)
    items: list[Entity] = []
    seen_urls: set[str] = set()
    page = 0
    while url is not None:
        seen_urls.add(url)
        answer = await source.get(url)
        page += 1
        if answer.status != 200:
            reason = f"{answer.status}: {answer.message}"
            if page == 1 and answer.status in ABSENT_STATUSES:
                return [], reason, []
            raise SourceError(f"{family.kind.plural}: page {page} answered {reason}")
        body = answer.body
        if family.kind.query is not None:
            found, url, pages = _query_page(body)
        else:
            found, url, pages = _collection(body), None, 1
        items.extend(Entity(item) for item in found)
        if watcher is not None:
            watcher.family_read(name, len(items), page, pages)
        if url is not None and (url in seen_urls or page >= MAX_PAGES):
            raise SourceError(f"{family.kind.plural}: the paging links of page {page} go round in a circle")
    unique, warnings = _unique(family, items)
    return unique, None, warnings


def _query_page(body: Any) -> tuple[list[dict[str, Any]], str | None, int | None]:
    """A query page's entities (under `Entities`, the one member with a value, its one list),
    its `Next` link and `PagesCount`."""
    if not isinstance(body, dict):
        raise SourceError("a query answered no QueryResult")
    entities = body.get("Entities")
    found: list[dict[str, Any]] = []
    if isinstance(entities, dict):
        for member in entities.values():
            if isinstance(member, dict):
                lists = [v for v in member.values() if isinstance(v, list)]
                found = [item for item in (lists[0] if lists else []) if isinstance(item, dict)]
                break
    paging = body.get("PagingInfo") if isinstance(body.get("PagingInfo"), dict) else {}
    links = [link for link in paging.get("Links") or () if isinstance(link, dict)]
    next_url = next((str(link["Href"]) for link in links if link.get("Rel") == "Next" and link.get("Href")), None)
    pages = paging.get("PagesCount")
    return found, next_url, pages if isinstance(pages, int) else None


def _collection(body: Any) -> list[dict[str, Any]]:
    """A collection's entities: its list element's one list (`{"CloudHardwarePlans": […]}`)."""
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, list):
                return [item for item in value if isinstance(item, dict)]
    return []


def _unique(family: Family, items: list[Entity]) -> tuple[list[Entity], list[str]]:
    """Each object once, where it first showed: a source that changes while it is read can show
    an object on two pages as the ones before it come and go."""
    seen: set[str] = set()
    unique: list[Entity] = []
    for item in items:
        key = str(item.data.get("UID") or item.data.get("Href") or id(item))
        if key not in seen:
            seen.add(key)
            unique.append(item)
    if len(unique) == len(items):
        return items, []
    return unique, [f"{family.kind.plural}: {len(items) - len(unique)} shown twice while paging were read once"]


__all__ = ["Answer", "Crawled", "crawl", "first_url", "importable"]
