"""The types the query service answers for: each kind's own declaration (`Kind.query`, written in
its family's module with the builders of `query_columns`), collected here in the vendor's order.

The model may not import the families, so the table is built on first use (`kinds()`), and
`QUERY_TYPES` is looked up lazily as a module attribute.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from mock_em.model.kinds import kinds
from mock_em.model.query_fields import QueryError, QueryType, excerpt

__all__ = ["query_type", "query_types", "served_types"]  # and QUERY_TYPES, looked up lazily


@cache
def query_types() -> dict[str, QueryType]:
    """Every query type by casefolded name, in the vendor's order (`Kind.query_order`)."""
    declared = sorted((k for k in kinds().values() if k.query is not None), key=lambda k: k.query_order)
    return {k.name.casefold(): k.query(k) for k in declared}  # type: ignore[misc]


def served_types(served: frozenset[str] | None = None) -> list[QueryType]:
    """The query types of the kinds an EM serves (`served`, by kind name; None: every kind), in
    the vendor's order: a release lacking a family offers no query type for it either."""
    return [t for t in query_types().values() if served is None or t.name in served]


def query_type(name: str, served: frozenset[str] | None = None) -> QueryType:
    """A query type by case-insensitive name (`type=backupServer` works, as in the vendor's
    examples), among those of the kinds served (None: every kind)."""
    found = query_types().get(name.casefold())
    if found is None or (served is not None and found.name not in served):
        supported = ", ".join(sorted(t.name for t in served_types(served)))
        raise QueryError(f"Unknown query type '{excerpt(name)}'; supported types are {supported}")
    return found


def __getattr__(name: str) -> Any:
    """`QUERY_TYPES`: the table, on first use."""
    if name == "QUERY_TYPES":
        return query_types()
    raise AttributeError(name)
