"""Prometheus' text exposition format, read back: what an exporter's `/metrics` says."""

from __future__ import annotations

import re

SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)",?')
Labels = tuple[tuple[str, str], ...]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def parse_metrics(text: str) -> dict[str, dict[Labels, float]]:
    """Each metric's samples by their labels (sorted by name); comment lines are left out."""
    metrics: dict[str, dict[Labels, float]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        pairs = tuple(sorted((k, _unescape(v)) for k, v in LABEL.findall(labels or "")))
        metrics.setdefault(name, {})[pairs] = float(value)
    return metrics


def labeled(samples: dict[Labels, float], *names: str) -> dict[tuple[str, ...], float]:
    """Samples keyed by the values of the labels named, in that order."""
    return {tuple(dict(labels)[n] for n in names): value for labels, value in samples.items()}
