"""A real client's own virtual environment, built from a pinned requirements file beside this one.

Why not the test environment: a client published years ago pins what it was released with, and
those pins can clash with the test tools (veeam-exporter 1.1.0 pins requests 2.23.0, which needs
urllib3 < 1.26, while selenium needs urllib3 >= 2.6). Installing the client as published, in an
environment of its own, keeps it unmodified; the tests then run it as a separate process, as it
runs in production.

The environment lives in `.venv-clients/<name>` at the project root (ignored by git and by the
image build) and is rebuilt when its requirements file or the Python running the tests changes.
Building it needs the package index, once; pytest-xdist workers wait for each other on a lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ENVS = ROOT / ".venv-clients"
PIP_TIMEOUT = 600  # seconds for one `pip install` (a source build of PyYAML 5.3.1 among them)


def client_python(name: str) -> Path:
    """The Python of the environment built from `<name>.txt` beside this file, built if missing or
    out of date. Raises RuntimeError with pip's output when it cannot be built."""
    requirements = HERE / f"{name}.txt"
    wanted = hashlib.sha256(requirements.read_bytes() + sys.version.encode()).hexdigest()
    env = ENVS / name
    python = env / "bin" / "python"
    stamp = env / ".requirements-sha256"
    ENVS.mkdir(exist_ok=True)
    with (ENVS / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists() and stamp.exists() and stamp.read_text() == wanted:
            return python
        shutil.rmtree(env, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(env)], f"creating {env}")
        _run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)],
            f"installing {requirements.name} into {env}",
        )
        stamp.write_text(wanted)
        return python


def _run(command: list[str], doing: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{doing} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
