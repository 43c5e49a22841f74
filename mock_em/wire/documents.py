"""Enterprise Manager's documents, built from the model as template Nodes.

Each function returns a `Node` (a template and its values) that renders as the vendor's XML or as
its JSON: one structure, one link building, two notations. Nothing here decides anything: what
to show comes in as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from mock_em.model.entities import BackupServer, CloudReplica, CloudTenant, CloudVmReplicaPoint, LogonSession
from mock_em.model.scope import Scope
from mock_em.model.world import World
from mock_em.wire import links
from mock_em.wire.template import TEMPLATES, Node

NEVER = datetime(1753, 1, 1, tzinfo=UTC)  # how EM writes a time that never was


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


def logon_session(h: links.Hrefs, session: LogonSession, scope: Scope) -> Node:
    """A `<LogonSession>` with the links its account may use."""
    return TEMPLATES.node(
        "LogonSession",
        Href=h.logon_session(session.session_id),
        Links=link_elements(links.logon_session_links(h, session.session_id, scope)),
        UserName=session.user_name,
        SessionId=session.session_id,
    )


def logon_sessions(h: links.Hrefs, sessions: Iterable[LogonSession]) -> Node:
    """`<LogonSessions>`: each session with the links of its own account."""
    return TEMPLATES.node("LogonSessions", Items=[logon_session(h, s, Scope.of(s.account)) for s in sessions])


def cloud_service(h: links.Hrefs, session_id: UUID, scope: Scope) -> Node:
    """`GET /api/cloud`."""
    return TEMPLATES.node(
        "CloudConnectService", Href=h.cloud, Links=link_elements(links.cloud_links(h, session_id, scope))
    )


# -- collections ------------------------------------------------------------------------------


def references(items: Iterable[Node]) -> Node:
    """`<EntityReferences>` of `<Ref>` items."""
    return TEMPLATES.node("EntityReferences", Items=list(items))


def entity_list(list_name: str, items: Iterable[Node]) -> Node:
    """A plural entity list (`<CloudTenants>`, `<BackupServers>`, …)."""
    return TEMPLATES.node(list_name, Items=list(items))


# -- CloudVmReplicaPoint ----------------------------------------------------------------------


def point_ref(h: links.Hrefs, world: World, point: CloudVmReplicaPoint, scope: Scope, root: bool = False) -> Node:
    """A point in reference form (`<Ref>` in a list, `<EntityRef>` alone)."""
    return _ref(
        root,
        "CloudVmReplicaPointReference",
        h.point(point.id),
        point.name,
        links.uid("CloudVmReplicaPoint", point.id),
        links.point_links(h, world, point, scope, entity=False),
    )


def point_entity(h: links.Hrefs, world: World, point: CloudVmReplicaPoint, scope: Scope, in_list: bool = False) -> Node:
    """A point in entity form. In `<CloudVmReplicaPoints>` the vendor schema names each item
    `<CloudReplica Type="CloudVmReplicaPoint">`, not `<CloudVmReplicaPoint>` (em-api.md §4)."""
    return TEMPLATES.node(
        "CloudVmReplicaPointInList" if in_list else "CloudVmReplicaPoint",
        Href=h.point(point.id, True),
        Name=point.name,
        UID=links.uid("CloudVmReplicaPoint", point.id),
        VmDisplayName=point.vm_display_name,
        Links=link_elements(links.point_links(h, world, point, scope, entity=True)),
        CreationTimeUTC=point.creation_time,
        VmName=point.vm_name,
        PointType=point.point_type.value,
        State=point.state.value,
    )


# -- CloudReplica -----------------------------------------------------------------------------


def replica_ref(h: links.Hrefs, world: World, replica: CloudReplica, scope: Scope, root: bool = False) -> Node:
    """A replication job in reference form."""
    return _ref(
        root,
        "CloudReplicaReference",
        h.replica(replica.id),
        replica.name,
        links.uid("CloudReplica", replica.id),
        links.replica_links(h, world, replica, scope, entity=False),
    )


def replica_entity(h: links.Hrefs, world: World, replica: CloudReplica, scope: Scope) -> Node:
    """A replication job in entity form (without the schema's `<Ref>`, as real servers, §11)."""
    return TEMPLATES.node(
        "CloudReplica",
        Href=h.replica(replica.id, True),
        Name=replica.name,
        UID=links.uid("CloudReplica", replica.id),
        Links=link_elements(links.replica_links(h, world, replica, scope, entity=True)),
        Platform=replica.platform.value,
    )


# -- CloudTenant ------------------------------------------------------------------------------


def tenant_ref(h: links.Hrefs, world: World, tenant: CloudTenant, scope: Scope, root: bool = False) -> Node:
    """A tenant in reference form."""
    return _ref(
        root,
        "CloudTenantReference",
        h.tenant(tenant.id),
        tenant.name,
        links.uid("CloudTenant", tenant.id),
        links.tenant_links(h, world, tenant, scope, entity=False),
    )


def tenant_entity(h: links.Hrefs, world: World, tenant: CloudTenant, scope: Scope) -> Node:
    """A tenant in entity form, fields in the schema's order; the password is never shown."""
    vm_count = world.tenant_vm_count(tenant.id)
    return TEMPLATES.node(
        "CloudTenant",
        Href=h.tenant(tenant.id, True),
        Name=tenant.name,
        UID=links.uid("CloudTenant", tenant.id),
        Links=link_elements(links.tenant_links(h, world, tenant, scope, entity=True)),
        Description=tenant.description,
        Enabled=(tenant.enabled),
        LeaseEnabled=(tenant.lease_expiration is not None),
        LeaseExpirationDate=tenant.lease_expiration,
        Resources=[],
        LastResult=tenant.last_result,
        LastActive=tenant.last_active or NEVER,
        VmCount=vm_count,
        ThrottlingEnabled=(tenant.throttling_enabled),
        ThrottlingSpeedLimit=tenant.throttling_speed_limit,
        ThrottlingSpeedUnit=tenant.throttling_speed_unit,
        PublicIpCount=tenant.public_ip_count,
        BackupCount=tenant.backup_count,
        ReplicaCount=world.tenant_replica_count(tenant.id),
    )


# -- BackupServer -----------------------------------------------------------------------------


def backup_server_ref(h: links.Hrefs, server: BackupServer, root: bool = False) -> Node:
    """A backup server in reference form."""
    return _ref(
        root,
        "BackupServerReference",
        h.backup_server(server.id),
        server.name,
        links.uid("BackupServer", server.id),
        links.backup_server_links(h, server, entity=False),
    )


def backup_server_entity(h: links.Hrefs, server: BackupServer) -> Node:
    """A backup server in entity form."""
    return TEMPLATES.node(
        "BackupServer",
        Href=h.backup_server(server.id, True),
        Name=server.name,
        UID=links.uid("BackupServer", server.id),
        Links=link_elements(links.backup_server_links(h, server, entity=True)),
        Description=server.description,
        Port=server.port,
        Version=server.version,
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
