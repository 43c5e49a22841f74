"""`/api/cloud/hardwarePlans`: the provider's hardware plans, the CPU, memory, storage and
networks each subscribed tenant's VM replicas may use on one host or cluster."""

from __future__ import annotations

from typing import Any

from mock_em.generator_billing import generate_plans
from mock_em.importer.entity import Entity, Reading, Unreadable
from mock_em.model.access import Access
from mock_em.model.entities import CloudHardwarePlan, PlanStorage, Platform
from mock_em.model.fixture_records import records
from mock_em.model.kinds import ON_SERVER, PORTAL_AND_TENANTS, Kind
from mock_em.model.world import World
from mock_em.resources.backup_servers import up_to_server
from mock_em.resources.cloud_import import notes, number, server_of
from mock_em.resources.family import Down, Family, Generates, SubCollection
from mock_em.wire.links import Hrefs, Link
from mock_em.wire.template import TEMPLATES, Node


def _storage(plan: CloudHardwarePlan, storage: PlanStorage) -> Node:
    """A VMware datastore or a Hyper-V volume of the plan."""
    if plan.platform is Platform.VMware:
        return TEMPLATES.node(
            "Datastore",
            Id=str(storage.id),
            FriendlyName=storage.friendly_name,
            DatastoreType="Datastore",
            Reference=storage.reference,
            RootPath=storage.path,
            QuotaGb=storage.quota_gb,
            PbmProfileId="",
        )
    return TEMPLATES.node(
        "Volume",
        Id=str(storage.id),
        FriendlyName=storage.friendly_name,
        VolumePath=storage.path,
        QuotaGb=storage.quota_gb,
    )


def details(plan: CloudHardwarePlan) -> Node:
    """`HardwarePlanDetails`: `ViCloudHardwarePlan` or `HvCloudHardwarePlan`, by platform."""
    network = {
        "NetworkId": str(plan.network_id),
        "CountWithInternet": plan.networks_with_internet,
        "CountWithoutInternet": plan.networks_without_internet,
    }
    storages = [_storage(plan, s) for s in plan.storages]
    if plan.platform is Platform.VMware:
        return TEMPLATES.node(
            "ViCloudHardwarePlan",
            HypervisorHostRef=plan.host_ref,
            ParentType="Host",
            ParentName=plan.parent_name,
            Datastores=storages,
            **network,
        )
    return TEMPLATES.node("HvCloudHardwarePlan", HypervisorHostRef=plan.host_ref, Volumes=storages, **network)


def values(h: Hrefs, world: World, plan: CloudHardwarePlan, access: Access) -> dict[str, Any]:
    """The plan's limits (per tenant; -1 for none) and its platform's details."""
    return {
        "Description": plan.description,
        "ProcessorUsageLimitMhz": plan.processor_limit_mhz,
        "MemoryUsageLimitMb": plan.memory_limit_mb,
        "HardwarePlanDetails": [details(plan)],
    }


def _read_storage(entity: Entity, path_key: str) -> PlanStorage:
    return PlanStorage(
        id=entity.id,
        friendly_name=entity.get("FriendlyName", ""),
        path=entity.get(path_key, ""),
        quota_gb=number(entity, "QuotaGb", 0),
        reference=entity.get("Reference", ""),
    )


def reads(entity: Entity, reading: Reading) -> CloudHardwarePlan:
    """The plan as EM lists it (`?format=Entity` on the collection: no query type), its storages
    and network from its platform's details. A Hyper-V plan does not show its host's name: it is
    the one a subscribed tenant's network appliance is named after (`Cloud Appliance ABC
    Company(hv08)`), where a tenant was read before it."""
    details = entity.nested("HardwarePlanDetails")
    if details.get("ViCloudHardwarePlan") is not None:
        platform, inner = Platform.VMware, details.nested("ViCloudHardwarePlan")
        storages = [_read_storage(s, "RootPath") for s in inner.items("Datastores", "Datastores")]
        parent_name = inner.get("ParentName", "")
    elif details.get("HvCloudHardwarePlan") is not None:
        platform, inner = Platform.HyperV, details.nested("HvCloudHardwarePlan")
        storages = [_read_storage(s, "VolumePath") for s in inner.items("Volumes", "Volumes")]
        parent_name = notes(reading).plan_hosts.get(entity.id, "")
    else:
        raise Unreadable(f"the hardware plan {entity.name!r} has no VMware or Hyper-V details")
    network = inner.nested("Network")
    network_id = network.uid("Id") or inner.uid("NetworkId")
    if network_id is None:
        raise Unreadable(f"the hardware plan {entity.name!r} names no network")
    return CloudHardwarePlan(
        id=entity.id,
        name=entity.name,
        backup_server_id=server_of(entity, reading),  # type: ignore[arg-type]  # None: the completion's
        platform=platform,
        host_ref=inner.get("HypervisorHostRef", ""),
        parent_name=parent_name,
        storages=storages,
        network_id=network_id,
        description=entity.get("Description", ""),
        processor_limit_mhz=number(entity, "ProcessorUsageLimitMhz", -1),
        memory_limit_mb=number(entity, "MemoryUsageLimitMb", -1),
        networks_with_internet=number(network, "CountWithInternet", number(inner, "CountWithInternet", 1)),
        networks_without_internet=number(network, "CountWithoutInternet", number(inner, "CountWithoutInternet", 1)),
    )


PATH = "/cloud/hardwarePlans"
TENANTS = SubCollection("tenants", "CloudTenant", "plan_id", through=("CloudTenantComputeResource", "tenant_id"))


def downs(h: Hrefs, world: World, plan: CloudHardwarePlan, access: Access) -> list[Link]:
    """Down to the tenants subscribed, from the entity, for callers who may read tenants (EM names
    the link after the plan)."""
    if not access.reads("CloudTenant"):
        return []
    return [Link("Down", "CloudTenantReference", h.sub(PATH, plan.id, TENANTS.segment), plan.name)]


KIND = Kind(
    CloudHardwarePlan,
    noun="hardware plan",
    keys=(ON_SERVER,),
    readers=PORTAL_AND_TENANTS,
    shared_through=("CloudTenantComputeResource", "plan_id"),
    fixture=records(
        "Id Name BackupServerId Platform Description ProcessorUsageLimitMhz=processor_limit_mhz"
        " MemoryUsageLimitMb=memory_limit_mb HypervisorHostRef=host_ref ParentName Storages NetworkId"
        " CountWithInternet=networks_with_internet CountWithoutInternet=networks_without_internet",
        defaults={"ParentName": "", "Storages": []},
    ),
)

FAMILY = Family(
    KIND,
    PATH,
    values,
    ups=up_to_server,
    entity_downs=downs,
    subs=(TENANTS,),
    down=Down("CloudConnectService", 2, tenants=False),
    generates=Generates(generate_plans),
    reads=reads,
)
