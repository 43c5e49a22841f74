"""What an import tells the person who runs it, on standard error.

On a terminal, one line rewritten in place (`\\r`) says which family is being read, the objects
read so far, the requests, their rate and the time left (from the pages the source says each
family has); a run into a file or a pipe gets no such line. Warnings and the closing summary
(objects, requests, seconds, warnings) are written either way, so a scheduled import's log says
what it did; `--quiet` leaves only the warnings and errors.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

REDRAW_SECONDS = 0.1  # a line redrawn more often than this only flickers


class Progress:
    """The live line (on a TTY), the warnings and the summary."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        quiet: bool = False,
        live: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        isatty = getattr(self.stream, "isatty", None)
        self.live = (not quiet) and (live if live is not None else bool(isatty and isatty()))
        self._clock = clock
        self.started = clock()
        self._drawn = 0.0
        self._width = 0
        self.families: dict[str, tuple[int, int, int | None]] = {}  # name -> objects, page, pages
        self.expected = 0  # families to read
        self.requests = 0

    def begin(self, families: list[str]) -> None:
        """The crawl reads these families."""
        self.expected = len(families)

    def request(self, method: str, path: str, status: int | None) -> None:
        """One request went out (and came back with `status`, None for none)."""
        self.requests += 1
        self._draw()

    def family_read(self, name: str, objects: int, page: int, pages: int | None) -> None:
        """A family's page was read: its objects so far, the page, its pages in all."""
        self.families[name] = (objects, page, pages)
        self._draw()

    def warn(self, message: str) -> None:
        """A warning, on a line of its own (the live line is drawn again after it)."""
        self._clear()
        print(f"mock-em import: warning: {message}", file=self.stream, flush=True)

    def done(self, summary: str) -> None:
        """The end: the live line goes, the summary stays (unless quiet)."""
        self._clear()
        if not self.quiet:
            print(summary, file=self.stream, flush=True)

    def elapsed(self) -> float:
        """Seconds since the import began."""
        return self._clock() - self.started

    def line(self) -> str:
        """The live line's text."""
        objects = sum(entry[0] for entry in self.families.values())
        seconds = max(self.elapsed(), 1e-6)
        rate = self.requests / seconds
        current = next(reversed(self.families), None)
        where = ""
        if current is not None:
            count, page, pages = self.families[current]
            where = f"{current} {count} (page {page}{f'/{pages}' if pages else ''}), "
        left = self.pages_left()
        eta = f", ~{left / rate:.0f} s left" if rate > 0 and left else ""
        return (
            f"reading {where}{objects} objects in {len(self.families)}/{self.expected} families, "
            f"{self.requests} requests, {rate:.1f}/s{eta}"
        )

    def pages_left(self) -> int:
        """Pages still to read, as far as known: each family's count less what is read, and one
        page for each family not begun."""
        left = max(0, self.expected - len(self.families))
        for _, page, pages in self.families.values():
            if pages:
                left += max(0, pages - page)
        return left

    def _draw(self) -> None:
        if not self.live:
            return
        now = self._clock()
        if now - self._drawn < REDRAW_SECONDS:
            return
        self._drawn = now
        text = self.line()
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write(f"\r{text}{pad}")
        self.stream.flush()

    def _clear(self) -> None:
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
            self._drawn = 0.0
