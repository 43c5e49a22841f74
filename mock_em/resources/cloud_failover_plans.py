"""`/api/cloud/cloudFailoverPlans`: tenants' cloud failover plans, the VMs of their replicas to
start on the provider's side, in order, when a tenant's site fails; each plan's VMs are also
served under `/{id}/includes[/{includeId}]`.

A plan belongs to one tenant (its `tenant_id`: a tenant's logon sees its own plans, another's is
not found) and lives on the backup server the tenant is registered on. Its VMs name the replica
that replicates them (`Held`), so the world keeps them honest:

* removing the tenant or the backup server removes the plan (foreign keys);
* removing a replica, or a VM from a replica, takes those VMs out of the plan, and the others
  keep their order (`Order` is a VM's place among those left). The plan itself stays, even with
  no VM left: it is the tenant's own configuration, which EM shows and never deletes on its own,
  and the schema's `Includes` may be empty. (Real EM cannot be asked here; this is mock-em's
  decision, in em-api.md's sense.)

The vendor's reference form links Up to the backup server, Alternate to the entity and Related to
the tenant's entity; the entity links Up and Alternate. Its Edit, Start, Test, Undo and Delete
links are left out: mock-em serves no PUT, POST or DELETE there, and links only to what it serves.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mock_em.importer.entity import Entity, Reading, Unreadable
from mock_em.model.access import Access
from mock_em.model.entities import CloudFailoveredVm, CloudFailoverPlan, CloudReplica
from mock_em.model.fixture_records import many, records
from mock_em.model.ids import guid
from mock_em.model.kinds import OF_TENANT, ON_SERVER, Held, Kind
from mock_em.model.query_columns import identity_fields, query_for, string_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.cloud_import import notes, number, server_of
from mock_em.resources.cloud_tenants import tenant_fields
from mock_em.resources.family import Down, Family, Generates, Members
from mock_em.wire.links import Hrefs, Link, uid
from mock_em.wire.template import TEMPLATES, Node

if TYPE_CHECKING:
    from mock_em.generator import Generation

PATH = "/cloud/cloudFailoverPlans"
TENANTS_PATH = "/cloud/tenants"
INCLUDES = "includes"


def include_node(h: Hrefs, plan: CloudFailoverPlan, vm: CloudFailoveredVm, order: int) -> Node:
    """One VM of a plan (`CloudFailoveredVm`): the same alone, in its list and inside the plan,
    with no links, as the vendor's examples show it (no `<Links>` in XML, `"Links": null` in JSON,
    as EM writes a list it has not filled)."""
    return TEMPLATES.node(
        "CloudFailoveredVm",
        Href=f"{h.sub(PATH, plan.id, INCLUDES)}/{vm.id}",
        Links=None,
        FailoverPlanVMId=str(vm.id),
        Name=vm.vm_name,
        Order=order,
    )


def values(h: Hrefs, world: World, plan: CloudFailoverPlan, access: Access) -> dict[str, Any]:
    """The tenant's UID and name, the description, the pre- and post-failover scripts, and the
    plan's VMs in order."""
    return {
        "TenantUid": uid("CloudTenant", plan.tenant_id),
        "TenantName": world.tenants[plan.tenant_id].name,
        "Description": plan.description,
        "PostFailoverPlanCommandEnabled": plan.post_command_enabled,
        "PostFailoverPlanCommand": plan.post_command,
        "PreFailoverPlanCommandEnabled": plan.pre_command_enabled,
        "PreFailoverPlanCommand": plan.pre_command,
        "Includes": [include_node(h, plan, vm, order) for order, vm in enumerate(plan.vms)],
    }


def related(h: Hrefs, world: World, plan: CloudFailoverPlan, access: Access) -> list[Link]:
    """The reference form's Related link to the tenant's entity, for callers who may read tenants."""
    if not access.reads("CloudTenant"):
        return []
    tenant = world.tenants[plan.tenant_id]
    return [Link("Related", "CloudTenant", h.item(TENANTS_PATH, tenant.id, True), tenant.name)]


