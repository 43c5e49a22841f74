"""The README's "Testing with mock-em" examples are tests, so the docs cannot rot.

Blocks that define `test_…` functions are written as test files and run by pytest in a
subprocess, as a user's project would run them (no conftest: the fixtures come from the installed
plugin); the other blocks are plain Python and are executed here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "## Testing with mock-em"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
TEST_FUNCTION = re.compile(r"^(?:async )?def test_", re.M)


def section() -> str:
    """The README text from the heading to the next `## ` heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{HEADING}\n")
    end = text.find("\n## ", start + len(HEADING) + 2)
    return text[start : end if end != -1 else None]


def blocks() -> list[str]:
    """The section's ```python blocks, in order."""
    return BLOCK.findall(section())


def pytest_blocks() -> list[str]:
    return [b for b in blocks() if TEST_FUNCTION.search(b)]


def plain_blocks() -> list[str]:
    return [b for b in blocks() if not TEST_FUNCTION.search(b)]


def test_the_section_has_both_kinds_of_example() -> None:
    assert len(pytest_blocks()) >= 3 and plain_blocks()


def test_pytest_examples_pass(pytester: pytest.Pytester) -> None:
    examples = pytest_blocks()
    for i, code in enumerate(examples):
        pytester.makepyfile(**{f"test_readme_{i}": code})
    expected = sum(len(TEST_FUNCTION.findall(code)) for code in examples)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--strict-markers")
    outcomes = result.parseoutcomes()
    assert not outcomes.get("failed") and not outcomes.get("errors"), result.stdout.str()
    # async examples run once per installed anyio backend (asyncio, and trio when present)
    assert outcomes.get("passed", 0) >= expected, result.stdout.str()


@pytest.mark.parametrize("index", range(len(plain_blocks())))
def test_plain_examples_run(index: int) -> None:
    code = plain_blocks()[index]
    exec(compile(code, f"README.md[{HEADING} python block {index}]", "exec"), {"__name__": "readme_example"})
