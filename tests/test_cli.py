"""`mock-em`: help, generate → serve round trip, tenants, and readable failures (never a traceback)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import uvicorn

from mock_em.cli import _settings, main, parser
from mock_em.server import build_em
from mock_em.settings import Settings

CLOCK = "2026-01-05T12:00:00Z"
SMALL_WORLD = {"seed": 3, "tenants": 2, "replicas_per_tenant": 1, "vms_per_replica": 2, "points_per_vm": 3}
SMALL = [part for name, value in SMALL_WORLD.items() for part in ("--" + name.replace("_", "-"), str(value))]
SETTING_NAMES = [f.name for f in fields(Settings) if not f.name.startswith("_")]
WORLD_SETTINGS = {
    "seed",
    "backup_servers",
    "tenants",
    "replicas_per_tenant",
    "vms_per_replica",
    "points_per_vm",
    "fixture",
    "clock",
}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No `MOCK_EM_*` variable from the caller's shell; wide help; and no real server ever starts
    in-process (a `serve` that got past its checks would block the suite)."""
    for name in list(os.environ):
        if name.startswith("MOCK_EM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "250")

    def _no_server(*args: object, **kwargs: object) -> None:
        raise AssertionError("serve got past its checks and tried to start uvicorn")

    monkeypatch.setattr(uvicorn, "run", _no_server)
    monkeypatch.setattr(uvicorn.Server, "run", _no_server)
    monkeypatch.setattr(uvicorn.Server, "serve", _no_server)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`mock-em ARGV…` in-process: (exit status, stdout, stderr); argparse's exits count too."""
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err


def flag(name: str) -> str:
    """`points_per_vm` → `--points-per-vm`."""
    return "--" + name.replace("_", "-")


# -- help -----------------------------------------------------------------------------------


def test_top_level_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """`mock-em --help` exits 0 and names serve, generate and tenants."""
    status, out, _ = run(capsys, "--help")
    assert status == 0
    for command in ("serve", "generate", "tenants"):
        assert command in out


def test_serve_help_lists_every_setting_with_its_variable(capsys: pytest.CaptureFixture[str]) -> None:
    """Every Settings field is a `serve` flag, and its help names the `MOCK_EM_*` variable."""
    status, out, _ = run(capsys, "serve", "--help")
    assert status == 0
    assert len(SETTING_NAMES) >= 16
    for name in SETTING_NAMES:
        # The whole flag, not a prefix of a longer one (a long flag without a value ends its line).
        assert re.search(re.escape(flag(name)) + r"[\s\]]", out), flag(name)
        assert f"MOCK_EM_{name.upper()}" in out, name


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        ([], {}, False),
        (["--deterministic-sessions"], {}, True),
        ([], {"MOCK_EM_DETERMINISTIC_SESSIONS": "true"}, True),
        ([], {"MOCK_EM_DETERMINISTIC_SESSIONS": "0"}, False),
        (["--deterministic-sessions"], {"MOCK_EM_DETERMINISTIC_SESSIONS": "no"}, True),
    ],
)
def test_deterministic_sessions_flag_and_variable(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], environ: dict[str, str], expected: bool
) -> None:
    """Sessions are random unless `--deterministic-sessions` or `MOCK_EM_DETERMINISTIC_SESSIONS` asks."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert _settings(parser().parse_args(["serve", *argv])).deterministic_sessions is expected


@pytest.mark.parametrize("command", ["generate", "tenants"])
def test_world_commands_take_the_world_flags(capsys: pytest.CaptureFixture[str], command: str) -> None:
    """`generate` and `tenants` choose their world with the same flags as `serve`."""
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    for name in WORLD_SETTINGS:
        assert f"{flag(name)} " in out, flag(name)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`mock-em --version` prints the package version."""
    from mock_em import __version__

    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert out.strip() == f"mock-em {__version__}"


# -- generate and serve --fixture -------------------------------------------------------------


