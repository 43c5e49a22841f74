"""The virtual infrastructure lookup, `GET /api/lookup` (em-api-monitoring.md §5): a VM's
`HierarchyObjRef` found by host, name and type, or an object by its reference, exactly as the VM
restore points name it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from conftest import EmClient, make_client
from xmlutil import API, assert_error, body, child_names, links, logon, text

from mock_em.model.entities import Platform
from mock_em.settings import Settings

USERS = ("Administrator:P@ssw0rd", "pu:pw:PortalUser", "ro:pw:RestoreOperator")
JSON = {"Accept": "application/json"}
ROOT_UID = "urn:veeam:HierarchyRoot:"


@pytest.fixture(scope="module")
def em() -> Iterator[EmClient]:
    """A generated world of three backup servers, with both platforms' jobs, and every role."""
    client = make_client(Settings(user=USERS, backup_servers=3, tenants=2))
    yield client
    client.close()


def items(client: EmClient, token: str, query: str) -> list[tuple[str, str, str, str]]:
    """The `HierarchyItem`s a lookup answers, as (ObjectRef, ObjectType, ObjectName, Href); the
    same in JSON."""
    root = body(client.get_as(token, f"/api/lookup?{query}"), 200, "HierarchyItems")
    assert set(child_names(root)) <= {"HierarchyItem"}
    found = [
        (text(i, "ObjectRef"), text(i, "ObjectType"), text(i, "ObjectName"), i.get("Href"))
        for i in root
        if i.get("Type") == "HierarchyItem"
    ]
    assert len(found) == len(root)
    data = client.get_as(token, f"/api/lookup?{query}", headers=JSON).json()
    assert [(i["ObjectRef"], i["ObjectType"], i["ObjectName"], i["Href"]) for i in data["HierarchyItems"]] == found
    return found  # type: ignore[return-value]


def test_every_vm_restore_point_is_found_by_host_name_and_type(em: EmClient) -> None:
    """For each VM with restore points: the lookup on its root by its name finds exactly the
    reference every one of its points carries, and that reference finds it again (also by the
    item's own Href, and by veeam-em's `hierachyRef` spelling)."""
    token, _ = logon(em)
    world = em.em.world
    refs: dict[tuple[str, str], set[str]] = {}
    for point in world.all("VmRestorePoint").values():
        refs.setdefault((str(point.backup_server_id), point.vm_name), set()).add(point.hierarchy_obj_ref)
    assert refs
    platforms = set()
    for (_, vm_name), found in refs.items():
        assert len(found) == 1, vm_name
        ref = next(iter(found))
        root_id = ref.split(":", 3)[3].split(".", 1)[0]
        platforms.add(ref.split(":")[1])
        answer = items(em, token, f"host={ROOT_UID}{root_id}&name={vm_name}&type=Vm")
        assert [a[:3] for a in answer] == [(ref, "Vm", vm_name)]
        href = answer[0][3]
        assert href == f"{API}/lookup?hierarchyRef={quote(ref, safe='')}"
        assert items(em, token, href.removeprefix(f"{API}/lookup?")) == answer
        assert items(em, token, f"hierachyRef={quote(ref, safe='')}") == answer
    assert platforms == {Platform.VMware.value, Platform.HyperV.value}


def test_a_wildcard_lists_the_vms_on_a_root(em: EmClient) -> None:
    """`name=*` (and EM's own `\\*`) lists each VM of the server's jobs of the root's platform once;
    names and types match in any case, `*` within a name too; another root of the platform (a
    standalone ESXi host) and a root of another platform's VMs hold none of them."""
    token, _ = logon(em)
    world = em.em.world
    jobs = list(world.all("Job").values())
    for root in world.all("HierarchyRoot").values():
        mine = [j for j in jobs if j.backup_server_id == root.backup_server_id and j.platform is root.platform]
        key = (root.backup_server_id, root.platform)
        first = next(r for r in world.all("HierarchyRoot").values() if (r.backup_server_id, r.platform) == key)
        expected = list(dict.fromkeys(vm.name for j in mine for vm in j.vms)) if first is root else []
        host = f"host={ROOT_UID}{root.id}"
        names = [a[2] for a in items(em, token, f"{host}&name=*&type=Vm")]
        assert names == expected, root
        assert [a[2] for a in items(em, token, f"{host}&name=\\*&type=vm")] == expected
        if expected:
            vm = expected[0]
            assert [a[2] for a in items(em, token, f"{host}&name={vm.upper()}&type=VM")] == [vm]
            prefix = vm.rstrip("0123456789")
            assert [a[2] for a in items(em, token, f"{host}&name={prefix}*&type=Vm")] == [
                n for n in expected if n.startswith(prefix)
            ]


