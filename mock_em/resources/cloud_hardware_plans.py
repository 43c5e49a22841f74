"""`/api/cloud/hardwarePlans`: the provider's hardware plans, the CPU, memory, storage and
networks each subscribed tenant's VM replicas may use on one host or cluster."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from mock_em.generator_billing import generate_plans
from mock_em.model.access import Access
from mock_em.model.entities import CloudHardwarePlan, PlanStorage, Platform, Role
from mock_em.model.fixture_values import number, text
from mock_em.model.kinds import FixtureSection, ForeignKey, Kind
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_up
from mock_em.resources.family import Down, Family, Generates
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


def ups(h: Hrefs, world: World, plan: CloudHardwarePlan, access: Access) -> list[Link]:
    """Up to the backup server the plan was made on."""
    return server_up(h, world, plan.backup_server_id, access)


def dump(p: CloudHardwarePlan) -> dict[str, Any]:
    """A hardware plan as fixture JSON."""
    return {
        "Id": str(p.id),
        "Name": p.name,
        "BackupServerId": str(p.backup_server_id),
        "Platform": p.platform.value,
        "Description": p.description,
        "ProcessorUsageLimitMhz": p.processor_limit_mhz,
        "MemoryUsageLimitMb": p.memory_limit_mb,
        "HypervisorHostRef": p.host_ref,
        "ParentName": p.parent_name,
        "Storages": [
            {
                "Id": str(s.id),
                "FriendlyName": s.friendly_name,
                "Path": s.path,
                "QuotaGb": s.quota_gb,
                "Reference": s.reference,
            }
            for s in p.storages
        ],
        "NetworkId": str(p.network_id),
        "CountWithInternet": p.networks_with_internet,
        "CountWithoutInternet": p.networks_without_internet,
    }


def load(p: dict[str, Any]) -> CloudHardwarePlan:
    """A hardware plan from fixture JSON."""
    return CloudHardwarePlan(
        id=UUID(p["Id"]),
        name=text(p, "Name"),
        backup_server_id=UUID(p["BackupServerId"]),
        platform=Platform(text(p, "Platform")),
        host_ref=text(p, "HypervisorHostRef"),
        parent_name=text(p, "ParentName", ""),
        storages=[
            PlanStorage(
                UUID(s["Id"]),
                text(s, "FriendlyName"),
                text(s, "Path"),
                number(s, "QuotaGb", 0),
                text(s, "Reference", ""),
            )
            for s in p.get("Storages", [])
        ],
        network_id=UUID(p["NetworkId"]),
        description=text(p, "Description", ""),
        processor_limit_mhz=number(p, "ProcessorUsageLimitMhz", -1),
        memory_limit_mb=number(p, "MemoryUsageLimitMb", -1),
        networks_with_internet=number(p, "CountWithInternet", 1),
        networks_without_internet=number(p, "CountWithoutInternet", 1),
    )


KIND = Kind(
    "CloudHardwarePlan",
    CloudHardwarePlan,
    what="Cloud hardware plan",
    plural="cloud hardware plans",
    noun="hardware plan",
    keys=(ForeignKey("backup_server_id", "BackupServer"),),
    readers=frozenset({Role.PortalAdministrator, Role.PortalUser}),
    fixture=FixtureSection("CloudHardwarePlans", dump, load),
)

FAMILY = Family(
    kind=KIND,
    path="/cloud/hardwarePlans",
    list_name="CloudHardwarePlans",
    values=values,
    ups=ups,
    down=Down("CloudConnectService", 2),
    generates=Generates(generate_plans),
)
