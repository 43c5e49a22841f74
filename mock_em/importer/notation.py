"""Release 13's camelCase JSON read back in the vendor's PascalCase, as the readers expect it.

Release 13 writes every property name as .NET's `JsonNamingPolicy.CamelCase` does (`UID` ->
`uid`, `VAppRestorePoints` -> `vAppRestorePoints`). The rule loses case, so it cannot be undone
by rule; the names are taken back through a map built from every name mock-em's own templates
write (elements, attributes, list keys and query members), which are the vendor's names. A name
the map does not know (a member a newer EM added) gets its first letter raised, the vendor's
spelling of nearly every name.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

# Members EM's JSON has that no template element names (a query's paging, a link's members).
_ALSO = ("PagingInfo", "PageNum", "PageSize", "PagesCount", "Links", "Rel", "Href", "Name", "Type", "UID", "Refs")


@cache
def pascal_names() -> dict[str, str]:
    """camelCase name -> the vendor's PascalCase name, for every name the wire templates write."""
    import mock_em.resources  # noqa: F401  # the families' templates load with the registry, first
    from mock_em.wire.template import (
        ENTITIES_MEMBERS,
        JSON_INLINE_LISTS,
        JSON_LIST_KEYS,
        JSON_MEMBERS,
        TEMPLATE_FOLDERS,
        camel_case,
    )

    names: set[str] = {*ENTITIES_MEMBERS, *JSON_LIST_KEYS.values(), *JSON_INLINE_LISTS.values(), *_ALSO}
    for members in JSON_MEMBERS.values():
        names.update(members)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    for package, folder in TEMPLATE_FOLDERS:
        for entry in resources.files(package).joinpath(folder).iterdir():
            if not entry.name.endswith(".xml"):
                continue
            for element in etree.fromstring(entry.read_bytes(), parser).iter():
                if isinstance(element.tag, str):
                    names.add(etree.QName(element).localname)
                    names.update(etree.QName(attr).localname for attr in element.attrib)
    return {camel_case(name): name for name in sorted(names)}


def pascal(name: str) -> str:
    """One property name in the vendor's PascalCase (`uid` -> `UID`)."""
    known = pascal_names().get(name)
    if known is not None:
        return known
    return name[:1].upper() + name[1:]


def to_pascal(data: Any) -> Any:
    """A JSON document with every property name in PascalCase; values are kept as sent."""
    if isinstance(data, dict):
        return {pascal(key): to_pascal(value) for key, value in data.items()}
    if isinstance(data, list):
        return [to_pascal(item) for item in data]
    return data
