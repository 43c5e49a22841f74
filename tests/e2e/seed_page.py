"""The seed page's sample response, read from the shared seed at test time (never copied here).

`MOCK_EM_SEED_PAGE` names the page; by default it is `<repo>/../shared/seed/get-cloud-vmreplicapoints.txt`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[2]
SEED_PAGE_ENV = "MOCK_EM_SEED_PAGE"
DEFAULT_SEED_PAGE = REPO.parent / "shared" / "seed" / "get-cloud-vmreplicapoints.txt"
SEED_FIXTURE = REPO / "fixtures" / "seed-sample.json"
SEED_BASE = "http://localhost:9399"
NS = "http://www.veeam.com/ent/v1.0"
_BLOCK = re.compile(r"<EntityReferences\b.*?</EntityReferences>", re.DOTALL)


def seed_page_path() -> Path:
    """Where the seed page is: `MOCK_EM_SEED_PAGE`, or the shared folder beside the repository."""
    return Path(os.environ.get(SEED_PAGE_ENV) or DEFAULT_SEED_PAGE)


def seed_sample_xml() -> bytes:
    """The page's sample response body (`<EntityReferences …>` to `</EntityReferences>`, without the
    literal `...` line); skips the test when the page is absent."""
    path = seed_page_path()
    if not path.is_file():
        pytest.skip(f"seed page not found at {path} (set {SEED_PAGE_ENV} to the page's path)")
    match = _BLOCK.search(path.read_text(encoding="utf-8"))
    assert match, f"{path}: no <EntityReferences …>…</EntityReferences> block"
    lines = [line for line in match.group(0).splitlines() if line.strip() != "..."]
    return "\n".join(lines).encode("utf-8")


def parse(body: bytes) -> etree._Element:
    """Parse XML, dropping whitespace-only text and tails (indentation is not content)."""
    root = etree.fromstring(body, etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True))
    for element in root.iter():
        if element.text is not None and not element.text.strip():
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return root


def canonical(body: bytes) -> str:
    """C14N 2.0 of a document (unused `xsd`/`xsi` declarations and attribute order do not count),
    one tag per line so that a failing comparison shows a readable diff."""
    text = etree.tostring(parse(body), method="c14n2", strip_text=True).decode("utf-8")
    return text.replace("><", ">\n<")


def attribute_orders(body: bytes) -> list[tuple[str, list[str]]]:
    """Each element's local name with its attribute names in document order."""
    return [(etree.QName(e).localname, list(e.attrib.keys())) for e in parse(body).iter(etree.Element)]


def ref_names(body: bytes) -> list[str]:
    """The `Name` of every `<Ref>` in an `<EntityReferences>` body, in order."""
    return [ref.get("Name") for ref in parse(body).iterfind(f"{{{NS}}}Ref")]


def rebase(body: bytes, base: str) -> bytes:
    """The sample as a server at `base` (e.g. `http://127.0.0.1:8123`) would write it."""
    return body.replace(SEED_BASE.encode("ascii") + b"/", base.rstrip("/").encode("ascii") + b"/")
