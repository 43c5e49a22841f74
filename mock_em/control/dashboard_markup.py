"""The dashboard's markup primitives: its assets (page, fragments, stylesheet, script, content security
policy), `fill` that renders a fragment from escaped values, and how values read on the page.

The markup lives in `static/`: `dashboard.html` is the page, the `FRAGMENT_FILES` hold the pieces
its sections are made of, all `string.Template`s. `fill` escapes every value it puts into one
unless the value is `Html` (what `fill` itself returns), so a name from a fixture or a world edit
can only ever reach the page as text: escaping happens in this one place, and nothing builds
markup by hand.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from string import Template

FRAGMENT_FILES = ("dashboard_fragments.html", "dashboard_jobs_fragments.html")

FRAGMENT = re.compile(r"^<!-- fragment (\w+): [^\n]* -->\n", re.MULTILINE)
LINE_BREAK = re.compile(r"\n\s*")  # with the indentation after it: for reading the fragments only


class Html(str):
    """Markup rendered by `fill` from escaped values: goes into a template as it is."""

    __slots__ = ()


NOTHING = Html("")


@dataclass(frozen=True, slots=True)
class Assets:
    """The page template, the fragments of its sections, its stylesheet and script (inlined) and a
    content security policy allowing just those two."""

    page: Template
    fragments: dict[str, Template]
    css: str
    js: str
    csp: str


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def parse_fragments(text: str) -> dict[str, Template]:
    """Each `<!-- fragment NAME: … -->` line starts a fragment running to the next one; line breaks
    and indentation are dropped so the fragments can be laid out for reading."""
    _, *pieces = FRAGMENT.split(text)
    return {name: Template(LINE_BREAK.sub("", body)) for name, body in zip(pieces[::2], pieces[1::2], strict=True)}


@cache
def assets() -> Assets:
    """The files of `static/`, read once."""
    folder = resources.files("mock_em.control") / "static"
    css, js = (folder / "dashboard.css").read_text("utf-8"), (folder / "dashboard.js").read_text("utf-8")
    csp = (
        f"default-src 'none'; style-src {_sha(css)}; script-src {_sha(js)}; connect-src 'self'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    page = Template((folder / "dashboard.html").read_text("utf-8"))
    fragments: dict[str, Template] = {}
    for name in FRAGMENT_FILES:
        found = parse_fragments((folder / name).read_text("utf-8"))
        if taken := fragments.keys() & found.keys():
            raise ValueError(f"{name}: fragments named twice: {sorted(taken)}")
        fragments |= found
    return Assets(page, fragments, css, js, csp)


def escaped(values: dict[str, object]) -> dict[str, str]:
    return {key: value if isinstance(value, Html) else escape(str(value), quote=True) for key, value in values.items()}


def fill(fragment: str, **values: object) -> Html:
    """A fragment with its `$holes` filled: values escaped, `Html` as it is."""
    return Html(assets().fragments[fragment].substitute(escaped(values)))


def join(parts: Iterable[Html]) -> Html:
    """Rendered pieces one after another."""
    return Html("".join(parts))


# -- how values read on the page -------------------------------------------------------------


def when(iso: str | None) -> str:
    """`2026-01-05T12:00:00Z` as `2026-01-05 12:00:00` (the page says UTC once)."""
    return iso.replace("T", " ").removesuffix("Z").split(".")[0] if iso else "—"


def number(value: int) -> str:
    """`12,345`."""
    return f"{value:,}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 VM`, `3 VMs`; `many` where the word's plural is not the word and an s (`repositories`)."""
    return f"{number(count)} {word if count == 1 else many or word + 's'}"


def more(count: int, word: str, why: Html = NOTHING, many: str | None = None) -> Html:
    """`and 5 more tenants` where the caps left some out; nothing where they did not."""
    what = word if count == 1 else many or word + "s"
    return fill("more", count=number(count), what=what, why=why) if count > 0 else NOTHING
