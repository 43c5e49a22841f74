"""A corpus of mock-em's answers, to prove that a change of code changes no byte on the wire.

    python bench/corpus.py capture before.json   # on the code before the change
    python bench/corpus.py capture after.json    # on the code after it
    python bench/corpus.py compare before.json after.json

For the default generated world and the seed-sample fixture, at a frozen instant, it logs on as
every kind of caller (administrator, PortalUser, RestoreOperator, each tenant) and, for each one:

* crawls every Href reachable from `GET /api/` and the caller's LogonSession (GET only), in XML
  and in JSON, in reference and entity form;
* runs queries of every type the caller's query service offers (references, entities, sorting,
  filters, paging, bad filters);
* sends requests that must fail (unknown ids, ids that are not GUIDs, an unknown format, an
  unknown route, a wrong method, no token, a dead token).

Session ids and tokens differ between runs where sessions are not drawn from the seed, so every
id and token a logon hands out is replaced in the corpus by the name of the caller it belongs to:
the corpus compares everything else byte for byte.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mock_em.app import create_app
from mock_em.model.clock import Clock
from mock_em.server import build_em
from mock_em.settings import Settings

START = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
BASE = "http://localhost:9399"
NS = "http://www.veeam.com/ent/v1.0"
USERS = ("Administrator:P@ssw0rd", "user:pw:PortalUser", "operator:pw:RestoreOperator")
NIL = "00000000-0000-4000-8000-000000000000"
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "seed-sample.json"
WORLDS = {
    "generated": Settings(user=USERS),
    "seed-sample": Settings(user=USERS, fixture=str(FIXTURE)),
}
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_PER_CALLER = 4000


def login_spec(username: str, password: str) -> bytes:
    """A tenant's LoginSpec body."""
    spec = etree.Element(f"{{{NS}}}LoginSpec", nsmap={None: NS})
    credentials = etree.SubElement(spec, f"{{{NS}}}TenantCredentials")
    etree.SubElement(credentials, f"{{{NS}}}Username").text = username
    etree.SubElement(credentials, f"{{{NS}}}Password").text = password
    return etree.tostring(spec)


class Corpus:
    """Answers by request, with session ids and tokens replaced by their caller's name."""

    def __init__(self) -> None:
        self.answers: dict[str, dict[str, object]] = {}
        self.secrets: dict[str, str] = {}

    def secret(self, value: str, name: str) -> None:
        """Replace `value` (a session id, a token, its URL-quoted form) by `<name>` from now on."""
        self.secrets[value] = f"<{name}>"

    def clean(self, text: str) -> str:
        for value, name in self.secrets.items():
            text = text.replace(value, name)
        return text

    def keep(self, key: str, response: object) -> None:
        status = response.status_code  # type: ignore[attr-defined]
        headers = [
            (k, self.clean(v))
            for k, v in response.headers.multi_items()  # type: ignore[attr-defined]
            if k not in ("date", "x-mock-em-worker")
        ]
        body = self.clean(response.content.decode("utf-8", "replace"))  # type: ignore[attr-defined]
        self.answers[self.clean(key)] = {"status": status, "headers": headers, "body": body}


def hrefs(content: bytes, json_body: bool) -> Iterator[tuple[str, str | None]]:
    """(Href, Rel) of everything in a body that carries an Href."""
    if json_body:
        yield from _json_hrefs(json.loads(content))
        return
    for element in etree.fromstring(content).iter(etree.Element):
        href = element.get("Href")
        if href is not None:
            yield href, element.get("Rel")


def _json_hrefs(value: object) -> Iterator[tuple[str, str | None]]:
    if isinstance(value, dict):
        if isinstance(value.get("Href"), str):
            yield value["Href"], value.get("Rel")
        for item in value.values():
            yield from _json_hrefs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_hrefs(item)


def capture_caller(client: TestClient, corpus: Corpus, who: str, logon: object, token: str) -> None:
    """Crawl and query as one caller, in both notations."""
    corpus.keep(f"{who} logon", logon)
    seen: set[str] = set()
    queue = [h for h, rel in hrefs(logon.content, False) if rel != "Create"]  # type: ignore[attr-defined]
    queue += [h for h, rel in hrefs(client.get("/api/").content, False) if rel != "Create"]
    while queue:
        href = queue.pop(0)
        if href in seen or not href.startswith(BASE + "/api"):
            continue
        seen.add(href)
        if len(seen) > MAX_PER_CALLER:
            break
        for json_body in (False, True):
            headers = {"X-RestSvcSessionId": token}
            if json_body:
                headers["Accept"] = "application/json"
            response = client.get(href, headers=headers)
            corpus.keep(f"{who} {'json' if json_body else 'xml'} GET {href}", response)
            if response.status_code == 200 and not json_body:
                queue += [h for h, rel in hrefs(response.content, False) if rel != "Create"]
                for alternate in _forms(href):
                    queue.append(alternate)
    for path in _queries() + _failures():
        for json_body in (False, True):
            headers = {"X-RestSvcSessionId": token}
            if json_body:
                headers["Accept"] = "application/json"
            method, _, url = path.partition(" ")
            response = client.request(method, url, headers=headers)
            corpus.keep(f"{who} {'json' if json_body else 'xml'} {path}", response)