def reads(entity: Entity, reading: Reading) -> CloudFailoverPlan:
    """The plan as EM lists it, its VMs in their `Order`. A VM shows its name but not the replica
    that replicates it: the completion finds it among the tenant's replicas (`cloud_import.completion`).
    The tenant's name is kept for a tenant the source does not list (a tenant's own logon)."""
    tenant_id = entity.uid("TenantUid")
    if tenant_id is None:
        raise Unreadable(f"the failover plan {entity.name!r} names no tenant")
    if entity.get("TenantName"):
        notes(reading).tenant_names.setdefault(tenant_id, entity["TenantName"])
    options = entity.nested("CloudFailoverPlanOptions")
    if not options.data:
        options = entity
    info = entity.nested("CloudFailoverPlanInfo")
    included = info.items("Includes", "CloudFailoveredVms") or entity.items("Includes", "CloudFailoveredVms")
    ordered = sorted(enumerate(included), key=lambda item: (number(item[1], "Order", item[0]), item[0]))
    plan_no = len(reading.of("CloudFailoverPlan"))
    for position, (_, vm) in enumerate(ordered):
        notes(reading).plan_order.setdefault(str(vm.get("Name", "")).casefold(), (plan_no, position))
    return CloudFailoverPlan(
        id=entity.id,
        name=entity.name,
        tenant_id=tenant_id,
        backup_server_id=server_of(entity, reading),  # type: ignore[arg-type]  # None: the completion's
        description=entity.get("Description", ""),
        pre_command_enabled=bool(options.get("PreFailoverPlanCommandEnabled", False)),
        pre_command=options.get("PreFailoverPlanCommand", ""),
        post_command_enabled=bool(options.get("PostFailoverPlanCommandEnabled", False)),
        post_command=options.get("PostFailoverPlanCommand", ""),
        vms=[
            CloudFailoveredVm(vm.uid("FailoverPlanVMId") or vm.id, None, vm["Name"])  # type: ignore[arg-type]
            for _, vm in ordered
        ],
    )


# -- the generator's part: about half the tenants that replicate have a plan -------------------------

MAX_PLAN_VMS = 16  # a plan starts a site's key VMs, not every replicated VM of a big tenant
POST_SCRIPT = "C:\\Scripts\\post-failover.bat"
PRE_SCRIPT = "C:\\Scripts\\pre-failover.cmd"


def generate_plans(g: Generation) -> None:
    """Half the tenants with replicas (by a coin each, in tenant order) get one plan over their
    replicas' VMs, in replica order then VM order (at most `MAX_PLAN_VMS`), named as providers'
    tenants name them (`ABC Company Failover Plan`). Drawn from an RNG of its own
    (`failover:{seed}`), after every other part, so no other object's draw moves."""
    rng = random.Random(f"failover:{g.seed}")
    world = g.world()
    by_tenant: dict[UUID, list[CloudReplica]] = defaultdict(list)
    for replica in world.replicas.values():
        by_tenant[replica.tenant_id].append(replica)
    plans = g.all("CloudFailoverPlan")
    for tenant in world.tenants.values():
        replicas = [r for r in by_tenant.get(tenant.id, ()) if r.vms]
        if not replicas or rng.random() >= 0.5:
            continue
        included = [(r.id, vm.name) for r in replicas for vm in r.vms][:MAX_PLAN_VMS]
        plan = CloudFailoverPlan(
            id=guid(rng),
            name=f"{tenant.name} Failover Plan",
            tenant_id=tenant.id,
            backup_server_id=tenant.backup_server_id,
            description=f"Cloud failover plan for {tenant.name} full site failover",
            vms=[CloudFailoveredVm(guid(rng), replica_id, name) for replica_id, name in included],
        )
        if rng.random() < 0.25:
            plan.post_command_enabled, plan.post_command = True, POST_SCRIPT
        if rng.random() < 0.1:
            plan.pre_command_enabled, plan.pre_command = True, PRE_SCRIPT
        plans[plan.id] = plan


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of CloudFailoverPlan fields (`GET /query?type=
    CloudFailoverPlan`), the tenant's and backup server's by their UIDs and names."""
    return query_for(
        kind,
        *identity_fields("CloudFailoverPlan"),
        string_field("Description", text_column("description")),
        *tenant_fields(),
        *server_fields(),
    )


KIND = Kind(
    CloudFailoverPlan,
    noun="failover plan",
    keys=(OF_TENANT, ON_SERVER),
    holds=(Held("vms", "replica_id", "CloudReplica"),),
    tenant_key="tenant_id",
    fixture=records(
        "Id Name TenantId BackupServerId Description PreFailoverPlanCommandEnabled=pre_command_enabled"
        " PreFailoverPlanCommand=pre_command PostFailoverPlanCommandEnabled=post_command_enabled"
        " PostFailoverPlanCommand=post_command Includes=vms",
        codecs={"Includes": many(CloudFailoveredVm, "FailoverPlanVMId=id ReplicaId Name=vm_name")},
    ),
    query=query,
    query_order=16,
)

FAMILY = Family(
    KIND,
    PATH,
    values,
    ups=up_to_server,
    reference_links=related,
    members=Members(
        INCLUDES,
        "CloudFailoveredVm",
        "CloudFailoveredVms",
        what="Failover plan VM",
        of=lambda plan: plan.vms,
        node=include_node,
    ),
    down=Down("CloudConnectService", 4),
    generates=Generates(generate_plans),
    reads=reads,
)
