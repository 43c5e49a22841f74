"""A tiny template engine over lxml: XML files with `{Slot}` holes, parsed once, filled per render.

A template is a real XML document in the vendor's namespace, so its element order is visibly the
schema's. Holes:

* an attribute value `{Key}`: set from `values[Key]`; the attribute is dropped when the value is None;
* an element's whole text `{Key}`: the text; the element is dropped when the value is None;
* an element's whole text `{*Key}`: replaced by the child elements in `values[Key]` (a list).

Parsing and finding the holes happens once; a render is a C-level deep copy plus a few sets.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from lxml import etree

NS = "http://www.veeam.com/ent/v1.0"
_HOLE = re.compile(r"^\{(\*?)([A-Za-z_]\w*)\}$")
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)


class Template:
    """One parsed template and the positions of its holes."""

    def __init__(self, source: bytes, name: str = "<template>") -> None:
        self.name = name
        self._root = etree.fromstring(source, _PARSER)
        self._attr_holes: list[tuple[int, str, str]] = []
        self._text_holes: list[tuple[int, str]] = []
        self._child_holes: list[tuple[int, str]] = []
        for index, element in enumerate(self._root.iter()):
            for attr, value in element.attrib.items():
                match = _HOLE.match(value)
                if match:
                    self._attr_holes.append((index, attr, match.group(2)))
            match = _HOLE.match(element.text or "")
            if match:
                element.text = None
                holes = self._child_holes if match.group(1) else self._text_holes
                holes.append((index, match.group(2)))
        self.keys = frozenset(k for *_, k in self._attr_holes + self._text_holes + self._child_holes)

    def render(self, values: Mapping[str, Any]) -> etree._Element:
        """A fresh element tree with every hole filled from `values` (a missing key is an error)."""
        root = copy.deepcopy(self._root)
        nodes = list(root.iter())
        dropped: list[etree._Element] = []
        for index, attr, key in self._attr_holes:
            value = values[key]
            if value is None:
                del nodes[index].attrib[attr]
            else:
                nodes[index].set(attr, value)
        for index, key in self._text_holes:
            value = values[key]
            if value is None:
                dropped.append(nodes[index])
            else:
                nodes[index].text = value
        for index, key in self._child_holes:
            nodes[index].extend(values[key])
        for element in dropped:
            element.getparent().remove(element)
        return root


class Templates:
    """All templates of a folder, by file name without `.xml`, loaded once."""

    def __init__(self, package: str = "mock_em.wire", folder: str = "templates") -> None:
        self._templates: dict[str, Template] = {}
        for entry in resources.files(package).joinpath(folder).iterdir():
            if entry.name.endswith(".xml"):
                name = entry.name[: -len(".xml")]
                self._templates[name] = Template(entry.read_bytes(), name)

    def __getitem__(self, name: str) -> Template:
        return self._templates[name]

    def render(self, name: str, **values: Any) -> etree._Element:
        """Render the template `name` with `values`."""
        return self._templates[name].render(values)


TEMPLATES = Templates()
