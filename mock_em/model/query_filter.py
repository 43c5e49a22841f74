"""The query service's filter language: fields and their kinds, a tokenizer, a recursive-descent
parser, and filters compiled once per request that test whole columns of objects at a time.

The language, as Veeam documents it (filter.md, query_comparison.md, query_and_or.md,
query_grouping.md, optional_query_parameters.md):

    filter     := or_expr
    or_expr    := and_expr ( "," and_expr )*          "," is OR
    and_expr   := primary  ( ";" primary )*           ";" is AND
    primary    := "(" or_expr ")" | comparison
    comparison := field ( "==" | "!=" | "<" | ">" | "<=" | ">=" ) value
    value      := '"' ( any character but '"' | '""' )* '"'
                | unquoted: everything up to ";", ",", ")" or the end, spaces ignored;
                  it may not start with "=", "!", "<" or ">" nor hold '"' or "(" (quote such values)

Precedence: the vendor pages define `;` and `,` and show parentheses grouping AND-pairs under an
OR (`(jobtype==replica;scheduleconfigured==false),(jobtype==backup;scheduleconfigured==true)`),
but never say how an ungrouped mix binds. mock-em lets AND bind tighter than OR, as in SQL, FIQL
and boolean algebra, so `a,b;c` means `a,(b;c)`; clients that care write the parentheses anyway.

Why columns: a query may scan a million restore points, and a Python call per object per
comparison would take seconds. A compiled comparison instead maps C-level functions
(`operator.attrgetter`, `str.casefold`, `operator.eq`) over the list of candidates, and AND/OR
narrow the candidates so that later terms only look at objects still in play.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import compress, repeat
from typing import Any, Protocol
from uuid import UUID

from mock_em.model.world import World

MAX_FILTER_LENGTH = 8192
"""Longest filter accepted, in characters: far beyond any real query, short of a denial of service."""

MAX_DEPTH = 64
"""Deepest parenthesis nesting accepted, so a hostile filter cannot exhaust Python's stack."""

_EXCERPT = 20
_INT64 = (-(2**63), 2**63 - 1)


class QueryError(ValueError):
    """A query the service cannot run; `str(exc)` is the message the client sees (HTTP 400)."""


class Kind(enum.Enum):
    """How a field's values are read from a filter and compared."""

    STRING = "String"  # case-insensitive, also for < and >
    UID = "UidType"  # `urn:veeam:<Type>:<guid>`, case-insensitive
    DATETIME = "DateTime"  # UTC instants; a date alone is midnight UTC
    INT = "Int64"
    BOOL = "Boolean"  # true / false in any case
    ENUM = "Enum"  # compared by the value's index in the vendor's enum


Column = Callable[[World, Sequence[Any]], Iterable[Any]]
"""Reads one field of many objects at once: (world, objects) -> their keys, in order.

Keys are normalised so that Python's own comparison is the vendor's: casefolded strings, UTC
datetimes, enum indexes, and UUIDs as their 128-bit ints (a type's UIDs share one prefix, so the
int order is the UID string order)."""


Narrow = Callable[[Any], "list[tuple[Field, str, Any]] | None"]
"""Cheap necessary conditions for `field == key` (a conjunction of comparisons on other fields),
or None when there are none; used where the field itself is expensive to read."""


@dataclass(frozen=True, eq=False)
class Field:
    """One filterable (and sortable) field of a query type."""

    name: str  # the vendor's spelling, e.g. `CreationTime`
    kind: Kind
    column: Column
    values: tuple[str, ...] = ()  # ENUM: the vendor's values, in enum order
    uid_prefix: str = ""  # UID: e.g. `urn:veeam:CloudReplica:`
    lookup: Callable[[World, int], Any] | None = None  # UID of the object itself: (world, uid int) -> it
    narrow: Narrow | None = None

    def literal(self, text: str) -> Any:
        """The key a filter value stands for; ValueError (with a client-facing message) if none."""
        if self.kind is Kind.STRING:
            return text.casefold()
        if self.kind is Kind.UID:
            return text.strip().casefold()
        return _LITERALS[self.kind](self, text.strip())