def test_generate_writes_a_fixture_that_serves_the_same_world(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`generate -o FILE` then `serve --fixture FILE` gives the world the flags describe, and its seed."""
    path = tmp_path / "world.json"
    status, out, err = run(capsys, "generate", *SMALL, "--clock", CLOCK, "-o", str(path))
    assert (status, out, err) == (0, "", "")
    generated = build_em(Settings(**SMALL_WORLD, clock=CLOCK))
    loaded = build_em(Settings(fixture=str(path), clock=CLOCK))
    assert len(loaded.world.points) == 2 * 1 * 2 * 3
    assert loaded.world == generated.world
    assert loaded.seed == 3


def test_generated_fixture_serves_the_same_answers(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Served from the file or generated afresh, the entity lists are the same bytes."""
    from conftest import make_client

    path = tmp_path / "world.json"
    assert run(capsys, "generate", *SMALL, "--clock", CLOCK, "-o", str(path))[0] == 0
    fresh = make_client(Settings(**SMALL_WORLD, clock=CLOCK))
    served = make_client(Settings(fixture=str(path), clock=CLOCK))
    for url in ("/api/cloud/vmReplicaPoints?format=Entity", "/api/cloud/tenants?format=Entity"):
        assert served.get_as(served.logon(), url).content == fresh.get_as(fresh.logon(), url).content, url


def test_generate_to_stdout_matches_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Without `-o` the same JSON goes to standard output."""
    path = tmp_path / "world.json"
    assert run(capsys, "generate", *SMALL, "--clock", CLOCK, "-o", str(path))[0] == 0
    status, out, _ = run(capsys, "generate", *SMALL, "--clock", CLOCK)
    assert status == 0
    assert out == path.read_text(encoding="utf-8")
    assert json.loads(out)["Format"] == "mock-em/world"


def test_tenants_prints_name_username_and_password(capsys: pytest.CaptureFixture[str]) -> None:
    """One line per tenant, in store order: name, username, password (tab-separated)."""
    status, out, _ = run(capsys, "tenants", *SMALL, "--clock", CLOCK)
    assert status == 0
    world = build_em(Settings(**SMALL_WORLD, clock=CLOCK)).world
    expected = [f"{t.name}\t{t.username}\t{t.password}" for t in world.tenants.values()]
    assert len(expected) == 2
    assert out.splitlines() == expected
    assert all(t.password for t in world.tenants.values())


# -- bad fixtures ---------------------------------------------------------------------------


BAD_FIXTURES = {
    "not-json": b"{ this is not JSON",
    "not-utf8": b"\xff\xfe\x00\x01",
    "json-list": b"[1, 2, 3]",
    "wrong-format": json.dumps({"Format": "something/else", "FormatVersion": 1}).encode(),
    "wrong-version": json.dumps({"Format": "mock-em/world", "FormatVersion": 99}).encode(),
    "missing-field": json.dumps({"Format": "mock-em/world", "FormatVersion": 1, "BackupServers": [{}]}).encode(),
    "bad-guid": json.dumps(
        {"Format": "mock-em/world", "FormatVersion": 1, "BackupServers": [{"Id": "nope", "Name": "x"}]}
    ).encode(),
    "dangling": json.dumps(
        {
            "Format": "mock-em/world",
            "FormatVersion": 1,
            "CloudVmReplicaPoints": [
                {
                    "Id": "93081441-6e3c-4584-b47a-08dc1ce24f84",
                    "ReplicaId": "6b2b42d5-3850-421c-93c1-e063f12a2ead",
                    "VmName": "srv39",
                    "CreationTimeUTC": "2015-12-25T20:00:47Z",
                }
            ],
        }
    ).encode(),
}


def assert_one_line_error(status: int, out: str, err: str) -> None:
    """A failure: non-zero exit, nothing on stdout, one readable `mock-em: …` line, no traceback."""
    assert status != 0
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mock-em: "), err
    assert len(lines[0]) > len("mock-em: ") + 10


@pytest.mark.parametrize("command", ["serve", "generate", "tenants"])
@pytest.mark.parametrize("kind", sorted(BAD_FIXTURES))
def test_bad_fixture_file_fails_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, kind: str
) -> None:
    """A fixture that is not JSON, not a mock-em world or inconsistent: one line on stderr."""
    path = tmp_path / f"{kind}.json"
    path.write_bytes(BAD_FIXTURES[kind])
    assert_one_line_error(*run(capsys, command, "--fixture", str(path)))


@pytest.mark.parametrize("command", ["serve", "generate", "tenants"])
def test_missing_fixture_file_names_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str) -> None:
    """A fixture that does not exist: one line naming the path."""
    path = tmp_path / "nowhere" / "world.json"
    status, out, err = run(capsys, command, "--fixture", str(path))
    assert_one_line_error(status, out, err)
    assert str(path) in err


@pytest.mark.parametrize("where", ["missing-dir", "directory"])
def test_unwritable_output_fails_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, where: str) -> None:
    """`generate -o` into a missing folder or onto a folder: one line, no traceback."""
    target = tmp_path / "no" / "world.json" if where == "missing-dir" else tmp_path
    assert_one_line_error(*run(capsys, "generate", *SMALL, "--clock", CLOCK, "-o", str(target)))


# -- bad settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "setting"),
    [
        (["serve", "--port", "70000"], "port"),
        (["serve", "--port", "-1"], "port"),
        (["serve", "--port", "abc"], "port"),
        (["serve", "--idle-timeout", "abc"], "idle-timeout"),
        (["serve", "--idle-timeout", "0"], "idle-timeout"),
        (["serve", "--user", "nocolon"], "user"),
        (["serve", "--clock", "notatime"], "clock"),
        (["generate", "--clock", "notatime"], "clock"),
        (["serve", "--release", "99"], "release"),
        (["serve", "--public-url", "ftp://em.example"], "public-url"),
        (["serve", "--tenants", "-1"], "tenants"),
        (["generate", "--points-per-vm", "-3"], "points-per-vm"),
        (["generate", "--seed", "x"], "seed"),
        (["serve", "--log-level", "loudest"], "log-level"),
    ],
)
def test_bad_setting_exits_2_naming_it(capsys: pytest.CaptureFixture[str], argv: list[str], setting: str) -> None:
    """Exit status 2 and a message that names the setting; no traceback."""
    status, out, err = run(capsys, *argv)
    assert status == 2, err
    assert out == ""
    assert "Traceback" not in err
    assert setting in err.lower(), err


def _serve_process(*args: str) -> subprocess.CompletedProcess[str]:
    """A real `python -m mock_em serve --host 127.0.0.1 ARGS…` that is expected to fail at start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_EM_")}
    command = [sys.executable, "-m", "mock_em", "serve", "--host", "127.0.0.1", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=30, check=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_tls_port_equal_to_port_exits_2_naming_it(tmp_path: Path) -> None:
    """`serve --tls --port P --tls-port P`: exit 2, one line naming tls-port, no traceback."""
    port = str(_free_port())
    done = _serve_process("--port", port, "--tls", "--tls-port", port, "--tls-dir", str(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "tls-port" in done.stderr


def test_missing_tls_certificate_exits_2_naming_it(tmp_path: Path) -> None:
    """`serve --tls --tls-cert MISSING --tls-key MISSING`: exit 2, names the setting or file, no traceback."""
    cert, key = tmp_path / "missing-cert.pem", tmp_path / "missing-key.pem"
    done = _serve_process(
        "--port",
        str(_free_port()),
        "--tls",
        "--tls-port",
        str(_free_port()),
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "tls-cert" in done.stderr or str(cert) in done.stderr


# -- the real entry points ----------------------------------------------------------------------


def test_console_script_and_python_m_work(tmp_path: Path) -> None:
    """`mock-em` (the installed console script) and `python -m mock_em` both run the CLI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_EM_")}
    script = Path(sys.executable).with_name("mock-em")
    assert script.exists(), f"console script not installed next to {sys.executable}"
    by_script = subprocess.run(
        [str(script), "tenants", *SMALL, "--clock", CLOCK], capture_output=True, text=True, env=env, timeout=60
    )
    by_module = subprocess.run(
        [sys.executable, "-m", "mock_em", "tenants", *SMALL, "--clock", CLOCK],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert by_script.returncode == 0, by_script.stderr
    assert by_module.returncode == 0, by_module.stderr
    assert by_script.stdout == by_module.stdout
    assert len(by_script.stdout.splitlines()) == 2
    bad = subprocess.run(
        [str(script), "tenants", "--fixture", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr
    assert bad.stderr.startswith("mock-em: ")
