"""The import's parts on their own: camelCase read back, the release a root shows, the token
bucket, the backoff, the password's sources, the fixture header `serve` reads."""

from __future__ import annotations

import asyncio
import io
import json
import random
from pathlib import Path

import pytest

from mock_em.cli import main
from mock_em.importer.client import Gentleness, Source, SourceError, TokenBucket, base_url
from mock_em.importer.command import ImportFailed, read_password
from mock_em.importer.notation import pascal, to_pascal
from mock_em.importer.progress import Progress
from mock_em.importer.release import UnknownSource, detect_release
from mock_em.releases import API_VERSIONS, PROFILES
from mock_em.settings import Settings, fixture_header
from mock_em.wire.template import camel_case


def test_camel_case_names_read_back_as_the_vendor_spells_them() -> None:
    for name in ("UID", "VAppRestorePoints", "CreationTimeUTC", "NASJobs", "PagesCount", "EnterpiseRoles", "Href"):
        assert pascal(camel_case(name)) == name
    assert pascal("someNewMember") == "SomeNewMember"  # unknown: the first letter raised
    data = {"uid": "urn:veeam:Job:1", "links": [{"rel": "Up", "href": "x"}], "name": "uid"}
    assert to_pascal(data) == {"UID": "urn:veeam:Job:1", "Links": [{"Rel": "Up", "Href": "x"}], "Name": "uid"}


def _root(versions: tuple[str, ...], camel: bool = False) -> dict:
    if camel:
        return {"supportedVersions": {"supportedVersions": [{"name": v} for v in versions]}}
    return {"SupportedVersions": {"SupportedVersions": [{"Name": v} for v in versions]}}


@pytest.mark.parametrize("release", list(PROFILES))
def test_every_release_is_told_by_its_root(release: str) -> None:
    known = PROFILES[release]
    found, warnings = detect_release(_root(known.api_versions, known.json.camel_case))
    assert (found.name, warnings) == (release, [])


def test_a_newer_source_is_read_as_the_newest_release_it_serves_with_a_warning() -> None:
    found, warnings = detect_release(_root((*API_VERSIONS[5:], "v1_8")))
    assert found.name == "12" and "v1_8" in warnings[0]
    found, _ = detect_release(_root((*API_VERSIONS[5:], "v1_8"), camel=True))
    assert found.name == "13"
    with pytest.raises(UnknownSource):
        detect_release({"Links": []})
    with pytest.raises(UnknownSource):
        detect_release(_root(("v9",)))


def test_the_token_bucket_keeps_the_rate() -> None:
    now = [0.0]
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    async def take(n: int) -> None:
        bucket = TokenBucket(rate=4, burst=2, clock=lambda: now[0], sleep=sleep)
        for _ in range(n):
            await bucket.take()

    asyncio.run(take(10))
    assert now[0] == pytest.approx((10 - 2) / 4)  # the burst at once, then one every quarter second
    assert len(waited) == 8


def test_backoff_doubles_with_jitter_and_is_bounded() -> None:
    source = Source("http://em.example:9399", "u", "pw", gentleness=Gentleness(backoff=1, max_backoff=8))
    source._jitter = random.Random(3)
    waits = [source._backoff(attempt) for attempt in range(6)]
    for attempt, wait in enumerate(waits):
        full = min(8, 2**attempt)
        assert full / 2 <= wait <= full
    again = Source("http://em.example:9399", "u", "pw", gentleness=Gentleness(backoff=1, max_backoff=8))
    again._jitter = random.Random(3)
    assert [again._backoff(a) for a in range(6)] == waits  # a seeded jitter repeats


def test_base_url_takes_the_api_off_and_refuses_credentials() -> None:
    assert base_url("https://em.example:9398/api/") == "https://em.example:9398"
    assert base_url("https://proxy.example/em/") == "https://proxy.example/em"
    with pytest.raises(SourceError, match="no user name or password") as caught:
        base_url("https://admin:hunter2@em.example:9398")
    assert "hunter2" not in str(caught.value)
    with pytest.raises(SourceError):
        base_url("em.example:9398")


