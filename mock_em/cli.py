"""The `mock-em` command: flags only; every flag mirrors a `MOCK_EM_*` environment variable.

mock-em serve                      # EM on 0.0.0.0:9399 with the default generated world
mock-em serve --fixture FILE       # serve a world from a fixture file
mock-em generate -o world.json     # write the generated world as a fixture
mock-em tenants                    # print the tenants' logon credentials
mock-em import --from URL --user NAME --password-file FILE --out world.json
                                   # read a real Enterprise Manager into a fixture (docs/import.md)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from typing import Any

from mock_em import __version__
from mock_em.generator import KNOBS
from mock_em.model.fixture import FixtureError, world_to_dict
from mock_em.settings import DEFAULT_USER, RELEASES, Settings, SettingsError

PASSWORD_VARIABLE = "MOCK_EM_IMPORT_PASSWORD"  # as mock_em.importer.command reads it


def _world_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that choose the world (shared by serve, generate and tenants)."""
    group = parser.add_argument_group("world")
    group.add_argument("--seed", type=int, help="seed of the generated world (MOCK_EM_SEED, default 1)")
    for knob in KNOBS:
        group.add_argument(knob.flag, type=int, help=f"{knob.help} ({knob.env}, default {knob.default})")
    group.add_argument("--fixture", metavar="FILE", help="serve this world file instead (MOCK_EM_FIXTURE)")
    group.add_argument(
        "--clock",
        metavar="TIME",
        help="freeze a virtual clock at this ISO 8601 UTC time instead of real time (MOCK_EM_CLOCK)",
    )


def parser() -> argparse.ArgumentParser:
    """The command line of `mock-em`."""
    top = argparse.ArgumentParser(prog="mock-em", description="A test double of Veeam Backup Enterprise Manager")
    top.add_argument("--version", action="version", version=f"mock-em {__version__}")
    commands = top.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="answer as Enterprise Manager on port 9399")
    _world_flags(serve)
    serve.add_argument("--host", help="address to listen on (MOCK_EM_HOST, default 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to listen on (MOCK_EM_PORT, default 9399)")
    serve.add_argument(
        "--user",
        action="append",
        metavar="NAME:PASSWORD[:ROLE]",
        help=f"an account that may log on; repeatable (MOCK_EM_USER, comma-separated; default {DEFAULT_USER}); "
        "ROLE is PortalAdministrator (default), PortalUser or RestoreOperator",
    )
    serve.add_argument("--idle-timeout", help="end sessions unused this long (MOCK_EM_IDLE_TIMEOUT, default 15m)")
    serve.add_argument(
        "--public-url", help="base URL for Hrefs when behind a proxy, e.g. https://em.example:9398 (MOCK_EM_PUBLIC_URL)"
    )
    serve.add_argument(
        "--release",
        help=f"EM release to emulate: {', '.join(RELEASES)} (MOCK_EM_RELEASE, default 9.5u4)",
    )
    serve.add_argument("--machine-name", help="EM machine name in user names (MOCK_EM_MACHINE_NAME, default EM01)")
    serve.add_argument("--control-token", help="require this token on the /mock control plane (MOCK_EM_CONTROL_TOKEN)")
    serve.add_argument(
        "--journal-size", type=int, help="requests the journal keeps, newest first (MOCK_EM_JOURNAL_SIZE, default 1000)"
    )
    tls = serve.add_argument_group("TLS (HTTPS on 9398, as real EM)")
    tls.add_argument("--tls", action="store_true", default=None, help="also listen with HTTPS (MOCK_EM_TLS)")
    tls.add_argument("--tls-port", type=int, help="HTTPS port (MOCK_EM_TLS_PORT, default 9398)")
    tls.add_argument(
        "--tls-cert", metavar="FILE", help="PEM certificate chain; self-signed if unset (MOCK_EM_TLS_CERT)"
    )
    tls.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert (MOCK_EM_TLS_KEY)")
    tls.add_argument(
        "--tls-host",
        action="append",
        metavar="NAME",
        help="another host name for the self-signed certificate; repeatable (MOCK_EM_TLS_HOST, comma-separated)",
    )
    tls.add_argument(
        "--tls-dir",
        metavar="DIR",
        help="where the self-signed CA and certificate go (MOCK_EM_TLS_DIR, default a temp dir)",
    )
    demo = serve.add_argument_group("demo (a living world)")
    demo.add_argument(
        "--demo",
        action="store_true",
        default=None,
        help="the clock runs and the world lives: new points on schedule, retention, odd states (MOCK_EM_DEMO)",
    )
    demo.add_argument(
        "--clock-rate", type=float, help="virtual seconds per real second (MOCK_EM_CLOCK_RATE, default 1)"
    )
    demo.add_argument(
        "--unusual-state-rate",
        type=float,
        help="share of new demo points that end in Failover and the like (MOCK_EM_UNUSUAL_STATE_RATE, default 0.02)",
    )
    serve.add_argument("--log-level", help="uvicorn log level (MOCK_EM_LOG_LEVEL, default warning)")
    serve.add_argument(
        "--deterministic-sessions",
        action="store_true",
        default=None,
        help="draw session ids and tokens from the seed, so reruns hand out the same ones; anyone who can "
        "reach the server can then predict an administrator's token (MOCK_EM_DETERMINISTIC_SESSIONS)",
    )
    scale = serve.add_argument_group("more than one process (one EM across workers and containers)")
    scale.add_argument(
        "--workers",
        type=int,
        help="worker processes on the one port; more than 1 needs --redis-url (MOCK_EM_WORKERS, default 1)",
    )
    scale.add_argument(
        "--redis-url",
        metavar="URL",
        help="share sessions, world and clock through this Redis, e.g. redis://127.0.0.1:6379/0; every process "
        "(worker or container) given the same URL, prefix and settings is one EM (MOCK_EM_REDIS_URL)",
    )
    scale.add_argument(
        "--redis-prefix",
        metavar="PREFIX",
        help="namespace of this EM's keys in Redis (MOCK_EM_REDIS_PREFIX, default mock-em:)",
    )
    scale.add_argument(
        "--redis-ca",
        metavar="FILE",
        help="PEM CA certificate(s) a rediss:// server is verified with; default the system's CAs (MOCK_EM_REDIS_CA)",
    )
    scale.add_argument(
        "--compact-every",
        type=int,
        metavar="N",
        help="snapshot the shared state and trim the control log every N control changes; 0 never "
        "(MOCK_EM_COMPACT_EVERY, default 1000)",
    )

    generate = commands.add_parser("generate", help="write the generated world as a JSON fixture")
    _world_flags(generate)
    generate.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")

    tenants = commands.add_parser("tenants", help="print each tenant's name, username and password")
    _world_flags(tenants)
    _import_parser(commands)
    return top


