"""`mock-em import` end to end against a real mock-em on a socket: the fixture it writes loads
and serves as the source's release at the source's time; it only logs on, reads and logs off;
the password goes nowhere but into the logon."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

import httpcore  # noqa: F401  # see below
import httpx
import pytest

from mock_em.cli import main
from mock_em.model.fixture import load_world, parse_time
from mock_em.settings import Settings
from mock_em.testing.server import MockEmServer

# httpx imports httpcore when it first needs it and maps its errors by class from then on; a test
# run in-process by pytester (tests/testing) drops the modules first imported during it, so an
# httpcore imported there comes back as other classes that httpx no longer maps. Imported here,
# at collection, it is there before any test and stays one module.

ROOT = Path(__file__).resolve().parents[2]
SEED_FIXTURE = str(ROOT / "fixtures" / "seed-sample.json")
CLOCK = "2026-11-30T10:00:00Z"
PASSWORD = "Zq9!import-only-pw"  # a password found nowhere else, to look for
ACCOUNTS = ("Administrator:P@ssw0rd", f"Importer:{PASSWORD}")
ALLOWED = {("POST", "/api/sessionMngr"), ("GET", None), ("DELETE", "/api/logonSessions")}


@pytest.fixture(scope="module")
def server() -> Iterator[MockEmServer]:
    with MockEmServer(fixture=SEED_FIXTURE, clock=CLOCK, user=ACCOUNTS) as running:
        yield running


@pytest.fixture
def source(server: MockEmServer) -> Iterator[MockEmServer]:
    with server.client() as control:
        control.reset()
    yield server


def _import(url: str, out: Path, *extra: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("MOCK_EM_IMPORT_PASSWORD", PASSWORD)
    return main(["import", "--from", url, "--user", "Importer", "--out", str(out), "--rate", "1000", *extra])


def _kind(entry: dict) -> tuple[str, str | None]:
    path = entry["canonicalPath"]
    for method, prefix in ALLOWED:
        if entry["method"] == method and (prefix is None or path.startswith(prefix)):
            return method, prefix
    return entry["method"], path


def test_the_fixture_loads_and_serves_as_the_source_at_its_time(
    source: MockEmServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "world.json"
    assert _import(source.url, out, monkeypatch=monkeypatch) == 0
    err = capsys.readouterr().err
    summary = err.strip().splitlines()[-1]
    assert summary.startswith("mock-em import: ") and f"wrote {out}" in summary and "9.5u4" in summary
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["Release"], data["ImportedAt"]) == ("9.5u4", CLOCK)
    assert list(data)[:3] == ["Format", "FormatVersion", "Seed"]
    load_world(out)  # a world mock-em reads

    with source.client() as control:
        journal = control.journal()  # newest first
    requests = int(summary.split(" requests")[0].rsplit(" ", 1)[-1])
    assert len(journal) == requests  # every request the import counted, and no other
    assert {_kind(e) for e in journal} <= ALLOWED
    assert (journal[-1]["method"], journal[-1]["canonicalPath"]) == ("GET", "/api")  # what it is, first
    assert (journal[-2]["method"], journal[-2]["canonicalPath"]) == ("POST", "/api/sessionMngr")
    assert journal[0]["method"] == "DELETE" and journal[0]["status"] == 204  # logged off, last
    assert all(e["headers"].get("accept") == "application/json" for e in journal if e["method"] == "GET")

    settings = Settings.from_sources({"fixture": str(out), "host": "127.0.0.1", "port": 0}, environ={})
    assert (settings.release, settings.clock) == ("9.5u4", CLOCK)
    with MockEmServer(settings) as served:
        answer = httpx.get(f"{served.url}/api/", headers={"Accept": "application/json"})
        assert answer.status_code == 200 and "SupportedVersions" in answer.json()
        assert answer.headers.get_list("date") == [format_datetime(parse_time(CLOCK), usegmt=True)]


def test_the_date_header_follows_the_em_clock(source: MockEmServer) -> None:
    with source.client() as control:
        first = httpx.get(f"{source.url}/api/")
        assert first.headers.get_list("date") == ["Mon, 30 Nov 2026 10:00:00 GMT"]  # one, the EM's
        control.set_clock("2027-02-03T04:05:06Z")
        assert httpx.get(f"{source.url}/api/").headers["date"] == "Wed, 03 Feb 2027 04:05:06 GMT"
        assert httpx.get(f"{source.url}/mock/health").headers["date"] == "Wed, 03 Feb 2027 04:05:06 GMT"
        unknown = httpx.get(f"{source.url}/api/noSuchThing")  # an error answer is dated alike
        assert unknown.status_code == 404 and unknown.headers.get_list("date") == ["Wed, 03 Feb 2027 04:05:06 GMT"]


def test_the_password_is_nowhere_but_in_the_logon(source: MockEmServer, tmp_path: Path) -> None:
    out = tmp_path / "world.json"
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    with source.client() as control:  # slow answers, so the process can be looked at while it reads
        control.add_fault("/api/logonSessions/*", method="DELETE", latency_ms=600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_EM_")}
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "mock_em", "import", "--from", source.url, "--user", "Importer"]
    command += ["--password-file", str(password_file), "--out", str(out)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = b""
    while process.poll() is None:
        try:
            seen = Path(f"/proc/{process.pid}/cmdline").read_bytes() or seen
        except OSError:
            break
        time.sleep(0.05)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()
    assert b"import" in seen and PASSWORD.encode() not in seen  # the process list never shows it
    for text in (stdout, stderr, out.read_bytes()):
        assert PASSWORD.encode() not in text
    assert b"wrote" in stderr

    # standard input, and a wrong password: refused, and not repeated
    wrong = subprocess.run(
        [*command[:-4], "--password-file", "-", "--out", str(out)],
        cwd=ROOT,
        env=env,
        input=(PASSWORD + "x\n").encode(),
        capture_output=True,
        timeout=60,
    )
    assert wrong.returncode == 1
    assert b"refused the logon of 'Importer'" in wrong.stderr and PASSWORD.encode() not in wrong.stderr


def test_a_missing_anonymizer_is_said_before_the_source_is_asked(
    source: MockEmServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "mock_em.importer.anonymize", None)  # as if it were not there
    out = tmp_path / "world.json"
    assert _import(source.url, out, "--anonymize", monkeypatch=monkeypatch) == 2
    assert "no anonymizer (mock_em.importer.anonymize is missing)" in capsys.readouterr().err
    assert not out.exists()
    with source.client() as control:
        assert control.journal() == []


def test_anonymize_writes_what_the_anonymizer_made_and_its_report(
    source: MockEmServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[int] = []

    def anonymize(data: dict, seed: int) -> tuple[dict, dict]:
        calls.append(seed)
        return {**data, "Seed": None, "Anonymized": seed}, {"Seed": seed, "Replaced": 0}

    module = types.ModuleType("mock_em.importer.anonymize")
    module.anonymize = anonymize  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mock_em.importer.anonymize", module)
    out = tmp_path / "world.json"
    assert _import(source.url, out, "--anonymize", "--seed", "7", monkeypatch=monkeypatch) == 0
    assert calls == [7]
    assert json.loads(out.read_text())["Anonymized"] == 7
    report = Path(f"{out}.report.json")
    assert json.loads(report.read_text()) == {"Seed": 7, "Replaced": 0}
    assert stat.S_IMODE(report.stat().st_mode) == 0o600  # it may map real names to made-up ones
    assert "anonymized with seed 7" in capsys.readouterr().err
    elsewhere = tmp_path / "report.json"
    assert _import(source.url, out, "--anonymize", "--report", str(elsewhere), monkeypatch=monkeypatch) == 0
    assert elsewhere.exists() and isinstance(calls[-1], int)


def test_an_unreachable_source_fails_cleanly_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "world.json"
    assert _import("http://127.0.0.1:9", out, "--retries", "1", monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err
    assert "GET /api/" in err and "(2 attempts)" in err and PASSWORD not in err
    assert not out.exists()