def test_the_password_comes_from_a_file_stdin_or_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "pw"
    file.write_text("s3cret pass\r\n", encoding="utf-8")
    assert read_password(str(file), environ={}) == "s3cret pass"
    assert read_password("-", environ={}, stdin=io.StringIO("from stdin\n")) == "from stdin"
    assert read_password(None, environ={"MOCK_EM_IMPORT_PASSWORD": "env pw"}) == "env pw"
    with pytest.raises(ImportFailed, match="no password"):
        read_password(None, environ={})
    with pytest.raises(ImportFailed, match="cannot read"):
        read_password(str(tmp_path / "missing"), environ={})


@pytest.mark.parametrize("flag", ["--password", "--password=hunter2", "-p", "--pass"])
def test_no_password_flag_and_the_password_is_not_repeated(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    words = ["import", "--from", "http://em.example:9399", "--user", "a", "--out", "x.json"]
    words += [flag] if "=" in flag else [flag, "hunter2"]
    assert main(words) == 2
    err = capsys.readouterr().err
    assert "no password on the command line" in err and "hunter2" not in err


def test_usage_errors_say_which_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["import", "--from", "http://127.0.0.1:9", "--user", "a", "--out", str(tmp_path / "w.json")]
    for extra, said in (
        (["--rate", "0"], "--rate"),
        (["--concurrency", "0"], "--concurrency"),
        (["--seed", "3"], "--seed: only with --anonymize"),
        (["--ca", "x.pem", "--insecure"], "exclude each other"),
        (["--release", "99"], "--release"),
    ):
        assert main([*base, *extra]) == 2
        assert said in capsys.readouterr().err


def test_the_fixture_header_is_read_from_the_head_alone(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    header = {"Format": "mock-em/world", "FormatVersion": 1, "Seed": None, "Release": "13"}
    text = json.dumps({**header, "ImportedAt": "2026-11-30T10:00:00Z", "BackupServers": [{"Release": "x"}]}, indent=1)
    path.write_text(text, encoding="utf-8")
    assert fixture_header(str(path)) == {**header, "ImportedAt": "2026-11-30T10:00:00Z"}
    late = tmp_path / "late.json"  # a member after the first section is the world's, not the header's
    late.write_text(json.dumps({"Format": "mock-em/world", "BackupServers": [], "Release": "13"}), encoding="utf-8")
    assert fixture_header(str(late)) == {"Format": "mock-em/world"}
    assert fixture_header(str(tmp_path / "missing.json")) == {}


def test_an_imported_fixture_chooses_release_and_clock_unless_told(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text(
        json.dumps(
            {"Format": "mock-em/world", "FormatVersion": 1, "Release": "12", "ImportedAt": "2026-11-30T10:00:00Z"}
        ),
        encoding="utf-8",
    )
    settings = Settings.from_sources({"fixture": str(path)}, environ={})
    assert (settings.release, settings.clock) == ("12", "2026-11-30T10:00:00Z")
    told = Settings.from_sources({"fixture": str(path), "release": "13", "clock": "2026-01-01T00:00:00Z"}, environ={})
    assert (told.release, told.clock) == ("13", "2026-01-01T00:00:00Z")
    by_env = Settings.from_sources({"fixture": str(path)}, environ={"MOCK_EM_RELEASE": "10"})
    assert (by_env.release, by_env.clock) == ("10", "2026-11-30T10:00:00Z")
    plain = Settings.from_sources({"fixture": "fixtures/seed-sample.json"}, environ={})
    assert (plain.release, plain.clock) == ("9.5u4", None)


def test_the_live_line_only_on_a_terminal() -> None:
    quiet_stream = io.StringIO()
    progress = Progress(quiet_stream)
    progress.begin(["Job", "Repository"])
    progress.request("GET", "/api/query", 200)
    progress.family_read("Job", 500, 1, 4)
    progress.done("summary")
    assert quiet_stream.getvalue() == "summary\n"  # not a TTY: no live line
    tty = io.StringIO()
    now = [0.0]
    live = Progress(tty, live=True, clock=lambda: now[0])
    live.begin(["Job", "Repository"])
    now[0] = 1.0
    live.family_read("Job", 500, 1, 4)
    assert live.pages_left() == 3 + 1  # three more pages of jobs, one at least of repositories
    assert "\rreading Job 500 (page 1/4), 500 objects in 1/2 families" in tty.getvalue()
    live.warn("careful")
    assert tty.getvalue().endswith("\rmock-em import: warning: careful\n")  # the live line cleared first
