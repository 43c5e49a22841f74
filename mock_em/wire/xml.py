"""Enterprise Manager's XML, rendered from the model through the templates of `templates/`.

Each function returns an lxml element; `document` turns a root element into the bytes EM sends
(XML declaration, the vendor's namespace plus the `xsd`/`xsi` declarations real servers carry).
Nothing here decides anything: what to show comes in as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from lxml import etree

from mock_em.model.entities import BackupServer, CloudReplica, CloudTenant, CloudVmReplicaPoint, LogonSession
from mock_em.model.fixture import format_time
from mock_em.model.scope import Scope
from mock_em.model.world import World
from mock_em.wire import links
from mock_em.wire.template import NS, TEMPLATES

Element = etree._Element
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
NEVER = "1753-01-01T00:00:00Z"  # how EM writes a time that never was


def document(root: Element) -> bytes:
    """The bytes of a whole response body."""
    return DECLARATION + etree.tostring(root, encoding="utf-8")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


def link_elements(links: Iterable[links.Link]) -> list[Element]:
    """`<Link>` elements in the given order."""
    render = TEMPLATES["Link"].render
    return [render(link._asdict()) for link in links]


def _ref(root: bool, type_name: str, href: str, name: str, uid: str, links: Sequence[links.Link]) -> Element:
    return TEMPLATES["EntityRef" if root else "Ref"].render(
        {"Type": type_name, "Href": href, "Name": name, "UID": uid, "Links": link_elements(links)}
    )


# -- entry point and sessions -------------------------------------------------------------------


def enterprise_manager(h: links.Hrefs, versions: Sequence[str]) -> Element:
    """`GET /api/`: links and one logon link per supported API version."""
    supported = [
        TEMPLATES.render(
            "SupportedVersion", Name=v, Links=link_elements([links.Link("Create", "LogonSession", h.logon(v))])
        )
        for v in versions
    ]
    return TEMPLATES.render(
        "EnterpriseManager", Href=h.root, Links=link_elements(links.root_links(h)), SupportedVersions=supported
    )


def logon_session(h: links.Hrefs, session: LogonSession, scope: Scope) -> Element:
    """A `<LogonSession>` with the links its account may use."""
    return TEMPLATES.render(
        "LogonSession",
        Href=h.logon_session(session.session_id),
        Links=link_elements(links.logon_session_links(h, session.session_id, scope)),
        UserName=session.user_name,
        SessionId=str(session.session_id),
    )


def logon_sessions(h: links.Hrefs, sessions: Iterable[LogonSession]) -> Element:
    """`<LogonSessions>`: each session with the links of its own account."""
    return TEMPLATES.render("LogonSessions", Items=[logon_session(h, s, Scope.of(s.account)) for s in sessions])


def cloud_service(h: links.Hrefs, session_id, scope: Scope) -> Element:
    """`GET /api/cloud`."""
    return TEMPLATES.render(
        "CloudConnectService", Href=h.cloud, Links=link_elements(links.cloud_links(h, session_id, scope))
    )


# -- collections ------------------------------------------------------------------------------


def references(items: Iterable[Element]) -> Element:
    """`<EntityReferences>` of `<Ref>` items."""
    return TEMPLATES.render("EntityReferences", Items=list(items))


def entity_list(list_name: str, items: Iterable[Element]) -> Element:
    """A plural entity list (`<CloudTenants>`, `<BackupServers>`, …)."""
    return TEMPLATES.render(list_name, Items=list(items))


# -- CloudVmReplicaPoint ----------------------------------------------------------------------


def point_ref(h: links.Hrefs, world: World, point: CloudVmReplicaPoint, scope: Scope, root: bool = False) -> Element:
    """A point in reference form (`<Ref>` in a list, `<EntityRef>` alone)."""
    return _ref(
        root,
        "CloudVmReplicaPointReference",
        h.point(point.id),
        point.name,
        links.uid("CloudVmReplicaPoint", point.id),
        links.point_links(h, world, point, scope, entity=False),
    )


def point_entity(
    h: links.Hrefs, world: World, point: CloudVmReplicaPoint, scope: Scope, in_list: bool = False
) -> Element:
    """A point in entity form. In `<CloudVmReplicaPoints>` the vendor schema names each item
    `<CloudReplica Type="CloudVmReplicaPoint">`, not `<CloudVmReplicaPoint>` (em-api.md §4)."""
    element = TEMPLATES.render(
        "CloudVmReplicaPoint",
        Href=h.point(point.id, True),
        Name=point.name,
        UID=links.uid("CloudVmReplicaPoint", point.id),
        VmDisplayName=point.vm_display_name,
        Links=link_elements(links.point_links(h, world, point, scope, entity=True)),
        CreationTimeUTC=format_time(point.creation_time),
        VmName=point.vm_name,
        PointType=point.point_type.value,
        State=point.state.value,
    )
    if in_list:
        element.tag = f"{{{NS}}}CloudReplica"
    return element


# -- CloudReplica -----------------------------------------------------------------------------


def replica_ref(h: links.Hrefs, world: World, replica: CloudReplica, scope: Scope, root: bool = False) -> Element:
    """A replication job in reference form."""
    return _ref(
        root,
        "CloudReplicaReference",
        h.replica(replica.id),
        replica.name,
        links.uid("CloudReplica", replica.id),
        links.replica_links(h, world, replica, scope, entity=False),
    )


def replica_entity(h: links.Hrefs, world: World, replica: CloudReplica, scope: Scope) -> Element:
    """A replication job in entity form (without the schema's `<Ref>`, as real servers, §11)."""
    return TEMPLATES.render(
        "CloudReplica",
        Href=h.replica(replica.id, True),
        Name=replica.name,
        UID=links.uid("CloudReplica", replica.id),
        Links=link_elements(links.replica_links(h, world, replica, scope, entity=True)),
        Platform=replica.platform.value,
    )


# -- CloudTenant ------------------------------------------------------------------------------


def tenant_ref(h: links.Hrefs, world: World, tenant: CloudTenant, scope: Scope, root: bool = False) -> Element:
    """A tenant in reference form."""
    return _ref(
        root,
        "CloudTenantReference",
        h.tenant(tenant.id),
        tenant.name,
        links.uid("CloudTenant", tenant.id),
        links.tenant_links(h, world, tenant, scope, entity=False),
    )


def tenant_entity(h: links.Hrefs, world: World, tenant: CloudTenant, scope: Scope) -> Element:
    """A tenant in entity form, fields in the schema's order; the password is never shown."""
    vm_count = world.tenant_vm_count(tenant.id)
    return TEMPLATES.render(
        "CloudTenant",
        Href=h.tenant(tenant.id, True),
        Name=tenant.name,
        UID=links.uid("CloudTenant", tenant.id),
        Links=link_elements(links.tenant_links(h, world, tenant, scope, entity=True)),
        Description=tenant.description,
        Enabled=_bool(tenant.enabled),
        LeaseEnabled=_bool(tenant.lease_expiration is not None),
        LeaseExpirationDate=_time(tenant.lease_expiration),
        Resources=[],
        LastResult=tenant.last_result,
        LastActive=_time(tenant.last_active) or NEVER,
        VmCount=str(vm_count),
        ThrottlingEnabled=_bool(tenant.throttling_enabled),
        ThrottlingSpeedLimit=str(tenant.throttling_speed_limit),
        ThrottlingSpeedUnit=tenant.throttling_speed_unit,
        PublicIpCount=str(tenant.public_ip_count),
        BackupCount=str(tenant.backup_count),
        ReplicaCount=str(world.tenant_replica_count(tenant.id)),
    )


# -- BackupServer -----------------------------------------------------------------------------


def backup_server_ref(h: links.Hrefs, server: BackupServer, root: bool = False) -> Element:
    """A backup server in reference form."""
    return _ref(
        root,
        "BackupServerReference",
        h.backup_server(server.id),
        server.name,
        links.uid("BackupServer", server.id),
        links.backup_server_links(h, server, entity=False),
    )


def backup_server_entity(h: links.Hrefs, server: BackupServer) -> Element:
    """A backup server in entity form."""
    return TEMPLATES.render(
        "BackupServer",
        Href=h.backup_server(server.id, True),
        Name=server.name,
        UID=links.uid("BackupServer", server.id),
        Links=link_elements(links.backup_server_links(h, server, entity=True)),
        Description=server.description,
        Port=str(server.port),
        Version=server.version,
    )


# -- errors -----------------------------------------------------------------------------------


def error(status_code: int, status: str, message: str) -> Element:
    """A Veeam `<Error>`."""
    return TEMPLATES.render("Error", Message=message, StatusCode=str(status_code), Status=status)
