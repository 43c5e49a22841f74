"""`mock-em import`: log on to a source EM, read it, build the world, write the fixture.

The steps, each in its module: the release from `GET /api/` (`release.py`), the logon and every
request after it (`client.py`), the families' entities (`crawl.py`), the world (`build.py`, each
family's reader), the fixture (`writer.py`), optionally anonymized (`anonymize.py`). The session
is logged off at the end, whether the read succeeded or not.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import random
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mock_em.importer.client import Gentleness, Source, SourceError, tls_verify
from mock_em.importer.crawl import Crawled, crawl, importable
from mock_em.importer.progress import Progress
from mock_em.importer.release import UnknownSource, detect_release
from mock_em.importer.writer import fixture_of, write_json
from mock_em.model.compute import keep_usage
from mock_em.model.report_recorded import match_point_sizes
from mock_em.model.world import World
from mock_em.releases import ReleaseProfile, profile

if TYPE_CHECKING:
    from mock_em.resources.family import Family

PASSWORD_VARIABLE = "MOCK_EM_IMPORT_PASSWORD"
ANONYMIZER = "mock_em.importer.anonymize"


class ImportFailed(RuntimeError):
    """The import could not be done; the message says why (never with the password)."""


class UsageError(ImportFailed):
    """The import was asked wrongly (no password, no anonymizer): nothing was sent."""


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What `mock-em import` was asked to do."""

    url: str
    user: str
    out: str
    page_size: int = 500
    gentleness: Gentleness = field(default_factory=Gentleness)
    ca: str | None = None
    insecure: bool = False
    release: str | None = None  # take the source as this release instead of what it reports
    anonymize: bool = False
    seed: int | None = None
    report: str | None = None
    tenant: bool = False  # `--user` is a Cloud Connect tenant (it logs on with a LoginSpec)

    @property
    def report_path(self) -> str:
        """Where the anonymizer's report goes: `--report`, else beside the fixture."""
        return self.report or f"{self.out}.report.json"


@dataclass
class Outcome:
    """What an import did."""

    release: ReleaseProfile
    imported_at: datetime
    crawled: Crawled
    requests: int = 0
    retried: int = 0
    relogons: int = 0
    warnings: list[str] = field(default_factory=list)
    seed: int | None = None  # the anonymizer's