def _import_parser(commands: Any) -> None:
    """`mock-em import`: flags of its own, none shared with the server's settings. No flag takes
    the password (it would show in the process list); abbreviations are off, so that `--password`
    is never taken for `--password-file`."""
    imp = commands.add_parser(
        "import",
        help="read an Enterprise Manager over its REST API into a fixture (docs/import.md)",
        allow_abbrev=False,
    )
    imp.add_argument("--from", dest="source", required=True, metavar="URL", help="the EM, e.g. https://em.example:9398")
    imp.add_argument("--user", required=True, help="an EM account that may read everything (e.g. DOMAIN\\user)")
    imp.add_argument("--tenant", action="store_true", help="--user is a Cloud Connect tenant: import what it may see")
    imp.add_argument(
        "--password-file",
        metavar="FILE",
        help=f"the account's password on this file's first line; - reads standard input (else {PASSWORD_VARIABLE})",
    )
    imp.add_argument("--out", required=True, metavar="FILE", help="the fixture to write (mock-em serve --fixture)")
    imp.add_argument("--quiet", action="store_true", help="no progress line and no summary; warnings still shown")
    read = imp.add_argument_group("reading gently")
    read.add_argument("--rate", type=float, default=10.0, help="requests a second at most, on average (default 10)")
    read.add_argument("--concurrency", type=int, default=2, help="requests in flight at most (default 2)")
    read.add_argument("--page-size", type=int, default=500, help="objects a query page asks for (default 500)")
    read.add_argument("--retries", type=int, default=5, help="further attempts of a failed request (default 5)")
    read.add_argument("--timeout", type=float, default=60.0, help="seconds one request may take (default 60)")
    read.add_argument(
        "--release", help=f"take the source as this release ({', '.join(RELEASES)}) instead of what it reports"
    )
    tls = imp.add_argument_group("TLS (verified by default)")
    tls.add_argument("--ca", metavar="FILE", help="PEM CA certificate(s) to verify the source's certificate with")
    tls.add_argument("--insecure", action="store_true", help="do not verify the source's certificate")
    anon = imp.add_argument_group("anonymizing")
    anon.add_argument(
        "--anonymize", action="store_true", help="replace names, addresses and GUIDs consistently before writing"
    )
    anon.add_argument("--seed", type=int, help="the anonymizer's seed (default: a random one, shown in the summary)")
    anon.add_argument("--report", metavar="FILE", help="where the anonymizer's report goes (default <out>.report.json)")


