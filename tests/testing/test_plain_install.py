"""`pip install mock-em` alone (no extras), then `pytest` in a user's project: the plugin that the
`pytest11` entry point loads into every pytest run must import, and its fixtures must work, with
nothing but the package's own dependencies installed.

A fresh virtual environment gets a copy of the sources (so the build leaves nothing behind here)
and pytest, the user's own test runner; nothing else. Installing takes tens of seconds (about
25 s with a warm pip cache); `-k "not plain_install"` leaves it out of a quick run. It skips,
saying why, when the package index cannot be reached.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT = 900
RUN_TIMEOUT = 300
# What pip says when the index went away during the install (as against a package that does not install).
OFFLINE = ("NewConnectionError", "Max retries exceeded", "Temporary failure in name resolution", "timed out")

USER_TEST = """
import mock_em as package


def test_the_installed_package_is_used():
    assert "site-packages" in package.__file__


def test_reset_and_logon(mock_em):
    mock_em.reset()
    token = mock_em.logon()
    assert [s["sessionId"] for s in mock_em.sessions()] == [mock_em.session_id(token)]
    mock_em.logoff(token)


def test_in_process_app(mock_em_asgi_client):
    assert mock_em_asgi_client.get("/api/").status_code == 200
"""


def unreachable_index() -> str | None:
    """Why the package index pip would use cannot be reached, or None if it answers."""
    index = os.environ.get("PIP_INDEX_URL") or "https://pypi.org/simple/"
    try:
        with urllib.request.urlopen(index.rstrip("/") + "/pip/", timeout=10) as answer:
            answer.read(1)
    except (OSError, ValueError) as exc:
        return f"{index}: {exc}"
    return None


def clean_environment() -> dict[str, str]:
    """This process's environment without what would let the fresh one see these sources or these
    settings (PYTHONPATH, an active virtual environment, `MOCK_EM_*`, pytest options)."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")
    return {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith(("MOCK_EM_", "PYTEST_XDIST"))}


def run(command: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=clean_environment(), capture_output=True, text=True, timeout=timeout, check=False
    )


def test_the_plugin_works_after_a_plain_install(tmp_path: Path) -> None:
    """Install mock-em (and pytest) into a new venv; a project's test using the fixtures passes."""
    reason = unreachable_index()
    if reason:
        pytest.skip(f"the package index is unreachable, so mock-em cannot be installed into a fresh venv ({reason})")
    source = tmp_path / "mock-em"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "mock_em", source / "mock_em", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], tmp_path, RUN_TIMEOUT)
    assert made.returncode == 0, made.stderr
    python = str(venv / "bin" / "python")
    install = [python, "-m", "pip", "install", "--quiet", "--no-compile", "--no-warn-script-location"]
    installed = run([*install, str(source), "pytest"], tmp_path, INSTALL_TIMEOUT)
    if installed.returncode != 0 and any(sign in installed.stderr for sign in OFFLINE):
        pytest.skip(f"pip could not reach the package index: {installed.stderr.strip()[-300:]}")
    assert installed.returncode == 0, installed.stderr
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_user.py").write_text(textwrap.dedent(USER_TEST))
    result = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, RUN_TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout, result.stdout
