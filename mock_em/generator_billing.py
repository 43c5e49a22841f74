"""What a generated provider's tenants use and may use: their backup resources (quotas on the
provider's cloud repositories) and what their cloud backups hold there.

Drawn from a seeded RNG of its own (`billing:{seed}`), never from the generator's, so that adding
these objects moves no draw of the world's existing objects: the same seed gives the same
servers, tenants, replicas and points as before, byte for byte, and these beside them.
"""

from __future__ import annotations

import math
import random
from datetime import datetime
from uuid import UUID

from mock_em.model.entities import CloudTenantResource
from mock_em.model.ids import guid
from mock_em.model.usage import RESOURCE_KIND, cloud_backup, refresh_usage
from mock_em.model.world import World

REPOSITORY_NAMES = ("Cloud Repository", "Cloud Vol", "Cloud SOBR", "Tenant Backups")
QUOTA_STEP_MB = 50 * 1024  # quotas are whole multiples of 50 GB, as providers sell them
MIN_QUOTA_MB = 100 * 1024


def add_billing(world: World, seed: int, now: datetime) -> World:
    """Give every tenant its backup resources, sized for the most its cloud backups can hold, and
    their use as of `now`; returns the world."""
    rng = random.Random(f"billing:{seed}")
    repositories = {server_id: _repositories(rng) for server_id in world.backup_servers}
    resources = world.all(RESOURCE_KIND)
    for tenant in world.tenants.values():
        offered = repositories[tenant.backup_server_id]
        count = 1 if rng.random() < 0.75 else 2
        chosen = rng.sample(offered, count)
        wan = guid(rng) if rng.random() < 0.3 else None
        for position, (repository_id, repository_name) in enumerate(chosen):
            backups = [cloud_backup(tenant.id, i) for i in range(tenant.backup_count) if i % count == position]
            bound = sum(b.bound_mb() for b in backups)
            quota = max(MIN_QUOTA_MB, math.ceil(bound * rng.uniform(1.15, 1.6) / QUOTA_STEP_MB) * QUOTA_STEP_MB)
            resource = CloudTenantResource(
                id=guid(rng),
                tenant_id=tenant.id,
                repository_id=repository_id,
                repository_name=repository_name,
                quota_mb=quota,
                wan_accelerator_id=wan if position == 0 else None,
            )
            resources[resource.id] = resource
    refresh_usage(world, now)
    world.version = 0  # a generated world starts unchanged
    return world


def _repositories(rng: random.Random) -> list[tuple[UUID, str]]:
    """Two to four cloud repositories of one backup server: (id, friendly name)."""
    family = rng.choice(REPOSITORY_NAMES)
    return [(guid(rng), f"{family} {n:02d}") for n in range(1, rng.randint(2, 4) + 1)]
