"""Settings: every setting has a `MOCK_EM_*` variable; flags beat variables beat defaults; bad
values raise SettingsError naming the variable or the setting."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest

from mock_em.model.entities import Role
from mock_em.settings import Settings, SettingsError

PUBLIC_FIELDS = [f for f in fields(Settings) if not f.name.startswith("_")]


class Sample(NamedTuple):
    """A value for one setting: as a `MOCK_EM_*` string, as read from it, and as a flag would give."""

    env: str
    value: Any
    flag: Any


# One non-default sample per setting. A new setting without a sample fails
# `test_every_setting_has_a_sample`, so the tests below cover it too.
SAMPLES: dict[str, Sample] = {
    "host": Sample("127.0.0.2", "127.0.0.2", "127.0.0.3"),
    "port": Sample("8080", 8080, 8081),
    "seed": Sample("7", 7, 8),
    "backup_servers": Sample("2", 2, 3),
    "tenants": Sample("3", 3, 5),
    "replicas_per_tenant": Sample("1", 1, 4),
    "vms_per_replica": Sample("4", 4, 1),
    "points_per_vm": Sample("5", 5, 2),
    "jobs_per_server": Sample("1", 1, 2),
    "vms_per_job": Sample("2", 2, 3),
    "job_retention": Sample("3", 3, 4),
    "replica_jobs_percent": Sample("0", 0, 50),
    "fixture": Sample("/tmp/env-world.json", "/tmp/env-world.json", "/tmp/flag-world.json"),
    "user": Sample("alice:secret", ("alice:secret",), ["bob:hunter2"]),
    "idle_timeout": Sample("30m", "30m", "90s"),
    "public_url": Sample("https://em.example:9398", "https://em.example:9398", "http://proxy.example"),
    "release": Sample("12", "12", "9.0"),
    "machine_name": Sample("EM02", "EM02", "EM03"),
    "clock": Sample("2026-01-05T12:00:00Z", "2026-01-05T12:00:00Z", "2027-02-03T04:05:06Z"),
    "control_token": Sample("s3cret-token", "s3cret-token", "flag-token"),
    "journal_size": Sample("50", 50, 10),
    "tls": Sample("yes", True, False),
    "tls_port": Sample("9443", 9443, 9444),
    "tls_cert": Sample("/tmp/env-cert.pem", "/tmp/env-cert.pem", "/tmp/flag-cert.pem"),
    "tls_key": Sample("/tmp/env-key.pem", "/tmp/env-key.pem", "/tmp/flag-key.pem"),
    "tls_host": Sample("a.example, b.example", ("a.example", "b.example"), ["c.example"]),
    "tls_dir": Sample("/tmp/env-tls", "/tmp/env-tls", "/tmp/flag-tls"),
    "demo": Sample("on", True, False),
    "clock_rate": Sample("60", 60.0, 2.5),
    "unusual_state_rate": Sample("0.5", 0.5, 0.1),
    "log_level": Sample("debug", "debug", "info"),
    "workers": Sample("3", 3, 2),
    "redis_url": Sample("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", "unix:///run/redis.sock"),
    "redis_prefix": Sample("em-a:", "em-a:", "em-b:"),
    "redis_ca": Sample("/tmp/env-ca.pem", "/tmp/env-ca.pem", "/tmp/flag-ca.pem"),
    "deterministic_sessions": Sample("yes", True, False),
    "compact_every": Sample("50", 50, 10),
}


# Settings that are only valid together with another: the other's variable, set alongside.
COMPANIONS: dict[str, dict[str, str]] = {
    "tls_cert": {"MOCK_EM_TLS_KEY": "/tmp/companion-key.pem"},
    "tls_key": {"MOCK_EM_TLS_CERT": "/tmp/companion-cert.pem"},
    "workers": {"MOCK_EM_REDIS_URL": "redis://127.0.0.1:6379/0"},
    "redis_ca": {"MOCK_EM_REDIS_URL": "rediss://127.0.0.1:6380/0"},
}


def env_var(name: str) -> str:
    """`points_per_vm` → `MOCK_EM_POINTS_PER_VM`."""
    return f"MOCK_EM_{name.upper()}"


def environ_with(name: str, raw: str) -> dict[str, str]:
    """`MOCK_EM_<NAME>=raw`, plus whatever that setting needs beside it."""
    return {env_var(name): raw, **COMPANIONS.get(name, {})}


def test_every_setting_has_a_sample() -> None:
    """The samples cover exactly the public Settings fields, each differing from its default."""
    assert {f.name for f in PUBLIC_FIELDS} == set(SAMPLES)
    defaults = Settings()
    for name, sample in SAMPLES.items():
        assert getattr(defaults, name) != sample.value, name
        assert sample.value != (tuple(sample.flag) if isinstance(sample.flag, list) else sample.flag), name


def test_no_environment_gives_the_defaults() -> None:
    """With no variables and no flags: the documented defaults (EM's port, 15 minutes, …)."""
    settings = Settings.from_sources({}, environ={})
    assert settings == Settings()
    assert (settings.host, settings.port) == ("0.0.0.0", 9399)
    assert settings.idle_timeout_delta == timedelta(minutes=15)
    assert settings.user == ("Administrator:P@ssw0rd",)
    assert settings.clock_start is None
    assert settings.api_versions[-1] == "v1_4"


@pytest.mark.parametrize("name", list(SAMPLES))
def test_each_setting_has_an_environment_variable(name: str) -> None:
    """`MOCK_EM_<NAME>` sets the setting (the variable beats the default) and nothing else."""
    settings = Settings.from_sources({}, environ=environ_with(name, SAMPLES[name].env))
    assert getattr(settings, name) == SAMPLES[name].value
    companions = {other for other in SAMPLES if env_var(other) in COMPANIONS.get(name, {})}
    for other in SAMPLES:
        if other != name and other not in companions:
            assert getattr(settings, other) == getattr(Settings(), other), other


@pytest.mark.parametrize("name", list(SAMPLES))
def test_flag_beats_environment_variable(name: str) -> None:
    """An explicit override (a command-line flag) wins over the variable."""
    sample = SAMPLES[name]
    settings = Settings.from_sources({name: sample.flag}, environ=environ_with(name, sample.env))
    expected = tuple(sample.flag) if isinstance(sample.flag, list) else sample.flag
    assert getattr(settings, name) == expected


@pytest.mark.parametrize("name", list(SAMPLES))
def test_unset_flag_leaves_the_variable(name: str) -> None:
    """A flag that was not given (None, or an empty `--user` list) does not hide the variable."""
    unset: Any = [] if isinstance(SAMPLES[name].flag, list) else None
    settings = Settings.from_sources({name: unset}, environ=environ_with(name, SAMPLES[name].env))
    assert getattr(settings, name) == SAMPLES[name].value


def test_empty_variable_counts_as_unset() -> None:
    """`MOCK_EM_PORT=` (set but empty) leaves the default."""
    assert Settings.from_sources({}, environ={"MOCK_EM_PORT": ""}).port == 9399


def test_process_environment_is_read_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an explicit `environ`, the process environment is the source."""
    monkeypatch.setenv("MOCK_EM_SEED", "42")
    monkeypatch.setenv("MOCK_EM_MACHINE_NAME", "EMX")
    settings = Settings.from_sources({})
    assert (settings.seed, settings.machine_name) == (42, "EMX")


def test_user_variable_is_comma_separated() -> None:
    """`MOCK_EM_USER` holds several `NAME:PASSWORD[:ROLE]` accounts, separated by commas."""
    environ = {"MOCK_EM_USER": "alice:secret, bob:hunter2:PortalUser,carol:pw:RestoreOperator,"}
    settings = Settings.from_sources({}, environ=environ)
    assert settings.user == ("alice:secret", "bob:hunter2:PortalUser", "carol:pw:RestoreOperator")
    accounts = [(a.user_name, a.password, a.role) for a in settings.accounts]
    assert accounts == [
        ("alice", "secret", Role.PortalAdministrator),
        ("bob", "hunter2", Role.PortalUser),
        ("carol", "pw", Role.RestoreOperator),
    ]


def test_user_flag_replaces_the_variables_accounts() -> None:
    """Repeated `--user` flags give the accounts; the variable's are not added to them."""
    settings = Settings.from_sources({"user": ["x:1", "y:2"]}, environ={"MOCK_EM_USER": "alice:secret"})
    assert [a.user_name for a in settings.accounts] == ["x", "y"]


def test_derived_values() -> None:
    """Durations in s/m/h (bare numbers are minutes), the frozen clock's start, release versions."""
    assert Settings(idle_timeout="90s").idle_timeout_delta == timedelta(seconds=90)
    assert Settings(idle_timeout="2").idle_timeout_delta == timedelta(minutes=2)
    assert Settings(idle_timeout="1h").idle_timeout_delta == timedelta(hours=1)
    assert Settings(clock="2026-01-05T12:00:00Z").clock_start == datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert Settings(release="9.0").api_versions == ["v1", "v1_1", "v1_2"]
    assert Settings(release="9.5U4").api_versions[-1] == "v1_4"


def _names(message: str, name: str) -> bool:
    """Whether an error message names the variable or the setting (any spelling)."""
    text = message.lower()
    return any(form in text for form in (env_var(name).lower(), name, name.replace("_", "-")))


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("port", "abc"),
        ("port", "70000"),
        ("port", "-1"),
        ("seed", "1.5"),
        ("backup_servers", "many"),
        ("tenants", "-1"),
        ("replicas_per_tenant", "-2"),
        ("vms_per_replica", "x"),
        ("points_per_vm", "-7"),
        ("journal_size", "-1"),
        ("compact_every", "-1"),
        ("journal_size", "lots"),
        ("tls", "maybe"),
        ("tls_port", "70000"),
        ("tls_port", "https"),
        ("tls_cert", "/tmp/cert-without-key.pem"),
        ("tls_key", "/tmp/key-without-cert.pem"),
        ("demo", "perhaps"),
        ("deterministic_sessions", "sometimes"),
        ("clock_rate", "0"),
        ("clock_rate", "fast"),
        ("clock_rate", "nan"),
        ("unusual_state_rate", "2"),
        ("unusual_state_rate", "-0.1"),
        ("idle_timeout", "abc"),
        ("idle_timeout", "0"),
        ("idle_timeout", "-5m"),
        ("user", "nocolon"),
        ("user", ":nopassword"),
        ("user", ","),
        ("clock", "notatime"),
        ("release", "99"),
        ("public_url", "ftp://em.example"),
        ("public_url", "not a url"),
        ("log_level", "loudest"),
    ],
)
def test_invalid_variable_raises_settings_error_naming_it(name: str, raw: str) -> None:
    """A bad `MOCK_EM_*` value is a SettingsError whose message names the variable or setting."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_sources({}, environ={env_var(name): raw})
    assert _names(str(caught.value), name), str(caught.value)


def test_tls_port_must_differ_from_the_http_port() -> None:
    """With TLS on, HTTP and HTTPS cannot share one port: refused, naming tls-port."""
    environ = {"MOCK_EM_TLS": "true", "MOCK_EM_PORT": "9500", "MOCK_EM_TLS_PORT": "9500"}
    with pytest.raises(SettingsError, match="tls-port"):
        Settings.from_sources({}, environ=environ)


def test_tenants_need_a_backup_server() -> None:
    """Tenants without any backup server to live on are refused, naming backup-servers."""
    with pytest.raises(SettingsError, match="backup-servers"):
        Settings.from_sources({}, environ={"MOCK_EM_BACKUP_SERVERS": "0"})
    assert Settings.from_sources({}, environ={"MOCK_EM_BACKUP_SERVERS": "0", "MOCK_EM_TENANTS": "0"}).tenants == 0


def test_a_good_flag_does_not_rescue_a_bad_variable_of_another_setting() -> None:
    """Each variable is checked even when other settings come from flags."""
    with pytest.raises(SettingsError, match="MOCK_EM_SEED"):
        Settings.from_sources({"port": 8000}, environ={"MOCK_EM_SEED": "seven"})


def test_a_flag_overrides_a_bad_variable_of_the_same_setting() -> None:
    """A valid flag replaces the variable's value, so a bad value there is never used."""
    settings = Settings.from_sources({"release": "12"}, environ={"MOCK_EM_RELEASE": "99"})
    assert settings.release == "12"
