"""`docs/compose.yaml`: two mock-em replicas, Redis and HAProxy, one EM.

Without an engine, the file is checked against mock-em itself: the replicas' environment is
settings mock-em accepts, naming the Redis service and the port the image listens on; the
balancer publishes the port the public URL names and sends health checks to a path mock-em
answers. With `haproxy` installed (Debian's package), its configuration must pass `haproxy -c`,
and the balancer runs in front of two real processes on one redis-server. With
`MOCK_EM_COMPOSE_SMOKE=1` and Docker Compose (v2, or Debian's v1), the stack itself comes up in
containers (CI does this after building the image; `MOCK_EM_COMPOSE_STANDINS=1` builds Redis and
HAProxy images from Debian's packages where no registry is reachable).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from test_multi_worker import (
    CLOCK,
    SMALL_FLAGS,
    TENANTS,
    WORKER,
    ServeProcess,
    get_as,
    logon,
    needs_redis,
    redis_url,  # noqa: F401  (the module's redis-server fixture)
)

from mock_em.settings import Settings
from mock_em.store.redis_server import free_port

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docs" / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def haproxy_config(compose: dict[str, Any]) -> str:
    """The balancer's configuration, as the compose file mounts it into the container."""
    [mount] = compose["services"]["balancer"]["volumes"]
    source, target, mode = mount.split(":")
    assert target == "/usr/local/etc/haproxy/haproxy.cfg" and mode == "ro"  # where the official image reads it
    return (COMPOSE.parent / source).read_text()


def image_port() -> int:
    """The port the image's mock-em listens on (`MOCK_EM_PORT` in the Dockerfile)."""
    match = re.search(r"MOCK_EM_PORT=(\d+)", (ROOT / "Dockerfile").read_text())
    assert match
    return int(match.group(1))


def test_the_replicas_share_one_redis_with_settings_mock_em_accepts(compose: dict[str, Any]) -> None:
    """Two replicas of the image built from this repository, every variable a setting mock-em
    reads, the Redis URL naming the Redis service on its port, one worker each (a replica is a
    process; the balancer spreads the load)."""
    services = compose["services"]
    assert set(services) == {"redis", "mock-em", "balancer"}
    replica = services["mock-em"]
    assert (COMPOSE.parent / replica["build"]["context"] / "Dockerfile").resolve() == ROOT / "Dockerfile"
    assert replica["deploy"]["replicas"] == 2
    environment = {name: str(value) for name, value in replica["environment"].items()}
    known = {f"MOCK_EM_{name.upper()}" for name in Settings.__dataclass_fields__}
    assert set(environment) <= known, set(environment) - known
    settings = Settings.from_sources(environ=environment)
    assert settings.workers == 1
    redis = urlsplit(settings.redis_url or "")
    assert redis.scheme == "redis" and redis.hostname == "redis" and redis.port == 6379
    assert "--port" not in services["redis"]["command"]  # so Redis listens on 6379
    assert replica["depends_on"]["redis"]["condition"] == "service_healthy"
    assert replica["expose"] == [str(image_port())]


def test_the_balancer_publishes_what_the_public_url_names(compose: dict[str, Any]) -> None:
    """The published port is the public URL's and the frontend's; the backend is the replicas'
    service on the image's port; health checks ask a path mock-em answers with 200."""
    balancer = compose["services"]["balancer"]
    [published] = balancer["ports"]
    outside, inside = (int(part) for part in str(published).split(":"))
    public = urlsplit(compose["services"]["mock-em"]["environment"]["MOCK_EM_PUBLIC_URL"])
    assert public.port == outside and public.hostname == "localhost"
    config = haproxy_config(compose)
    assert re.search(rf"^\s*bind :{inside}$", config, re.M)
    assert re.search(rf"^\s*server-template mock-em \d+ mock-em:{image_port()} check .*resolvers docker", config, re.M)
    [check] = re.findall(r"option httpchk GET (\S+)", config)
    assert check == "/mock/health"
    assert balancer["depends_on"]["mock-em"]["condition"] == "service_healthy"
    assert "HEALTHCHECK" in (ROOT / "Dockerfile").read_text()  # what service_healthy waits for


