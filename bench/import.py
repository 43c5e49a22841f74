"""`mock-em import` of a world of about 100,000 VM restore points at the default rate: how long
it takes, how many requests it sends, and whether the fixture serves the same counts.

    python bench/import.py [--vm-points 100000] [-- more import flags]

The source is `mock-em serve` in its own process (pinned to the server core), a generated world
of one backup server whose backup jobs of 34 VMs keep 30 points per VM (about `--vm-points` VM
restore points, with their restore points, files, sessions and task sessions), its clock frozen
at a night's instant. The import runs as the command runs, with its defaults (rate, concurrency,
page size) unless flags after `--` say otherwise. Printed: the import's wall time, its requests
(the source's journal count), the objects per kind in the fixture, its size, and how long
`serve --fixture` takes to load it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, ROOT, SERVER_CPU, free_port, machine, stop, table, taskset, wait_until_up

VMS_PER_JOB, RETENTION = 34, 30
AT = "2026-12-09T03:00:00Z"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vm-points", type=int, default=100_000)
    args, more = parser.parse_known_args()
    more = [m for m in more if m != "--"]
    jobs = max(1, round(args.vm_points / (VMS_PER_JOB * RETENTION)))
    port = free_port()
    serve = [
        *taskset(SERVER_CPU), PYTHON, "-m", "mock_em", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--clock", AT, "--jobs-per-server", str(jobs), "--vms-per-job", str(VMS_PER_JOB),
        "--job-retention", str(RETENTION), "--replica-jobs-percent", "0", "--journal-size", "1000000",
    ]  # fmt: skip
    source = subprocess.Popen(serve, cwd=ROOT)
    with tempfile.TemporaryDirectory() as folder:
        out, password = Path(folder) / "world.json", Path(folder) / "password"
        password.write_text("P@ssw0rd\n", encoding="utf-8")
        try:
            wait_until_up(port, source)
            url = f"http://127.0.0.1:{port}"
            command = [PYTHON, "-m", "mock_em", "import", "--from", url, "--user", "Administrator",
                       "--password-file", str(password), "--out", str(out), *more]  # fmt: skip
            started = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True, stdin=subprocess.DEVNULL)
            took = time.perf_counter() - started
            requests = journal_count(url)
        finally:
            stop(source, 30)
        data = json.loads(out.read_text(encoding="utf-8"))
        sections = {k: len(v) for k, v in data.items() if isinstance(v, list)}
        started = time.perf_counter()
        load = [PYTHON, "-c", f"from mock_em.server import build_em; from mock_em.settings import Settings; "
                f"build_em(Settings(fixture={str(out)!r}))"]  # fmt: skip
        subprocess.run(load, cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        loaded = time.perf_counter() - started
        size = out.stat().st_size
    print(machine())
    print(table(["measure", "value"], [
        ["VM restore points read", f"{sections.get('VmRestorePoints', 0):,}"],
        ["objects read (all kinds)", f"{sum(sections.values()):,}"],
        ["import wall time", f"{took:.1f} s"],
        ["requests (source journal)", f"{requests:,}"],
        ["requests per second", f"{requests / took:.1f}"],
        ["fixture size", f"{size / 2**20:.1f} MiB"],
        ["serve --fixture load (process)", f"{loaded:.1f} s"],
    ]))  # fmt: skip
    print(table(["kind", "objects"], [[k, f"{n:,}"] for k, n in sections.items() if n]))


def journal_count(url: str) -> int:
    """The requests the source's journal holds (every request since it started)."""
    from mock_em.testing.client import MockEmClient

    with MockEmClient(url) as control:
        return control.journal_count()


if __name__ == "__main__":
    main()