def read_password(
    password_file: str | None, environ: Mapping[str, str] | None = None, stdin: TextIO | None = None
) -> str:
    """The password: from `--password-file` (`-`: standard input, asked for without echo on a
    terminal), else from MOCK_EM_IMPORT_PASSWORD. Only the line's end is taken off."""
    environ = os.environ if environ is None else environ
    if password_file == "-":
        stream = stdin or sys.stdin
        if stream.isatty():
            import getpass

            return getpass.getpass("Password: ")
        return _one_line(stream.read())
    if password_file:
        try:
            return _one_line(Path(password_file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or type(exc).__name__
            raise UsageError(f"--password-file: cannot read {password_file}: {why}") from None
    password = environ.get(PASSWORD_VARIABLE)
    if password:
        return password
    raise UsageError(
        f"no password: give --password-file FILE, --password-file - (standard input) or {PASSWORD_VARIABLE}"
    )


def _one_line(text: str) -> str:
    line = text.split("\n", 1)[0].removesuffix("\r")
    if not line:
        raise UsageError("the password file is empty")
    return line


def anonymizer() -> Callable[[dict[str, Any], int], tuple[dict[str, Any], dict[str, Any]]]:
    """`anonymize(data, seed) -> (data, report)`, or ImportFailed when this mock-em has none."""
    try:
        module = importlib.import_module(ANONYMIZER)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name == ANONYMIZER or ANONYMIZER.startswith(f"{exc.name}."):
            raise UsageError(f"--anonymize: this mock-em has no anonymizer ({ANONYMIZER} is missing)") from None
        raise
    return module.anonymize


async def read_source(
    options: ImportOptions,
    password: str,
    progress: Progress,
    families: Sequence[Family] | None = None,
    jitter: random.Random | None = None,
) -> Outcome:
    """Log on, read every importable family, log off; what was read."""
    source = Source(
        options.url,
        options.user,
        password,
        gentleness=options.gentleness,
        verify=tls_verify(options.ca, options.insecure),
        jitter=jitter,
        on_request=progress.request,
        tenant=options.tenant,
    )
    async with source:
        try:
            release, warnings = detect_release(await source.root())
        except UnknownSource as exc:
            raise ImportFailed(f"{source.url}: {exc}") from None
        if options.release:
            release, warnings = profile(options.release), []
        await source.logon()
        chosen = importable(release, families)
        progress.begin([family.kind.name for family in chosen])
        crawled = await crawl(source, chosen, options.page_size, progress)
    imported_at = source.server_time
    if imported_at is None:
        warnings.append("the source's logon answer had no Date: ImportedAt is this machine's clock")
        imported_at = datetime.now(UTC)
    return Outcome(
        release,
        imported_at.astimezone(UTC),
        crawled,
        source.requests,
        source.retried,
        source.relogons,
        [*warnings, *crawled.warnings],
    )


def run_import(
    options: ImportOptions,
    password: str,
    progress: Progress,
    families: Sequence[Family] | None = None,
    jitter: random.Random | None = None,
) -> Outcome:
    """The whole import: read, build, (anonymize,) write; the summary on `progress`."""
    from mock_em.importer.build import build_world  # the families' readers load with it

    anonymize = anonymizer() if options.anonymize else None  # missing: said before the source is asked
    try:
        outcome = asyncio.run(read_source(options, password, progress, families, jitter))
    except SourceError as exc:
        raise ImportFailed(str(exc)) from None
    world, built = build_world(outcome.crawled.entities, outcome.release.name)
    outcome.warnings.extend(built)
    sized(world, outcome.crawled.vms_overview, outcome.imported_at)
    if anonymize is not None:
        keep_usage(world)  # VMs are sized from the names and ids the anonymizer replaces
    data = fixture_of(world, outcome.release.name, outcome.imported_at)
    if anonymize is not None:
        outcome.seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
        data, report = anonymize(data, outcome.seed)
        write_json(options.report_path, report, private=True)
    write_json(options.out, data)
    for warning in outcome.warnings:
        progress.warn(warning)
    progress.done(summary(outcome, options, progress.elapsed()))
    return outcome


SIZE_MEMBERS = ("FullBackupPointsSize", "IncrementalBackupPointsSize", "ReplicaRestorePointsSize")


def sized(world: World, frame: dict[str, Any] | None, at: datetime) -> None:
    """A recorded world's points of the report's last day given the sizes the source's
    `vms_overview` says they hold, so that its report answers as the source's did at `at`."""
    if not world.recorded or frame is None:
        return
    sizes = [
        frame.get(key) for key in ("FullBackupPointsSize", "IncrementalBackupPointsSize", "ReplicaRestorePointsSize")
    ]
    if all(isinstance(size, int) and not isinstance(size, bool) for size in sizes):
        match_point_sizes(world, at, *sizes)


def summary(outcome: Outcome, options: ImportOptions, seconds: float) -> str:
    """The closing line: what was read, with how many requests, in how long."""
    crawled = outcome.crawled
    extra = ""
    if outcome.retried or outcome.relogons:
        extra = f" ({outcome.retried} retried, {outcome.relogons} new logons)"
    line = (
        f"mock-em import: {crawled.objects} objects of {len(crawled.entities)} families from Enterprise Manager "
        f"{outcome.release.name} at {outcome.imported_at:%Y-%m-%dT%H:%M:%SZ}, {outcome.requests} requests{extra} "
        f"in {seconds:.1f} s, {len(outcome.warnings)} warnings; wrote {options.out}"
    )
    if outcome.seed is not None:
        line += f", anonymized with seed {outcome.seed} (report in {options.report_path})"
    return line
