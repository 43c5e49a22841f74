"""The query service's filter language: a tokenizer and a recursive-descent parser that turn a
`filter` parameter into a compiled filter. The fields and how values are read live in
`query_fields`, the compiled filter nodes in `query_nodes`.

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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mock_em.model.query_fields import Column, Field, FieldSet, Kind, QueryError, QueryType, excerpt
from mock_em.model.query_nodes import And, Comparison, Filter, In, Node, Or, Range, compile_comparison

__all__ = [
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "Column",
    "Field",
    "FieldSet",
    "Filter",
    "Kind",
    "QueryError",
    "QueryType",
    "excerpt",
    "parse_filter",
]


MAX_FILTER_LENGTH = 8192
"""Longest filter accepted, in characters: far beyond any real query, short of a denial of service."""

MAX_DEPTH = 64
"""Deepest parenthesis nesting accepted, so a hostile filter cannot exhaust Python's stack."""

_EXCERPT = 20


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

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise _syntax_error(self.token.pos, 'the filter is empty; expected a comparison such as Name=="value"')
        node = self._or()
        if self.token.kind == ")":
            raise _syntax_error(self.token.pos, "this ')' has no matching '('")
        if self.token.kind != "end":
            raise self._error("expected ';' (AND), ',' (OR) or the end of the filter")
        return node

    def _or(self) -> Node:
        return self._chain(",", self._and, Or, _fold_equalities)

    def _and(self) -> Node:
        return self._chain(";", self._primary, And, _fold_ranges)

    def _chain(
        self,
        separator: str,
        term: Callable[[], Node],
        node: type[And] | type[Or],
        fold: Callable[[list[Node]], list[Node]],
    ) -> Node:
        """Terms joined by `separator` (`,` or, `;` and): one term alone, or the joined node of the
        terms flattened and folded (equalities of one field, ranges of one field)."""
        terms = [term()]
        while self.token.kind == separator:
            self._advance()
            terms.append(term())
        if len(terms) == 1:
            return terms[0]
        folded = fold(_flatten(terms, node))
        return folded[0] if len(folded) == 1 else node(folded)

    def _primary(self) -> Node:
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

    def _comparison(self) -> Node:
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
        return compile_comparison(field, op, key)


def _flatten(terms: list[Node], kind: type[And] | type[Or]) -> list[Node]:
    """`a;(b;c)` is `a;b;c`: one level of narrowing instead of two."""
    flat: list[Node] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, kind) else [term])
    return flat


def _fold_ranges(terms: list[Node]) -> list[Node]:
    """In an AND, plain comparisons of one field become one `Range` (`CreationTime>=a;CreationTime<b`).
    Fields with their own comparison shortcut (`Field.compare`) keep it, unless the shortcut also
    takes several comparisons at once (`Field.tests`: `Name>=a;Name<b`)."""
    by_field: dict[Field, list[Comparison]] = {}
    for term in terms:
        if type(term) is Comparison and (term.field.compare is None or term.field.tests is not None):
            by_field.setdefault(term.field, []).append(term)
    folded: list[Node] = []
    done: set[Field] = set()
    for term in terms:
        if type(term) is Comparison and len(by_field.get(term.field, ())) > 1:
            if term.field not in done:
                done.add(term.field)
                folded.append(Range(term.field, [(t.op, t.key) for t in by_field[term.field]]))
            continue
        folded.append(term)
    return folded


def _fold_equalities(terms: list[Node]) -> list[Node]:
    """In an OR, plain `==` tests of one field become one `In` (`VmName==a,VmName==b`)."""
    by_field: dict[Field, list[Comparison]] = {}
    for term in terms:
        if type(term) is Comparison and term.op == "==":
            by_field.setdefault(term.field, []).append(term)
    folded: list[Node] = []
    done: set[Field] = set()
    for term in terms:
        if type(term) is Comparison and term.op == "==" and len(by_field[term.field]) > 1:
            if term.field not in done:
                done.add(term.field)
                folded.append(In(term.field, frozenset(t.key for t in by_field[term.field])))
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