PASSWORD_FLAGS = ("--password", "--pass", "--passwd", "-p")


def _run_import(args: argparse.Namespace) -> int:
    """`mock-em import`: exit 0 when the fixture is written, 1 when the source could not be read,
    2 for a usage error."""
    from mock_em.importer.client import Gentleness, SourceError
    from mock_em.importer.command import ImportFailed, ImportOptions, UsageError, read_password, run_import
    from mock_em.importer.progress import Progress

    problems = [
        (args.rate <= 0, "--rate: must be above 0"),
        (args.concurrency < 1, "--concurrency: must be at least 1"),
        (not 1 <= args.page_size <= 100_000, "--page-size: must be between 1 and 100000"),
        (args.retries < 0, "--retries: must not be negative"),
        (args.timeout <= 0, "--timeout: must be above 0"),
        (args.insecure and bool(args.ca), "--ca and --insecure exclude each other"),
        (args.seed is not None and not args.anonymize, "--seed: only with --anonymize"),
        (args.report is not None and not args.anonymize, "--report: only with --anonymize"),
        (args.release is not None and args.release.lower() not in RELEASES, f"--release: one of {', '.join(RELEASES)}"),
    ]
    for bad, message in problems:
        if bad:
            print(f"mock-em import: {message}", file=sys.stderr)
            return 2
    options = ImportOptions(
        url=args.source,
        user=args.user,
        out=args.out,
        page_size=args.page_size,
        gentleness=Gentleness(
            rate=args.rate,
            burst=args.concurrency,
            concurrency=args.concurrency,
            retries=args.retries,
            timeout=args.timeout,
        ),
        ca=args.ca,
        insecure=args.insecure,
        release=args.release,
        anonymize=args.anonymize,
        seed=args.seed,
        report=args.report,
        tenant=args.tenant,
    )
    progress = Progress(sys.stderr, quiet=args.quiet)
    try:
        password = read_password(args.password_file)
        if args.insecure:
            progress.warn("--insecure: the source's certificate is not verified")
        run_import(options, password, progress)
    except UsageError as exc:
        print(f"mock-em import: {exc}", file=sys.stderr)
        return 2
    except (ImportFailed, SourceError, OSError) as exc:
        print(f"mock-em import: {exc}", file=sys.stderr)
        return 1
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {k: v for k, v in vars(args).items() if k not in ("command", "output")}
    return Settings.from_sources(overrides)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["import"] and any(w.split("=", 1)[0] in PASSWORD_FLAGS for w in words):
        # said before argparse, which would repeat the password in its "unrecognized arguments"
        print(
            "mock-em import: no password on the command line (the process list shows it): "
            f"use --password-file FILE, --password-file - or {PASSWORD_VARIABLE}",
            file=sys.stderr,
        )
        return 2
    args = parser().parse_args(words)
    if args.command == "import":
        return _run_import(args)
    try:
        settings = _settings(args)
        if args.command == "serve":
            from mock_em.server import serve

            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the servers shut down gracefully already
                serve(settings)
            return 0
        from mock_em.server import build_em

        em = build_em(settings)
        if args.command == "generate":
            text = json.dumps(world_to_dict(em.world, em.seed), indent=1) + "\n"
            if args.output:
                with open(args.output, "w", encoding="utf-8") as out:
                    out.write(text)
            else:
                sys.stdout.write(text)
        elif args.command == "tenants":
            for tenant in em.world.tenants.values():
                print(f"{tenant.name}\t{tenant.username}\t{tenant.password}")
        return 0
    except (SettingsError, FixtureError, ValueError, OSError) as exc:
        print(f"mock-em: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
