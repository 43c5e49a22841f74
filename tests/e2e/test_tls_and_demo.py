"""HTTPS on the TLS port with certificate verification, and the demo mode's living world, each
against a real `mock-em serve` process."""

from __future__ import annotations

import ssl
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from em_schema import assert_valid

from e2e.test_real_server_curl import free_port, start_server
from mock_em.tls import make_self_signed

NS = {"em": "http://www.veeam.com/ent/v1.0"}


def test_self_signed_https_verifies_against_the_generated_ca(tmp_path: Path) -> None:
    """`serve --tls`: a verifying TLS client that trusts the CA file gets EM's answers, with Hrefs
    on the HTTPS scheme and port; a client that trusts nothing is refused the handshake."""
    port, tls_port = free_port(), free_port()
    args = ["--host", "127.0.0.1", "--port", str(port), "--tls", "--tls-port", str(tls_port)]
    server, _ = start_server([*args, "--tls-dir", str(tmp_path / "tls")], port, tmp_path / "log")
    try:
        ca = tmp_path / "tls" / "ca.pem"
        assert ca.is_file(), server.output()
        with httpx.Client(verify=ssl.create_default_context(cafile=str(ca)), timeout=10) as client:
            for host in ("localhost", "127.0.0.1"):
                root = client.get(f"https://{host}:{tls_port}/api/")
                assert root.status_code == 200
                assert assert_valid(root.content).get("Href") == f"https://{host}:{tls_port}/api/"
            logon = client.post(
                f"https://localhost:{tls_port}/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd")
            )
            assert logon.status_code == 201
            assert logon.headers["Location"].startswith(f"https://localhost:{tls_port}/api/logonSessions/")
        with (
            httpx.Client(verify=ssl.create_default_context(), timeout=10) as untrusting,
            pytest.raises(httpx.ConnectError),
        ):
            untrusting.get(f"https://localhost:{tls_port}/api/")
        plain = httpx.get(f"http://127.0.0.1:{port}/api/", timeout=10)
        assert assert_valid(plain.content).get("Href") == f"http://127.0.0.1:{port}/api/"
    finally:
        server.stop()


def test_user_certificate_is_served(tmp_path: Path) -> None:
    """`--tls-cert/--tls-key`: the server presents exactly the certificate it was given."""
    files = make_self_signed(tmp_path / "mine", ["localhost", "127.0.0.1"])
    port, tls_port = free_port(), free_port()
    args = ["--host", "127.0.0.1", "--port", str(port), "--tls", "--tls-port", str(tls_port)]
    args += ["--tls-cert", str(files.cert), "--tls-key", str(files.key)]
    server, _ = start_server(args, port, tmp_path / "log")
    try:
        presented = ssl.get_server_certificate(("127.0.0.1", tls_port))
        assert presented.strip() in files.cert.read_text()
        assert files.ca is not None
        context = ssl.create_default_context(cafile=str(files.ca))
        assert httpx.get(f"https://localhost:{tls_port}/api/", verify=context, timeout=10).status_code == 200
    finally:
        server.stop()


def test_demo_world_lives_with_an_accelerated_clock(tmp_path: Path) -> None:
    """`serve --demo --clock-rate 43200` (12 virtual hours a second): within a few real seconds the
    replication jobs leave new points, retention keeps the count per VM, and the clock has moved."""
    port = free_port()
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    args = ["--host", "127.0.0.1", "--port", str(port), "--demo", "--clock-rate", "43200"]
    args += ["--clock", start.strftime("%Y-%m-%dT%H:%M:%SZ"), "--tenants", "2", "--points-per-vm", "3"]
    server, _ = start_server(args, port, tmp_path / "log")
    try:
        with httpx.Client(base_url=server.base, timeout=10) as client:
            before = {p["Id"] for p in client.get("/mock/world").json()["CloudVmReplicaPoints"]}
            time.sleep(2.5)  # about 30 virtual hours: at least one nightly run per job
            token = client.post("/api/sessionMngr/", auth=("Administrator", "P@ssw0rd")).headers["X-RestSvcSessionId"]
            client.get("/api/cloud/vmReplicaPoints", headers={"X-RestSvcSessionId": token})
            world = client.get("/mock/world").json()
            now = datetime.fromisoformat(client.get("/mock/clock").json()["now"].replace("Z", "+00:00"))
        after = {p["Id"] for p in world["CloudVmReplicaPoints"]}
        assert now - start > timedelta(hours=24)
        assert after - before, "no new restore points after a virtual day"
        per_vm: dict[tuple[str, str], int] = {}
        for point in world["CloudVmReplicaPoints"]:
            key = (point["ReplicaId"], point["VmName"])
            per_vm[key] = per_vm.get(key, 0) + 1
        assert set(per_vm.values()) == {3}, per_vm
    finally:
        server.stop()