class FieldSet(Protocol):
    """What the parser needs of a query type: its vendor name and its fields by casefolded name."""

    @property
    def name(self) -> str: ...

    @property
    def fields(self) -> Mapping[str, Field]: ...


# -- reading values -------------------------------------------------------------------------

_DATETIME = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[T ]?(?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]{1,7}))?)?)?"
    r" ?(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?",
    re.IGNORECASE,
)
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


def _datetime(field: Field, text: str) -> datetime:
    """A UTC instant. The separator between date and time is optional because an unquoted
    `2019-06-30 12:00:00` reaches us as `2019-06-3012:00:00` (the vendor ignores its spaces).
    The vendor asks for UTC; an explicit offset (`+02:00`) is unambiguous, so it is converted."""
    match = _DATETIME.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        tz = UTC
        if match["tz"] and match["tz"].upper() != "Z":
            sign = -1 if match["tz"][0] == "-" else 1
            digits = match["tz"][1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        value = datetime(
            int(match["y"]),
            int(match["mo"]),
            int(match["d"]),
            int(match["h"] or 0),
            int(match["mi"] or 0),
            int(match["s"] or 0),
            int((match["f"] or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{field.name} '{excerpt(text)}' is out of the range of dates") from None
    except ValueError:
        raise ValueError(
            f'{field.name} needs a UTC date and time such as 2019-06-30, "2019-06-30 12:00:00" or '
            f"2019-06-30T12:00:00Z, found '{excerpt(text)}'"
        ) from None


def _int(field: Field, text: str) -> int:
    if _INTEGER.fullmatch(text) and _INT64[0] <= int(text) <= _INT64[1]:
        return int(text)
    raise ValueError(f"{field.name} needs a whole number, found '{excerpt(text)}'")


def _bool(field: Field, text: str) -> bool:
    folded = text.casefold()
    if folded in ("true", "false"):
        return folded == "true"
    raise ValueError(f"{field.name} needs true or false, found '{excerpt(text)}'")


def _enum(field: Field, text: str) -> int:
    folded = text.casefold()
    for index, value in enumerate(field.values):
        if value.casefold() == folded:
            return index
    raise ValueError(f"{field.name} needs one of {', '.join(field.values)}, found '{excerpt(text)}'")


_LITERALS: dict[Kind, Callable[[Field, str], Any]] = {
    Kind.DATETIME: _datetime,
    Kind.INT: _int,
    Kind.BOOL: _bool,
    Kind.ENUM: _enum,
}


# -- messages ---------------------------------------------------------------------------------


def excerpt(text: str, limit: int = 40) -> str:
    """Text fit to quote in a message: shortened, control and other unprintable characters
    escaped (error messages end up in XML attributes, where most control characters are illegal)."""
    short = text if len(text) <= limit else text[:limit] + "..."
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in short)


def _syntax_error(pos: int, what: str) -> QueryError:
    return QueryError(f"Filter syntax error at position {pos + 1}: {what}")


def _found(text: str, pos: int) -> str:
    """`found '<excerpt>'` or `found the end of the filter`: where the parser stopped making sense."""
    if pos >= len(text):
        return "found the end of the filter"
    return f"found '{excerpt(text[pos:], _EXCERPT)}'"


# -- tokens -----------------------------------------------------------------------------------

_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
_OPERATOR_LIST = "(==, !=, <, >, <=, >=)"
_OP_CHARS = frozenset("=!<>")
_PUNCT = frozenset("();,")
_VALUE_END = frozenset(";,)")
_UNQUOTABLE = frozenset('"(')  # in an unquoted value, almost surely a mistake: say so early


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", ";", ",", "field", "op", "value", "junk", "end"
    pos: int  # 0-based offset of its first character
    text: str = ""  # field name, operator or value (unquoted, spaces removed / quotes undoubled)


class _Lexer:
    """Hands the parser one token at a time, so the first error in reading order is the one
    reported. After an operator it reads a value, whose rules differ from the rest of the text
    (an unquoted value may hold `=`, `:` or `<`), so the lexer keeps that one bit of state."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.after_operator = False

    def next(self) -> _Token:
        text, n = self.text, len(self.text)
        i = self.i
        while i < n and text[i].isspace():
            i += 1
        if self.after_operator:
            self.after_operator = False
            return self._value(i)
        if i >= n:
            self.i = i
            return _Token("end", i)
        ch = text[i]
        if ch in _PUNCT:
            self.i = i + 1
            return _Token(ch, i)
        if ch in _OP_CHARS:
            for op in _OPERATORS:
                if text.startswith(op, i):
                    self.i = i + len(op)
                    self.after_operator = True
                    return _Token("op", i, op)
            self.i = i + 1
            return _Token("junk", i)
        if ch.isalnum() or ch == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            self.i = j
            return _Token("field", i, text[i:j])
        self.i = i + 1
        return _Token("junk", i)

    def _value(self, i: int) -> _Token:
        text, n = self.text, len(self.text)
        if i < n and text[i] == '"':
            return self._quoted(i)
        if i >= n or text[i] in _VALUE_END:
            raise _syntax_error(i, f"expected a value after the comparison operator, {_found(text, i)}")
        if text[i] in _OP_CHARS:
            raise _syntax_error(
                i, f"a value may not start with '{text[i]}' unless it is quoted; the operators are {_OPERATOR_LIST}"
            )
        j = i
        while j < n and text[j] not in _VALUE_END:
            if text[j] in _UNQUOTABLE:
                raise _syntax_error(j, f"a '{text[j]}' inside an unquoted value; put the whole value in double quotes")
            j += 1
        self.i = j
        return _Token("value", i, "".join(text[i:j].split()))  # the vendor ignores spaces in unquoted values

    def _quoted(self, start: int) -> _Token:
        text, n = self.text, len(self.text)
        parts: list[str] = []
        i = start + 1
        while True:
            close = text.find('"', i)
            if close < 0:
                raise _syntax_error(
                    start, f"the quoted value starting here has no closing '\"' ({_found(text, start)})"
                )
            parts.append(text[i:close])
            if close + 1 < n and text[close + 1] == '"':  # a doubled quote is a literal quote
                parts.append('"')
                i = close + 2
                continue
            self.i = close + 1
            return _Token("value", start, "".join(parts))


# -- the tree ---------------------------------------------------------------------------------

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


class _Node:
    """A compiled piece of a filter: `mask` says, for each object, whether it matches."""

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        raise NotImplementedError


class _Comparison(_Node):
    """`<field><op><value>`, the value already converted to a key (once, at parse time)."""

    def __init__(self, field: Field, op: str, key: Any) -> None:
        self.field, self.op, self.key = field, op, key

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        return list(map(_COMPARE[self.op], self.field.column(world, items), repeat(self.key)))


class _UidOrder(_Comparison):
    """`UID<value>` and friends: compared as the UID strings (the rare case, so done plainly)."""

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        prefix = self.field.uid_prefix.casefold()
        uids = (prefix + str(UUID(int=k)) for k in self.field.column(world, items))
        return list(map(_COMPARE[self.op], uids, repeat(self.key)))


class _Constant(_Node):
    """A comparison whose answer is the same for every object (`UID==nonsense` is never true)."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        return [self.value] * len(items)


class _Not(_Node):
    def __init__(self, term: _Node) -> None:
        self.term = term

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        return list(map(operator.not_, self.term.mask(world, items)))


class _Itself(_Node):
    """`UID==<uid>` on the type's own UID: look the object up once, then test identity, which
    never touches the other objects' memory (ten times faster than reading a million UIDs)."""

    def __init__(self, lookup: Callable[[World, int], Any], uid: int) -> None:
        self.lookup, self.uid = lookup, uid

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        target = self.lookup(world, self.uid)
        if target is None:
            return [False] * len(items)
        return list(map(operator.is_, items, repeat(target)))


class _In(_Node):
    """`f==a,f==b,…` folded into one set lookup per object, instead of one pass per value."""

    def __init__(self, field: Field, keys: frozenset[Any]) -> None:
        self.field, self.keys = field, keys

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        return list(map(self.keys.__contains__, self.field.column(world, items)))


def _compile(field: Field, op: str, key: Any) -> _Node:
    """The cheapest node that answers `field op key` exactly."""
    if field.kind is Kind.UID:
        if op not in ("==", "!="):
            return _UidOrder(field, op, key)
        uid = _uid_int(field.uid_prefix.casefold(), key)
        if uid is None:  # not this field's kind of UID: equal to none
            return _Constant(op == "!=")
        node: _Node = _Itself(field.lookup, uid) if field.lookup is not None else _Comparison(field, "==", uid)
        return node if op == "==" else _Not(node)
    if op in ("==", "!=") and field.narrow is not None:
        necessary = field.narrow(key)
        if necessary is not None:
            node = _And([*(_compile(f, o, k) for f, o, k in necessary), _Comparison(field, "==", key)])
            return node if op == "==" else _Not(node)
    return _Comparison(field, op, key)


def _uid_int(prefix: str, key: str) -> int | None:
    """The UUID int of `<prefix><canonical guid>` (casefolded), or None for any other text."""
    rest = key[len(prefix) :] if key.startswith(prefix) else ""
    try:
        uid = UUID(rest)
    except ValueError:
        return None
    return uid.int if str(uid) == rest else None


class _And(_Node):
    """Every term must hold; each term only sees the objects that passed the terms before it."""

    def __init__(self, terms: list[_Node]) -> None:
        self.terms = terms

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        index: Sequence[int] = range(len(items))
        alive: Sequence[Any] = items
        for term in self.terms:
            passed = term.mask(world, alive)
            index = list(compress(index, passed))
            alive = list(compress(alive, passed))
            if not index:
                break
        result = [False] * len(items)
        for i in index:
            result[i] = True
        return result


class _Or(_Node):
    """Any term may hold; each term only sees the objects that no term before it matched."""

    def __init__(self, terms: list[_Node]) -> None:
        self.terms = terms

    def mask(self, world: World, items: Sequence[Any]) -> list[bool]:
        result = [False] * len(items)
        index: Sequence[int] = range(len(items))
        rest: Sequence[Any] = items
        for term in self.terms:
            hit = term.mask(world, rest)
            if not any(hit):
                continue
            for i in compress(index, hit):
                result[i] = True
            missed = list(map(operator.not_, hit))
            index = list(compress(index, missed))
            rest = list(compress(rest, missed))
            if not index:
                break
        return result


class Filter:
    """A parsed filter, ready to run over any number of objects of its query type."""

    def __init__(self, text: str, qtype: FieldSet, root: _Node) -> None:
        self.text = text
        self.qtype = qtype
        self._root = root

    def matches(self, world: World, obj: Any) -> bool:
        """Whether one object matches (for tests and single lookups; use `select` for lists)."""
        return self._root.mask(world, [obj])[0]

    def select(self, world: World, items: Sequence[Any]) -> list[Any]:
        """The matching objects, in their given order."""
        return list(compress(items, self._root.mask(world, items)))

    def __repr__(self) -> str:
        return f"Filter({self.text!r} on {self.qtype.name})"


# -- the parser -------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the grammar in the module docstring, one token of look-ahead."""

    def __init__(self, text: str, qtype: FieldSet) -> None:
        self.text = text
        self.qtype = qtype
        self.lexer = _Lexer(text)
        self.depth = 0
        self.token = self.lexer.next()

    def _advance(self) -> None:
        self.token = self.lexer.next()

    def _error(self, what: str) -> QueryError:
        hint = ""
        found = self.text[self.token.pos : self.token.pos + 1]
        if found == "=":
            hint = "; '=' is not an operator, use '=='"
        elif found == '"':
            hint = "; a quoted value may only follow a comparison operator"
        return _syntax_error(self.token.pos, f"{what}, {_found(self.text, self.token.pos)}{hint}")

    def parse(self) -> _Node:
        if self.token.kind == "end":
            raise _syntax_error(self.token.pos, 'the filter is empty; expected a comparison such as Name=="value"')
        node = self._or()
        if self.token.kind == ")":
            raise _syntax_error(self.token.pos, "this ')' has no matching '('")
        if self.token.kind != "end":
            raise self._error("expected ';' (AND), ',' (OR) or the end of the filter")
        return node

    def _or(self) -> _Node:
        terms = [self._and()]
        while self.token.kind == ",":
            self._advance()
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else _Or(_fold_equalities(_flatten(terms, _Or)))

    def _and(self) -> _Node:
        terms = [self._primary()]
        while self.token.kind == ";":
            self._advance()
            terms.append(self._primary())
        return terms[0] if len(terms) == 1 else _And(_flatten(terms, _And))

    def _primary(self) -> _Node:
        token = self.token
        if token.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _syntax_error(token.pos, f"parentheses nest deeper than {MAX_DEPTH} levels")
            self._advance()
            node = self._or()
            if self.token.kind != ")":
                raise self._error(f"expected ')' to close the '(' at position {token.pos + 1}")
            self.depth -= 1
            self._advance()
            return node
        if token.kind == "field":
            return self._comparison()
        raise self._error("expected a field name or '('")

    def _comparison(self) -> _Node:
        name = self.token
        field = self.qtype.fields.get(name.text.casefold())
        if field is None:
            known = ", ".join(f.name for f in self.qtype.fields.values())
            raise QueryError(
                f"Filter error at position {name.pos + 1}: unknown field '{excerpt(name.text)}' for type "
                f"{self.qtype.name}; its fields are {known}"
            )
        self._advance()
        if self.token.kind != "op":
            raise self._error(f"expected a comparison operator {_OPERATOR_LIST} after '{excerpt(name.text)}'")
        op = self.token.text
        self._advance()
        value = self.token  # the lexer returns a value (or raises) right after an operator
        try:
            key = field.literal(value.text)
        except ValueError as exc:
            raise QueryError(f"Filter error at position {value.pos + 1}: {exc}") from None
        self._advance()
        return _compile(field, op, key)


def _flatten(terms: list[_Node], kind: type[_And] | type[_Or]) -> list[_Node]:
    """`a;(b;c)` is `a;b;c`: one level of narrowing instead of two."""
    flat: list[_Node] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, kind) else [term])
    return flat


def _fold_equalities(terms: list[_Node]) -> list[_Node]:
    """In an OR, plain `==` tests of one field become one `_In` (`VmName==a,VmName==b`)."""
    by_field: dict[Field, list[_Comparison]] = {}
    for term in terms:
        if type(term) is _Comparison and term.op == "==":
            by_field.setdefault(term.field, []).append(term)
    folded: list[_Node] = []
    done: set[Field] = set()
    for term in terms:
        if type(term) is _Comparison and term.op == "==" and len(by_field[term.field]) > 1:
            if term.field not in done:
                done.add(term.field)
                folded.append(_In(term.field, frozenset(t.key for t in by_field[term.field])))
            continue
        folded.append(term)
    return folded


def parse_filter(text: str, qtype: FieldSet) -> Filter:
    """Parse and compile a `filter` parameter for `qtype`; QueryError says what is wrong and where."""
    if len(text) > MAX_FILTER_LENGTH:
        raise QueryError(
            f"Filter error at position {MAX_FILTER_LENGTH + 1}: the filter is {len(text)} characters long; "
            f"at most {MAX_FILTER_LENGTH} are accepted"
        )
    return Filter(text, qtype, _Parser(text, qtype).parse())
