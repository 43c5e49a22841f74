"""Compiled filters: a tree of nodes that test whole columns of objects at a time.

Why columns: a query may scan a million restore points, and a Python call per object per
comparison would take seconds. A compiled comparison instead maps C-level functions
(`operator.attrgetter`, `str.casefold`, `operator.eq`) over the list of candidates, and AND/OR
narrow the candidates so that later terms only look at objects still in play. The parser
(`query_filter`) builds these nodes; nothing here reads filter text.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from typing import Any
from uuid import UUID

from mock_em.model.query_ascending import ORDERED_OPS, Ascending, run_within
from mock_em.model.query_fields import Field, FieldSet, Kind
from mock_em.model.world import World

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    # the filter's operators as C functions
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


class Node:
    """A compiled piece of a filter: `mask` says, for each object, whether it matches."""

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        raise NotImplementedError

    def matches(self, world: World, items: Sequence[Any]) -> list[bool] | Run:
        """`mask`, or a `Run` when the matches are known to be one contiguous run of `items`
        (which spares building and compressing a million-entry mask)."""
        return self.mask(world, items)


class Run:
    """The matches of a node are `items[lo:hi]`, whose keys of `field` are ascending (as all the
    keys of `items` are): a sort by that field need not read or check them again."""

    __slots__ = ("field", "hi", "lo")

    def __init__(self, field: Field, lo: int, hi: int) -> None:
        self.field, self.lo, self.hi = field, lo, hi

    def mask(self, n: int) -> list[bool]:
        """The run as a mask over `n` items."""
        return [False] * self.lo + [True] * (self.hi - self.lo) + [False] * (n - self.hi)


def _mask(found: list[bool] | Run, n: int) -> list[bool]:
    return found.mask(n) if isinstance(found, Run) else found


class Comparison(Node):
    """`<field><op><value>`, the value already converted to a key (once, at parse time). An order
    comparison over keys already ascending is one run of them, found by bisection (see `Range`)."""

    def __init__(self, field: Field, op: str, key: Any) -> None:
        self.field, self.op, self.key = field, op, key

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        return _mask(self.matches(world, items), len(items))

    def matches(self, world: World, items: Sequence[Any]) -> list[bool] | Run:
        if self.field.compare is not None:
            found = self.field.compare(world, items, self.op, self.key)
            if found is not None:
                return found
        if self.op in ORDERED_OPS and self.op != "==":
            keys = list(self.field.column(world, items))
            run = run_within(keys, [(self.op, self.key)])
            return Run(self.field, *run) if run is not None else list(map(COMPARE[self.op], keys, repeat(self.key)))
        return list(map(COMPARE[self.op], self.field.column(world, items), repeat(self.key)))


class _UidOrder(Comparison):
    """`UID<value>` and friends: compared as the UID strings (the rare case, so done plainly)."""

    def matches(self, world: World, items: Sequence[Any]) -> list[bool]:
        prefix = self.field.uid_prefix.casefold()
        uids = (prefix + str(UUID(int=k)) for k in self.field.column(world, items))
        return list(map(COMPARE[self.op], uids, repeat(self.key)))


class _Constant(Node):
    """A comparison whose answer is the same for every object (`UID==nonsense` is never true)."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        return [self.value] * len(items)


class _Not(Node):
    def __init__(self, term: Node) -> None:
        self.term = term

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        return list(map(operator.not_, self.term.mask(world, items)))


class _Itself(Node):
    """`UID==<uid>` on the type's own UID: look the object up once, then test identity, which
    never touches the other objects' memory (ten times faster than reading a million UIDs)."""

    def __init__(self, lookup: Callable[[World, int], Any], uid: int) -> None:
        self.lookup, self.uid = lookup, uid

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        target = self.lookup(world, self.uid)
        if target is None:
            return [False] * len(items)
        return list(map(operator.is_, items, repeat(target)))


class In(Node):
    """`f==a,f==b,…` folded into one set lookup per object, instead of one pass per value. Over a
    text column that offers its values before folding (`query_columns.text`), each distinct value
    is folded and tested once, and the objects are tested by the values they hold."""

    def __init__(self, field: Field, keys: frozenset[Any]) -> None:
        self.field, self.keys = field, keys

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        raw = getattr(self.field.column, "raw", None)
        if raw is not None:
            values = raw(items)
            wanted = {v for v in set(values) if v.casefold() in self.keys}
            return list(map(wanted.__contains__, values))
        return list(map(self.keys.__contains__, self.field.column(world, items)))


def compile_comparison(field: Field, op: str, key: Any) -> Node:
    """The cheapest node that answers `field op key` exactly."""
    if field.kind is Kind.UID:
        if op not in ("==", "!="):
            return _UidOrder(field, op, key)
        uid = _uid_int(field.uid_prefix.casefold(), key)
        if uid is None:  # not this field's kind of UID: equal to none
            return _Constant(op == "!=")
        node: Node = _Itself(field.lookup, uid) if field.lookup is not None else Comparison(field, "==", uid)
        return node if op == "==" else _Not(node)
    if op in ("==", "!=") and field.narrow is not None:
        necessary = field.narrow(key)
        if necessary is not None:
            node = And([*_conjunction(necessary), Comparison(field, "==", key)])
            return node if op == "==" else _Not(node)
    return Comparison(field, op, key)


