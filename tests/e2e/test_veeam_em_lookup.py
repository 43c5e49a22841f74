"""A restore client's path end to end: the PyPI package `veeam-em` finds the seed world's VM on its
hierarchy root (`get_hierarchy_roots`, `get_lookup_service`, sending `host=<bare id>` and its own
`hierachyRef` spelling) against mock-em on a real socket, and gets the reference the VM's restore
points carry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ADMIN, SEED_FIXTURE, START

from mock_em.model.fixture import format_time
from mock_em.testing import MockEmServer

veeam_em = pytest.importorskip("veeam_em.manager")


@pytest.fixture(scope="module")
def server() -> Iterator[MockEmServer]:
    """mock-em over the seed world, frozen at START, on a free 127.0.0.1 port in a thread."""
    with MockEmServer(fixture=str(SEED_FIXTURE), clock=format_time(START), host="127.0.0.1", port=0) as running:
        yield running


@pytest.fixture
def em(server: MockEmServer) -> Iterator[Any]:
    """A logged-on VeeamEm client."""
    client = veeam_em.VeeamEm(api_endpoint=server.url, ssl_verify=False, timeout=10)
    client.get_token(*ADMIN)
    yield client
    client.session.close()


def test_a_vm_is_found_on_its_root_as_its_points_name_it(em: Any) -> None:
    roots = em.get_hierarchy_roots()
    assert [(r["Name"], r["Type"]) for r in roots] == [("172.17.53.50", "HierarchyRootReference")]
    root_id = roots[0]["UUID"]
    assert em.get_hierarchy_root(root_id)["HostType"] == "HvServer"
    found = em.get_lookup_service(host_uid=root_id, h_ref=None, obj_type="Vm", obj_name="sqlsrv03")
    items = found["HierarchyItems"]
    assert [(i["ObjectType"], i["ObjectName"]) for i in items] == [("Vm", "sqlsrv03")]
    ref = items[0]["ObjectRef"]
    assert ref.startswith(f"urn:HyperV:Vm:{root_id}.")
    points = em.request("/vmRestorePoints", params={"format": "Entity"})["VmRestorePoints"]
    assert {p["HierarchyObjRef"] for p in points} == {ref}
    assert em.get_lookup_service(host_uid=None, h_ref=ref)["HierarchyItems"] == items
    everything = em.get_lookup_service(host_uid=root_id, h_ref=None, obj_type="Vm", obj_name="*")
    assert everything["HierarchyItems"] == items  # the seed server's one VM
