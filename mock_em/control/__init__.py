"""mock-em's own control plane under `/mock` (never under `/api`): JSON in and out.

Tests and demos change the world only through it: reset, regenerate, load and export worlds,
snapshots, world edits, the clock, sessions, faults and the request journal. When a control token
is configured (`MOCK_EM_CONTROL_TOKEN`), every control route except health and readiness needs it.
"""

from __future__ import annotations

PREFIX = "/mock"