def test_other_object_types_and_unknown_hosts_find_nothing(em: EmClient) -> None:
    """A type of the root's platform that mock-em holds no objects of finds none, as does a host
    or a reference that names no root of the world."""
    token, _ = logon(em)
    root = next(r for r in em.em.world.all("HierarchyRoot").values() if r.platform is Platform.VMware)
    assert items(em, token, f"host={ROOT_UID}{root.id}&name=*&type=Datastore") == []
    unknown = "00000000-0000-4000-8000-000000000000"
    assert items(em, token, f"host={ROOT_UID}{unknown}&name=*&type=Vm") == []
    assert items(em, token, f"host={unknown}&name=*&type=Vm") == []
    assert items(em, token, f"hierarchyRef=urn:VMware:Vm:{unknown}.vm-1234") == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "name=*&type=Vm",
        "host={root}",
        "host={root}&name=*",
        "host={root}&type=Vm",
        "host=nonsense&name=*&type=Vm",
        "host={root}&name=*&type=Spaceship",
        "host={root}&name=*&type=VmGroup",  # a Hyper-V type, asked of a vCenter
        "hierarchyRef=vm-1234",
        "hierarchyRef=urn:Xen:Vm:{id}.vm-1",
        "hierachyRef=urn:VMware:Vm:not-a-guid.vm-1",
        "hierarchyRef=urn:VMware:Vm:------------------------------------.vm-1",
        "host=urn:veeam:HierarchyRoot:&name=*&type=Vm",
    ],
)
def test_bad_or_missing_parameters_are_400(em: EmClient, query: str) -> None:
    token, _ = logon(em)
    root = next(r for r in em.em.world.all("HierarchyRoot").values() if r.platform is Platform.VMware)
    url = "/api/lookup?" + query.format(root=f"{ROOT_UID}{root.id}", id=root.id)
    error = assert_error(em.get_as(token, url), 400, "BadRequest")
    assert error.get("Message")
    data = em.get_as(token, url, headers=JSON)
    assert data.status_code == 400 and json.loads(data.content)["Status"] == "BadRequest"


def test_readers(em: EmClient) -> None:
    """Portal administrators and users and Restore Operators look up (they restore); tenants
    get a 403; no session, a 401."""
    root = next(iter(em.em.world.all("HierarchyRoot").values()))
    url = f"/api/lookup?host={ROOT_UID}{root.id}&name=*&type=Vm"
    for user in ("Administrator:P@ssw0rd", "pu:pw", "ro:pw"):
        token, _ = logon(em, *user.split(":")[:2])
        assert em.get_as(token, url).status_code == 200, user
    tenant = next(iter(em.em.world.tenants.values()))
    spec = json.dumps({"TenantCredentials": {"Username": tenant.username, "Password": tenant.password}})
    em.cookies.clear()
    response = em.post("/api/sessionMngr/?v=latest", content=spec, headers={"Content-Type": "application/json"})
    em.cookies.clear()
    tenant_token = response.headers["X-RestSvcSessionId"]
    assert_error(em.get_as(tenant_token, url), 403, "Forbidden")
    assert_error(em.get_as(tenant_token, "/api/lookupSvc"), 403, "Forbidden")
    assert b"/api/lookupSvc" not in em.get_as(tenant_token, "/api/logonSessions").content
    assert em.get(url).status_code == 401


def test_the_lookup_service_links_each_roots_vms(em: EmClient) -> None:
    """`/api/lookupSvc`: Up to the caller's session, Down to `name=\\*&type=Vm` on each root, as
    EM's example; each link answers the root's VMs. The LogonSession links it after the query
    service, for the roles that look up."""
    token, session_id = logon(em)
    root = body(em.get_as(token, "/api/lookupSvc"), 200, "LookupSvc")
    assert (root.get("Type"), root.get("Href")) == ("LookupService", f"{API}/lookupSvc")
    found = links(root)
    assert (found[0].Rel, found[0].Type, found[0].Href) == ("Up", "LogonSession", f"{API}/logonSessions/{session_id}")
    roots = list(em.em.world.all("HierarchyRoot").values())
    assert [(li.Rel, li.Type) for li in found[1:]] == [("Down", "HierarchyItemList")] * len(roots)
    for down, hierarchy_root in zip(found[1:], roots, strict=True):
        assert down.Href == f"{API}/lookup?host={quote(ROOT_UID + str(hierarchy_root.id), safe='')}&name=\\*&type=Vm"
        assert items(em, token, down.Href.removeprefix(f"{API}/lookup?")) == items(
            em, token, f"host={hierarchy_root.id}&name=*&type=Vm"
        )
    data = em.get_as(token, "/api/lookupSvc", headers=JSON).json()
    assert [li["Href"] for li in data["Links"]] == [li.Href for li in found]
    session = body(em.get_as(token, f"/api/logonSessions/{session_id}"), 200, "LogonSession")
    types = [li.Type for li in links(session)]
    assert types[types.index("QueryService") + 1] == "LookupService"
    operator, _ = logon(em, "ro", "pw")
    assert em.get_as(operator, "/api/lookupSvc").status_code == 200
