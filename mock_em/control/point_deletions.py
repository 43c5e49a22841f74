"""The control plane's deletions from the backup catalogue: `DELETE /mock/world/restorePoints/{id}`
and `DELETE /mock/world/backupFiles/{id}` (`mock_em.model.point_deletion`).

Each removes a restore point with its VM restore points and its file, and a full's dependent
increments with it; all of them then answer 404 on `/api`, and the repository gets the bytes
back. The answer counts what went, as the other control deletions do. Like every control request,
a deletion acts at the world's time and is journaled, so it replays in every worker alike.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from mock_em.api.errors import VeeamError
from mock_em.control.common import em
from mock_em.model.access import NotFound
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.entities import RestorePoint
from mock_em.model.job_sessions import refresh_jobs
from mock_em.model.point_deletion import delete, deletion_of
from mock_em.resources.family import BadEdit, guid_of

router = APIRouter(prefix="/world", tags=["world"])


def _id(sent: str, what: str) -> UUID:
    try:
        return guid_of(sent, what)
    except BadEdit as exc:
        raise VeeamError(400, str(exc)) from None


def _delete(manager: EnterpriseManager, sent: str, point: RestorePoint) -> dict[str, Any]:
    deletion = deletion_of(manager.world, point)
    delete(deletion)
    manager.world.changed()
    refresh_jobs(manager.world, manager.world_time)
    return {"deleted": sent, **deletion.counts()}


@router.delete("/restorePoints/{point_id}", name="delete_restore_point")
async def delete_restore_point(request: Request, point_id: str) -> dict[str, Any]:
    """Delete a restore point from its backup: its VM restore points and its file go with it, and
    after a full the increments that depend on it."""
    manager = em(request)
    point = manager.world.all("RestorePoint").get(_id(point_id, "restore point id"))
    if point is None:
        raise NotFound(f"Restore point {point_id} was not found")
    return _delete(manager, point_id, point)


@router.delete("/backupFiles/{file_id}", name="delete_backup_file")
async def delete_backup_file(request: Request, file_id: str) -> dict[str, Any]:
    """Delete a backup file: its restore point and VM restore points go with it, and a full's
    (`vbk`) dependent increments up to the next full."""
    manager = em(request)
    world = manager.world
    found = world.all("BackupFile").get(_id(file_id, "backup file id"))
    if found is None:
        raise NotFound(f"Backup file {file_id} was not found")
    return _delete(manager, file_id, world.all("RestorePoint")[found.restore_point_id])
