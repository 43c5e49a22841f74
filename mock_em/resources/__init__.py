"""The resource families mock-em emulates, one module each; `mock_em.registry` derives the rest.

The order is the order of a world's kinds: fixture sections, reference checks, `World.of`'s
arguments. A family must come after the families its foreign keys name. `NESTED` are the kinds a
tenant's entity holds (backup and compute resources), stored after every family.
"""

from __future__ import annotations

from mock_em.resources import (
    agent_protection_groups,
    backup_files,
    backup_servers,
    backup_sessions,
    backup_task_sessions,
    backups,
    cloud_failover_plans,
    cloud_gateways,
    cloud_hardware_plans,
    cloud_public_ip_addresses,
    cloud_replicas,
    cloud_tenants,
    cloud_vm_replica_points,
    discovered_computers,
    hierarchy_roots,
    jobs,
    managed_servers,
    replica_sessions,
    replica_task_sessions,
    repositories,
    restore_points,
    vm_restore_points,
)
from mock_em.resources.family import Family
from mock_em.resources.tenant import NESTED

FAMILIES: tuple[Family, ...] = (
    backup_servers.FAMILY,
    cloud_tenants.FAMILY,
    cloud_replicas.FAMILY,
    cloud_vm_replica_points.FAMILY,
    cloud_hardware_plans.FAMILY,
    cloud_gateways.FAMILY,
    cloud_public_ip_addresses.FAMILY,
    cloud_failover_plans.FAMILY,
    repositories.FAMILY,
    jobs.FAMILY,
    backups.FAMILY,
    restore_points.FAMILY,
    backup_files.FAMILY,
    vm_restore_points.FAMILY,
    backup_sessions.FAMILY,
    replica_sessions.FAMILY,
    backup_task_sessions.FAMILY,
    replica_task_sessions.FAMILY,
    managed_servers.FAMILY,
    hierarchy_roots.FAMILY,
    agent_protection_groups.FAMILY,
    discovered_computers.FAMILY,
)

__all__ = ["FAMILIES", "NESTED"]
