"""Each resource family's own tests (`test_<module>.py`, one per module of `mock_em.resources`) and
the registry's checks that every family is declared, served, linked and tested.

A package, so its test modules may share their names with older tests elsewhere
(`tests/api/test_backup_servers.py`); it puts `tests/api` on the path for the shared XML helpers
(`xmlutil`), as the API tests import them.
"""

from __future__ import annotations

import sys
from pathlib import Path

_API_TESTS = str(Path(__file__).resolve().parent.parent / "api")
if _API_TESTS not in sys.path:
    sys.path.append(_API_TESTS)
