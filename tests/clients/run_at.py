"""Run a client's console entry point with the machine's clock standing at one instant.

    python run_at.py 2026-01-05T14:10:00Z veeam_exporter.veeam_exporter:main [arguments...]

Why: a monitoring client reads its own clock to decide what is recent (veeam-exporter keeps the
job sessions created after `now - 1 day`, and times a running one up to `now`), while mock-em's
world stands at a frozen instant. Run against a real EM, both read the same wall clock; here the
client's process reads the EM's instant instead, and keeps reading it (the clock does not tick),
so each scrape sees exactly what mock-em's own API says at that instant. Only the clock is
changed (time-machine patches `time.time` and `datetime.now`, not the monotonic clock that
timeouts use); the client's code runs as published, called as its console script calls it.

This file runs in the client's own environment (client_env.py), not the test environment.
"""

from __future__ import annotations

import importlib
import sys
from datetime import datetime

import time_machine


def main() -> None:
    instant, entry, *arguments = sys.argv[1:]
    when = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    time_machine.travel(when, tick=False).start()
    module, _, function = entry.partition(":")
    sys.argv = [module.rsplit(".", 1)[-1], *arguments]
    getattr(importlib.import_module(module), function)()


if __name__ == "__main__":
    main()