needs_haproxy = pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")


@needs_haproxy
def test_haproxy_accepts_the_configuration(compose: dict[str, Any], tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(compose))
    done = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def balanced(compose: dict[str, Any], redis_url: str, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    """The compose file's HAProxy in front of two mock-em processes on one Redis: the same
    configuration, with the replicas' DNS name (Docker's) replaced by their loopback ports."""
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    common = ["--redis-url", redis_url, "--redis-prefix", f"compose-{os.getpid()}:", "--clock", CLOCK]
    replicas = [ServeProcess(*common, "--public-url", public, *SMALL_FLAGS) for _ in range(2)]
    config = haproxy_config(compose).replace("bind :9399", f"bind 127.0.0.1:{port}")
    servers = "".join(f"  server r{i} 127.0.0.1:{r.port} check inter 2s\n" for i, r in enumerate(replicas))
    config = re.sub(r"^\s*server-template .*\n", servers, config, flags=re.M)
    config = re.sub(r"(?ms)^resolvers docker\n.*?\n\n", "", config)
    (tmp_path / "haproxy.cfg").write_text(config)
    with (tmp_path / "haproxy.log").open("wb") as log:  # a file: a pipe nobody reads could fill
        process = subprocess.Popen(["haproxy", "-db", "-f", str(tmp_path / "haproxy.cfg")], stderr=log, stdout=log)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{public}/mock/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield public
    finally:
        process.terminate()
        process.wait(10)
        for replica in replicas:
            replica.stop()


@needs_haproxy
@needs_redis
def test_behind_the_balancer_two_replicas_are_one_em(balanced: str) -> None:
    """Through the balancer: answers come from both replicas in turn, a session made through one
    is honoured by the other, a tenant added through one is listed by both, Hrefs name the
    balancer."""
    with httpx.Client(base_url=balanced, timeout=10) as http:
        token, _ = logon(http)
        assert http.post("/mock/world/tenants", json={"Name": "Globex"}).status_code == 201
        answers = [get_as(http, token, TENANTS) for _ in range(6)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.headers[WORKER] for a in answers}) == 2  # round robin, one request per connection or not
    assert all("Globex" in a.text and f'Href="{balanced}/api/cloud/tenants/' in a.text for a in answers)


# -- the stack itself, in containers -------------------------------------------------------------

STANDINS = Path(__file__).resolve().parent / "compose_images"
PUBLISHED = "http://localhost:9399"


def compose_command() -> list[str] | None:
    """`docker compose` (v2), else Debian's `docker-compose` (v1, told to honour `deploy`)."""
    if shutil.which("docker") is None:
        return None
    if subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose", "--compatibility"]
    return None


def stand_in_images(compose: dict[str, Any]) -> None:
    """Where no registry is reachable (`MOCK_EM_COMPOSE_STANDINS=1`), build the Redis and HAProxy
    images the file names from Debian's packages, unless the machine has them already."""
    for service, dockerfile in (("redis", "redis.Dockerfile"), ("balancer", "haproxy.Dockerfile")):
        image = compose["services"][service]["image"]
        if subprocess.run(["docker", "image", "inspect", image], capture_output=True, check=False).returncode:
            subprocess.run(
                ["docker", "build", "-q", "-t", image, "-f", str(STANDINS / dockerfile), str(STANDINS)],
                check=True, timeout=600, stdout=subprocess.DEVNULL,
            )  # fmt: skip


