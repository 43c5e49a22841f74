"""An import over HTTPS from a real `mock-em serve --tls` process: the certificate is verified
unless told otherwise; then `mock-em serve --fixture` of what it wrote answers as the source did
(its release, its clock)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpcore  # noqa: F401  # see below
import httpx
import pytest
from e2e.test_real_server_curl import Server, free_port, start_server

from mock_em.cli import main

# httpx imports httpcore when it first needs it and maps its errors by class from then on; a test
# run in-process by pytester (tests/testing) drops the modules first imported during it, so an
# httpcore imported there comes back as other classes that httpx no longer maps. Imported here,
# at collection, it is there before any test and stays one module.

ROOT = Path(__file__).resolve().parents[2]
CLOCK = "2026-11-30T10:00:00Z"


@pytest.fixture(scope="module")
def tls_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int, Path]]:
    folder = tmp_path_factory.mktemp("tls-source")
    port, tls_port = free_port(), free_port()
    args = ["--host", "127.0.0.1", "--port", str(port), "--tls", "--tls-port", str(tls_port)]
    args += ["--tls-dir", str(folder / "tls"), "--fixture", str(ROOT / "fixtures" / "seed-sample.json")]
    args += ["--release", "13", "--clock", CLOCK]
    server, _ = start_server(args, port, folder / "log")
    try:
        yield server, tls_port, folder / "tls" / "ca.pem"
    finally:
        server.stop()


def _import(url: str, out: Path, *extra: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("MOCK_EM_IMPORT_PASSWORD", "P@ssw0rd")
    return main(["import", "--from", url, "--user", "Administrator", "--out", str(out), "--rate", "1000", *extra])


def test_the_certificate_is_verified_unless_told(
    tls_source: tuple[Server, int, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, tls_port, ca = tls_source
    url = f"https://localhost:{tls_port}"
    out = tmp_path / "world.json"
    assert _import(url, out, "--retries", "0", monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err
    assert "the certificate could not be verified" in err and "--ca FILE" in err
    assert not out.exists()

    assert _import(url, out, "--ca", str(ca), monkeypatch=monkeypatch) == 0
    assert json.loads(out.read_text())["Release"] == "13"
    capsys.readouterr()

    insecure = tmp_path / "insecure.json"
    assert _import(url, insecure, "--insecure", monkeypatch=monkeypatch) == 0
    assert "warning: --insecure" in capsys.readouterr().err
    assert insecure.read_bytes() == out.read_bytes()


def test_serve_answers_as_the_source_did(
    tls_source: tuple[Server, int, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, tls_port, ca = tls_source
    out = tmp_path / "world.json"
    assert _import(f"https://localhost:{tls_port}", out, "--ca", str(ca), "--quiet", monkeypatch=monkeypatch) == 0
    port = free_port()
    served, _ = start_server(
        ["--host", "127.0.0.1", "--port", str(port), "--fixture", str(out)], port, tmp_path / "log"
    )
    try:
        root = httpx.get(f"http://127.0.0.1:{port}/api/", headers={"Accept": "application/json"}, timeout=10)
        assert "supportedVersions" in root.json()  # 13's camelCase: the release came with the fixture
        assert root.headers.get_list("date") == ["Mon, 30 Nov 2026 10:00:00 GMT"]  # the source's time, frozen
    finally:
        served.stop()