def _conjunction(comparisons: list[tuple[Field, str, Any]]) -> list[Node]:
    """Nodes for comparisons that must all hold; several of one plain field become one `Range`,
    which reads the field once (`Name==<vm>@<stamp>` narrows by two CreationTime bounds)."""
    by_field: dict[Field, list[tuple[str, Any]]] = {}
    for field, op, key in comparisons:
        by_field.setdefault(field, []).append((op, key))
    nodes: list[Node] = []
    for field, tests in by_field.items():
        if len(tests) > 1 and field.kind is not Kind.UID and field.compare is None:
            nodes.append(Range(field, tests))
        else:
            nodes.extend(compile_comparison(field, op, key) for op, key in tests)
    return nodes


def _uid_int(prefix: str, key: str) -> int | None:
    """The UUID int of `<prefix><canonical guid>` (casefolded), or None for any other text."""
    rest = key[len(prefix) :] if key.startswith(prefix) else ""
    try:
        uid = UUID(rest)
    except ValueError:
        return None
    return uid.int if str(uid) == rest else None


class Range(Node):
    """`f>=a;f<b` (any comparisons of one field, all required): the column is read once and every
    comparison runs over the keys in one pass, rather than a second read of the objects that passed
    the first (reading a field of a million objects costs more than comparing a million keys);
    over keys already in ascending order (points by CreationTime) two bisections find the one run
    of matches (`query_ascending`). A field whose `compare` shortcut takes several comparisons at
    once (`Field.tests`) uses that."""

    def __init__(self, field: Field, tests: list[tuple[str, Any]]) -> None:
        self.field, self.tests = field, tests
        self._check = _all_of(tuple(op for op, _ in tests))

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        return _mask(self.matches(world, items), len(items))

    def matches(self, world: World, items: Sequence[Any]) -> list[bool] | Run:
        if self.field.tests is not None:
            found = self.field.tests(world, items, self.tests)
            if found is not None:
                return found
        keys = list(self.field.column(world, items))
        run = run_within(keys, self.tests)
        return Run(self.field, *run) if run is not None else self._check(keys, *(key for _, key in self.tests))


@functools.cache
def _all_of(ops: tuple[str, ...]) -> Callable[..., list[bool]]:
    """`[(k <op0> v0) and (k <op1> v1) and … for k in keys]` compiled for these operators (called
    as `check(keys, v0, v1, …)`): one pass over the keys with the comparisons inlined, about half
    the time of a `map` per comparison and one more to combine them."""
    if not ops or any(op not in COMPARE for op in ops):
        raise ValueError(f"not comparison operators: {ops!r}")
    values = [f"v{i}" for i in range(len(ops))]
    test = " and ".join(f"(k {op} {v})" for op, v in zip(ops, values, strict=True))
    source = f"def check(keys, {', '.join(values)}):\n    return [{test} for k in keys]\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<range {' '.join(ops)}>", "exec"), namespace)
    return namespace["check"]


class And(Node):
    """Every term must hold; each term only sees the objects that passed the terms before it."""

    def __init__(self, terms: list[Node]) -> None:
        self.terms = terms

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        index: Sequence[int] = range(len(items))
        alive: Sequence[Any] = items
        for term in self.terms:
            passed = term.matches(world, alive)
            if isinstance(passed, Run):  # a slice: no million-entry compress
                index, alive = index[passed.lo : passed.hi], alive[passed.lo : passed.hi]
            else:
                index, alive = list(compress(index, passed)), list(compress(alive, passed))
            if not index:
                return [False] * len(items)
        if isinstance(index, range):
            return [False] * index.start + [True] * len(index) + [False] * (len(items) - index.stop)
        result = [False] * len(items)
        for i in index:
            result[i] = True
        return result


class Or(Node):
    """Any term may hold; each term only sees the objects that no term before it matched."""

    def __init__(self, terms: list[Node]) -> None:
        self.terms = terms

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        result = [False] * len(items)
        index: Sequence[int] = range(len(items))
        rest: Sequence[Any] = items
        last = self.terms[-1]
        for term in self.terms:
            hit = term.mask(world, rest)
            if not any(hit):
                continue
            for i in compress(index, hit):
                result[i] = True
            if term is last:  # nothing left to narrow for
                break
            missed = list(map(operator.not_, hit))
            index = list(compress(index, missed))
            rest = list(compress(rest, missed))
            if not index:
                break
        return result


class Filter:
    """A parsed filter, ready to run over any number of objects of its query type."""

    def __init__(self, text: str, qtype: FieldSet, root: Node) -> None:
        self.text = text
        self.qtype = qtype
        self._root = root

    def matches(self, world: World, obj: Any) -> bool:
        """Whether one object matches (for tests and single lookups; use `select` for lists)."""
        return self._root.mask(world, [obj])[0]

    def select(self, world: World, items: Sequence[Any]) -> list[Any]:
        """The matching objects, in their given order (an `Ascending` list when they are one run
        of `items` whose keys of a field are ascending)."""
        found = self._root.matches(world, items)
        if isinstance(found, Run):
            return Ascending(items[found.lo : found.hi], found.field)
        return list(compress(items, found))

    def __repr__(self) -> str:
        return f"Filter({self.text!r} on {self.qtype.name})"
