"""What EM shows inside a Cloud Connect tenant besides its own fields: its backup resources
(`resources`) and compute resources (`computeResources`). See `nested.py`."""

from __future__ import annotations

from mock_em.resources.tenant import backup_resources, compute_resources
from mock_em.resources.tenant.nested import Nested

NESTED: tuple[Nested, ...] = (backup_resources.NESTED, compute_resources.NESTED)