def workers_seen(token: str, tries: int) -> tuple[set[str], list[int]]:
    """Which replicas answered `tries` reads through the balancer (one connection each), and the statuses."""
    seen: set[str] = set()
    statuses: list[int] = []
    for _ in range(tries):
        try:
            with httpx.Client(base_url=PUBLISHED, timeout=10) as http:
                answer = get_as(http, token, TENANTS)
        except httpx.TransportError:
            statuses.append(0)
            continue
        statuses.append(answer.status_code)
        if answer.status_code == 200:
            seen.add(answer.headers[WORKER])
    return seen, statuses


def settled(token: str, tries: int, replicas: int) -> tuple[set[str], list[int]] | None:
    """`workers_seen` when every read answered 200 and exactly `replicas` replicas answered, else None."""
    found = workers_seen(token, tries)
    return found if len(found[0]) == replicas and set(found[1]) == {200} else None


def until(condition: Any, seconds: float) -> Any:
    """Poll `condition()` (bounded) until it returns something true; that, or the last answer."""
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(1)


@pytest.mark.skipif(
    not os.environ.get("MOCK_EM_COMPOSE_SMOKE"),
    reason="set MOCK_EM_COMPOSE_SMOKE=1 where Docker Compose and an engine run (CI does)",
)
def test_the_stack_comes_up_and_answers_as_one_em(compose: dict[str, Any]) -> None:
    """The compose file, up for real: both replicas answer through the published port as one EM;
    one killed, the other serves alone and the killed one, started again, catches up; scaled to
    three, the balancer finds the third by DNS. (Asked for and impossible is a failure, not a skip.)"""
    if compose_command() is None:
        pytest.fail("MOCK_EM_COMPOSE_SMOKE is set, but neither `docker compose` nor `docker-compose` runs")
    if os.environ.get("MOCK_EM_COMPOSE_STANDINS"):
        stand_in_images(compose)
    command = [*(compose_command() or []), "-f", str(COMPOSE), "-p", "mock-em-smoke"]

    def compose_run(*args: str, timeout: float = 600) -> str:
        done = subprocess.run([*command, *args], capture_output=True, text=True, timeout=timeout, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    compose_run("up", "--detach", "--build")
    try:
        token = until(lambda: _logon_through(PUBLISHED), 120)
        assert token, "no logon through the balancer within 120 s"
        with httpx.Client(base_url=PUBLISHED, timeout=10) as http:
            assert http.post("/mock/world/tenants", json={"Name": "Globex"}).status_code == 201
        assert until(lambda: settled(token, 6, 2), 60), workers_seen(token, 6)
        replicas = compose_run("ps", "-q", "mock-em").split()
        assert len(replicas) == 2
        subprocess.run(["docker", "kill", replicas[0]], check=True, capture_output=True, timeout=60)
        # the balancer's health checks take the dead one out (2 s apart, 3 failures): then all go to the other
        assert until(lambda: settled(token, 6, 1), 60), workers_seen(token, 6)
        subprocess.run(["docker", "start", replicas[0]], check=True, capture_output=True, timeout=60)
        # back, it caught up from Redis: the session made earlier holds on both
        assert until(lambda: settled(token, 8, 2), 90), workers_seen(token, 8)
        compose_run("up", "--detach", "--no-recreate", "--scale", "mock-em=3")
        assert until(lambda: settled(token, 12, 3), 120), workers_seen(token, 12)
        with httpx.Client(base_url=PUBLISHED, timeout=10) as http:
            listed = [get_as(http, token, TENANTS).text for _ in range(6)]
        assert all("Globex" in text and f'Href="{PUBLISHED}/api/cloud/tenants/' in text for text in listed)
    finally:
        subprocess.run([*command, "down", "--volumes"], check=False, timeout=180, capture_output=True)


def _logon_through(url: str) -> str | None:
    """A session token made through the balancer, or None while the stack is not up yet."""
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            response = http.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd"))
    except httpx.TransportError:
        return None
    return response.headers.get("X-RestSvcSessionId") if response.status_code == 201 else None
