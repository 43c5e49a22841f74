"""veeam-exporter as a process of its own: configured for one mock-em, its clock at mock-em's.

It runs from its own environment (`client_env.py`) through `run_at.py`, listening on a free port
of 127.0.0.1, with the metric files its package ships, listed in an order where each file's
inputs come first: the per-VM file reads the `jobs` the per-job file gathered in the same scrape,
and the package's default (a glob) leaves their order to the file system.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from clients.client_env import HERE, client_python

ENTRY = "veeam_exporter.veeam_exporter:main"  # its console script, `veeam_exporter`
HOST = "127.0.0.1"
METRIC_FILES = (
    "backup_servers",
    "repositories",
    "backup_jobs_sessions",
    "vm_backup_jobs_sessions",
    "veeam_overview",
    "vm_overview",
    "jobs_overview",
    "backup_agent",
)
START_TIMEOUT = 60.0


@dataclass
class Exporter:
    """A running veeam-exporter: its URL, its process and its log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def scrape(self) -> str:
        """One Prometheus scrape of the EM through the exporter (`/metrics?target=<host>`)."""
        response = httpx.get(f"{self.url}/metrics", params={"target": HOST}, timeout=120)
        assert response.status_code == 200, (response.status_code, response.text, self.log.read_text())
        return response.text


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def write_config(where: Path, python: Path, em_port: int, port: int) -> Path:
    """The exporter's config.yml: the EM over plain HTTP, where to listen (its `-w` flag is read
    under a name argparse never sets, so only the config's `weblisten` counts), a log file, and
    the package's metric files."""
    found = subprocess.run(
        [str(python), "-c", "import veeam_exporter, os; print(os.path.dirname(veeam_exporter.__file__))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    metrics = Path(found.stdout.strip()) / "conf" / "metrics"
    files = "\n".join(f"  - {metrics / name}_metrics.yml" for name in METRIC_FILES)
    config = where / "config.yml"
    config.write_text(
        f"veeams:\n  - host: {HOST}\n    port: {em_port}\n    protocol: http\n    verify_ssl: false\n"
        f"    user: 'Administrator'\n    password: 'P@ssw0rd'\n    timeout: 60\n"
        f"weblisten:\n  address: {HOST}\n  port: {port}\n"
        f"logger:\n  level: info\n  facility: {where / 'exporter.log'}\n"
        f"metrics_file:\n{files}\n"
    )
    return config


@contextmanager
def running_exporter(em_port: int, clock: str, where: Path) -> Iterator[Exporter]:
    """veeam-exporter for the EM on `em_port`, its clock standing at `clock`, its files in
    `where`; stopped on leaving. Raises RuntimeError when it cannot be installed or started."""
    python = client_python("veeam-exporter")
    port = free_port()
    config = write_config(where, python, em_port, port)
    command = [str(python), str(HERE / "run_at.py"), clock, ENTRY, "-c", str(config)]
    printed = where / "stdout.log"
    with printed.open("wb") as output:
        process = subprocess.Popen(command, cwd=where, stdout=output, stderr=subprocess.STDOUT)
        exporter = Exporter(f"http://{HOST}:{port}", process, where / "exporter.log")
        try:
            _wait_until_up(exporter, printed)
            yield exporter
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(exporter: Exporter, printed: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if exporter.process.poll() is not None:
            raise RuntimeError(f"veeam-exporter exited with {exporter.process.returncode}:\n{printed.read_text()}")
        try:
            if httpx.get(f"{exporter.url}/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"veeam-exporter did not answer within {START_TIMEOUT:.0f} s:\n{printed.read_text()}")
        time.sleep(0.1)
