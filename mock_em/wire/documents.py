"""Enterprise Manager's documents, built from the model as template Nodes.

Each function returns a `Node` (a template and its values) that renders as the vendor's XML or as
its JSON: one structure, one link building, two notations. Nothing here decides anything: what
to show comes in as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any
from uuid import UUID

from mock_em import registry
from mock_em.model.access import Access
from mock_em.model.entities import LogonSession
from mock_em.model.inventory import ROOT_KIND as LOOKUP_READERS  # who may read hierarchy roots may look up
from mock_em.model.reports import READERS as REPORT_READERS
from mock_em.model.world import World
from mock_em.releases import has_arrived, profile
from mock_em.resources.family import Family
from mock_em.wire import links
from mock_em.wire.template import ABSENT, TEMPLATES, Node

LOOKUP_SERVICE_SEGMENT = "lookupSvc"  # the lookup service (`mock_em.wire.lookup`)


def link_elements(items: Iterable[links.Link]) -> list[Node]:
    """`<Link>` documents in the given order."""
    template = TEMPLATES["Link"]
    return [Node(template, link._asdict()) for link in items]


def _ref(root: bool, type_name: str, href: str, name: str, uid: str, items: Sequence[links.Link]) -> Node:
    return TEMPLATES.node(
        "EntityRef" if root else "Ref", Type=type_name, Href=href, Name=name, UID=uid, Links=link_elements(items)
    )


# -- entry point and sessions -------------------------------------------------------------------


def enterprise_manager(h: links.Hrefs, versions: Sequence[str]) -> Node:
    """`GET /api/`: links and one logon link per supported API version."""
    supported = [
        TEMPLATES.node(
            "SupportedVersion", Name=v, Links=link_elements([links.Link("Create", "LogonSession", h.logon(v))])
        )
        for v in versions
    ]
    return TEMPLATES.node(
        "EnterpriseManager", Href=h.root, Links=link_elements(links.root_links(h)), SupportedVersions=supported
    )


def logon_session(h: links.Hrefs, session: LogonSession, access: Access, release: str) -> Node:
    """A `<LogonSession>` with the links its account may use in this release."""
    return TEMPLATES.node(
        "LogonSession",
        Href=h.logon_session(session.session_id),
        Links=link_elements(logon_session_links(h, session.session_id, access, release)),
        UserName=session.user_name,
        SessionId=session.session_id,
    )


def logon_sessions(h: links.Hrefs, sessions: Iterable[LogonSession], release: str) -> Node:
    """`<LogonSessions>`: each session with the links of its own account."""
    return TEMPLATES.node("LogonSessions", Items=[logon_session(h, s, Access.of(s.account), release) for s in sessions])


def logon_session_links(h: links.Hrefs, session_id: UUID, access: Access, release: str) -> list[links.Link]:
    """A LogonSession links Up to the root, Down to what the caller may use in this release (the
    registry's families and service documents), and to its Delete. From 12 on it also links each
    family's entity list (`BackupServerList`, `…/backupServers?format=Entity`) after the
    services, in the same order, with `/agents` after them (capture em12-logonsession)."""
    found = [links.Link("Up", "EnterpriseManager", h.root)]
    listed = [f for f in registry.linked_from("LogonSession", release) if access.reads(f.kind)]
    found += [links.Link("Down", f"{f.reference_type}List", h.collection(f.path)) for f in listed]
    services = registry.services(release)
    if "CloudConnectService" in services:
        found.append(links.Link("Down", "CloudConnectService", h.cloud))
    if not access.is_tenant:
        found.append(links.Link("Down", "QueryService", h.query_svc))
        if access.reads(LOOKUP_READERS):  # then the lookup service, as EM 12's session links it
            found.append(links.Link("Down", "LookupService", f"{h.api}/{LOOKUP_SERVICE_SEGMENT}"))
        if access.role in REPORT_READERS:  # after the query and lookup services, as EM 12's session links it
            found.append(links.Link("Down", "Report", h.summary_report, "Summary"))
        if profile(release).entity_list_links:
            found += [links.Link("Down", f"{f.name}List", h.collection(f.path, entity=True)) for f in listed]
        # after the query service and the report (and the entity lists), as EM 12's session links it
        if "AgentsService" in services and service_families("AgentsService", access, release):
            found.append(links.Link("Down", "AgentsService", h.collection(SERVICE_PATHS["AgentsService"])))
        found.append(links.Link("Down", "LogonSessionList", h.logon_sessions))
    # The vendor's tenant sessions type their Delete link; its administrator sessions do not.
    found.append(links.Link("Delete", "LogonSession" if access.is_tenant else None, h.logon_session(session_id)))
    return found


# The service documents: their paths under `/api` and their templates (whose root elements the
# vendor names `CloudConnectService` and `Agents`, both of `Type` the service's name).
SERVICE_PATHS = {"CloudConnectService": "/cloud", "AgentsService": "/agents"}
SERVICE_TEMPLATES = {"CloudConnectService": "CloudConnectService", "AgentsService": "Agents"}
UP_TO_SESSION = {"CloudConnectService"}  # the vendor's `/api/agents` links nothing Up


def service_families(service: str, access: Access, release: str) -> list[Family]:
    """The families a service document links for this caller: those it may read (and, for a
    tenant, those the service offers tenants)."""
    return [
        f
        for f in registry.linked_from(service, release)
        if access.reads(f.kind) and (f.down is None or f.down.tenants or not access.is_tenant)
    ]


def service(h: links.Hrefs, name: str, session_id: UUID, access: Access, release: str) -> Node:
    """`GET /api/cloud`, `GET /api/agents`: Up the caller's session (where the vendor links it),
    Down each collection the caller may read, references first, then entities."""
    families = service_families(name, access, release)
    found = [links.Link("Up", "LogonSession", h.logon_session(session_id))] if name in UP_TO_SESSION else []
    found += [links.Link("Down", f"{f.reference_type}List", h.collection(f.path)) for f in families]
    found += [links.Link("Down", f"{f.name}List", h.collection(f.path, True)) for f in families]
    href = h.collection(SERVICE_PATHS[name])
    return TEMPLATES.node(SERVICE_TEMPLATES[name], Href=href, Links=link_elements(found))


# -- collections ------------------------------------------------------------------------------


def references(items: Iterable[Node]) -> Node:
    """`<EntityReferences>` of `<Ref>` items."""
    return TEMPLATES.node("EntityReferences", Items=list(items))


def entity_list(list_name: str, items: Iterable[Node]) -> Node:
    """A plural entity list (`<CloudTenants>`, `<BackupServers>`, …)."""
    return TEMPLATES.node(list_name, Items=list(items))


# -- any family's objects -------------------------------------------------------------------


def object_links(
    h: links.Hrefs, family: Family, world: World, obj: Any, access: Access, entity: bool, release: str
) -> list[links.Link]:
    """An object's links: the family's Up links, Alternate to the other form, its Down links; less
    those the release does not have yet (`Family.since_links`)."""
    found = family.ups(h, world, obj, access)
    if entity:
        found.append(links.Link("Alternate", family.reference_type, h.item(family.path, obj.id), obj.name))
    else:
        found.append(links.Link("Alternate", family.name, h.item(family.path, obj.id, True), obj.name))
    found += family.downs(h, world, obj, access)
    if entity:
        found += family.entity_downs(h, world, obj, access)
    else:
        found += family.reference_links(h, world, obj, access)
    if family.since_links:
        lacking = _lacking(family.since_links, release)
        if lacking:
            found = [link for link in found if link.Type not in lacking]
    return found


@cache
def _lacking_in(since: tuple[tuple[str, str], ...], release: str) -> frozenset[str]:
    return frozenset(key for key, first in since if not has_arrived(first, release))


def _lacking(since: Mapping[str, str], release: str) -> frozenset[str]:
    """The keys of `since` (holes, link types) whose first release is later than `release`."""
    return _lacking_in(tuple(since.items()), release)


def entity_values(
    h: links.Hrefs, family: Family, world: World, obj: Any, access: Access, release: str
) -> dict[str, Any]:
    """An entity's own members in a release: the family's values, those the release gives
    (`Family.release_values`), and `ABSENT` for each member the release does not have yet
    (`Family.since_fields`), which leaves it out of XML and JSON alike."""
    values = family.values(h, world, obj, access)
    if family.release_values is not None:
        values.update(family.release_values(obj, profile(release)))
    if family.since_fields:
        for hole in _lacking(family.since_fields, release):
            values[hole] = ABSENT
    return values


def reference(
    h: links.Hrefs, family: Family, world: World, obj: Any, access: Access, release: str, root: bool = False
) -> Node:
    """An object in reference form (`<Ref>` in a list, `<EntityRef>` alone), as the release shows it."""
    return _ref(
        root,
        family.reference_type,
        h.item(family.path, obj.id),
        obj.name,
        links.uid(family.name, obj.id),
        object_links(h, family, world, obj, access, False, release),
    )


def entity(
    h: links.Hrefs, family: Family, world: World, obj: Any, access: Access, release: str, in_list: bool = False
) -> Node:
    """An object in entity form as the release shows it, alone or as an item of its entity list
    (where the vendor's schema may name it otherwise: `Family.in_list`)."""
    return TEMPLATES.node(
        family.in_list if in_list and family.in_list else family.name,
        Href=h.item(family.path, obj.id, True),
        Name=obj.name,
        UID=links.uid(family.name, obj.id),
        Links=link_elements(object_links(h, family, world, obj, access, True, release)),
        **entity_values(h, family, world, obj, access, release),
    )


# -- query service ---------------------------------------------------------------------------


def query_svc(h: links.Hrefs, session_id: UUID, type_names: list[str]) -> Node:
    """`GET /api/querySvc`."""
    return TEMPLATES.node(
        "QuerySvc", Href=h.query_svc, Links=link_elements(links.query_svc_links(h, session_id, type_names))
    )


def query_result(
    items: list[Node], entities_list: str | None, paging: list[links.Link], page: int, page_size: int, pages_count: int
) -> Node:
    """A `<QueryResult>`: `<Refs>` of references, or `<Entities>` holding one entity list
    (`entities_list` names it, e.g. `CloudVmReplicaPoints`)."""
    common = {
        "PageNum": page,
        "PageSize": page_size,
        "PagesCount": pages_count,
        "PagingLinks": link_elements(paging),
    }
    if entities_list is None:
        return TEMPLATES.node("QueryResultRefs", Refs=items, **common)
    return TEMPLATES.node("QueryResultEntities", Entities=[entity_list(entities_list, items)], **common)


# -- errors -----------------------------------------------------------------------------------


def error(status_code: int, status: str, message: str) -> Node:
    """A Veeam `<Error>`; mock-em has no .NET exception to report, so its children are empty
    (absent in XML, `null` in JSON, as EM writes them)."""
    return TEMPLATES.node(
        "Error",
        Message=message,
        StatusCode=status_code,
        Status=status,
        FirstChanceExceptionMessage=None,
        StackTrace=None,
    )
