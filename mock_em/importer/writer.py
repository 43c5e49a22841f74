"""The fixture an import writes: the world as `mock-em serve --fixture` reads it, with when and
from which release it was read.

`ImportedAt` is the source's own time at the logon (its answer's HTTP `Date`), so that a server
of the fixture starts its clock where the source's stood and shows the same "last 24 hours";
`Release` is the release read, so that it answers as the source did. Both stand among the
header members, before the world's sections, where `mock_em.settings.fixture_header` finds them
without reading the world.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from mock_em.model.fixture import format_time, world_to_dict
from mock_em.model.world import World


def fixture_of(world: World, release: str, imported_at: datetime) -> dict[str, Any]:
    """The fixture data of an imported world."""
    data = world_to_dict(world, None)
    header = {key: value for key, value in data.items() if not isinstance(value, list | dict)}
    sections = {key: value for key, value in data.items() if key not in header}
    header.setdefault("Release", release)
    header["ImportedAt"] = format_time(imported_at)
    return {**header, **sections}


def write_json(path: str | Path, data: Any, *, private: bool = False) -> None:
    """Write JSON whole or not at all: into a file beside `path`, then renamed over it, so a
    failed import never leaves half a fixture where a good one stood. `private`: readable by
    the owner alone (what maps anonymized names back to real ones)."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
            out.write("\n")
        if not private:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