def _forms(href: str) -> list[str]:
    """The other form of a collection or item Href, so both forms are in the corpus."""
    if "?" in href:
        return [href.split("?", 1)[0]]
    return [href + "?format=Entity"]


def _queries() -> list[str]:
    types = ("CloudVmReplicaPoint", "CloudReplica", "CloudTenant", "BackupServer")
    out = []
    for t in types:
        out += [
            f"GET /api/query?type={t}",
            f"GET /api/query?type={t}&format=Entities",
            f"GET /api/query?type={t}&sortAsc=name&pageSize=3&page=2",
            f"GET /api/query?type={t}&sortDesc=name&pageSize=5",
            f"GET /api/query?type={t}&format=Entities&filter=name==*a*&sortAsc=name",
            f"GET /api/query?type={t}&filter=nosuchfield==1",
            f"GET /api/query?type={t}&filter=name==(",
        ]
    out += [
        "GET /api/query?type=CloudVmReplicaPoint&filter=State>=Failover",
        "GET /api/query?type=CloudVmReplicaPoint&filter=CreationTime>2026-01-01&sortDesc=CreationTime&pageSize=7",
        "GET /api/query?type=CloudVmReplicaPoint&format=Entities&sortAsc=CreationTime&pageSize=4&page=3",
        "GET /api/query?type=NoSuchType",
        "GET /api/query",
        "GET /api/querySvc",
    ]
    return out


def _failures() -> list[str]:
    out = ["GET /api/nosuch", "GET /api/cloud/tenants?format=Bogus", "DELETE /api/cloud/tenants", "PUT /api/"]
    for collection in ("backupServers", "cloud/tenants", "cloud/replicas", "cloud/vmReplicaPoints", "logonSessions"):
        out += [f"GET /api/{collection}/{NIL}", f"GET /api/{collection}/not-a-guid", f"POST /api/{collection}"]
    out += [f"GET /api/cloud/replicas/{NIL}/vmReplicaPoints", "GET /API/CLOUD/TENANTS/", "GET /api/Cloud/Replicas"]
    return out


def capture(path: str) -> None:
    """Capture the corpus into `path` (JSON)."""
    corpus = Corpus()
    for world_name, settings in WORLDS.items():
        app = create_app(build_em(settings, Clock(START, frozen=True)), settings)
        client = TestClient(app, base_url=BASE)
        em = app.state.em
        callers: list[tuple[str, dict[str, object]]] = []
        for user in USERS:
            name, password = user.split(":")[:2]
            callers.append((name, {"auth": (name, password)}))
        for tenant in em.world.tenants.values():
            body = login_spec(tenant.username, tenant.password)
            callers.append((f"tenant-{tenant.username}", {"content": body, "headers": {"Content-Type": "text/xml"}}))
        for name, kwargs in callers:
            who = f"{world_name}/{name}"
            client.cookies.clear()
            logon = client.post("/api/sessionMngr/?v=latest", **kwargs)  # type: ignore[arg-type]
            assert logon.status_code == 201, logon.text
            token = logon.headers["X-RestSvcSessionId"]
            session_id = _GUID.search(logon.headers["Location"]).group(0)  # type: ignore[union-attr]
            corpus.secret(token, f"token:{who}")
            corpus.secret(session_id, f"session:{who}")
            client.cookies.clear()
            capture_caller(client, corpus, who, logon, token)
        client.cookies.clear()
        for probe in ("GET /api/cloud", "GET /api/backupServers"):
            method, _, url = probe.partition(" ")
            corpus.keep(f"{world_name}/nobody {probe}", client.request(method, url))
            dead = base64.b64encode(NIL.encode()).decode()
            corpus.keep(f"{world_name}/dead {probe}", client.request(method, url, headers={"X-RestSvcSessionId": dead}))
    Path(path).write_text(json.dumps(corpus.answers, indent=0, sort_keys=True))
    print(f"{len(corpus.answers)} answers captured into {path}")


def compare(before: str, after: str) -> int:
    """Compare two corpora; print what differs; 0 when they are the same."""
    a, b = json.loads(Path(before).read_text()), json.loads(Path(after).read_text())
    missing, added = sorted(a.keys() - b.keys()), sorted(b.keys() - a.keys())
    changed = [k for k in sorted(a.keys() & b.keys()) if a[k] != b[k]]
    for k in missing[:20]:
        print("missing:", k)
    for k in added[:20]:
        print("added:  ", k)
    for k in changed[:20]:
        print("changed:", k)
        for part in ("status", "headers", "body"):
            if a[k][part] != b[k][part]:
                print(f"   {part}: {str(a[k][part])[:300]}\n   -> {str(b[k][part])[:300]}")
    same = len(a.keys() & b.keys()) - len(changed)
    print(
        f"{len(a)} before, {len(b)} after: {same} identical, {len(changed)} changed, "
        f"{len(missing)} missing, {len(added)} added"
    )
    return 0 if not (missing or added or changed) else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "capture":
        capture(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
