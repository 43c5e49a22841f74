"""A tiny template engine over lxml: XML files with `{Slot}` holes, parsed once, filled per render,
and rendered either as the vendor's XML or as its JSON from the same template and values.

A template is a real XML document in the vendor's namespace, so its element order is visibly the
schema's. Holes:

* an attribute value `{Key}`: set from `values[Key]`; the attribute is left out when the value is None;
* an element's whole text `{Key}`: the text; the element is left out of XML (and is `null` in JSON)
  when the value is None, and empty in XML but `null` in JSON when it is `EMPTY` (an element the
  schema requires that EM's JSON shows as null: a job session's `FailureMessage`);
* an element's whole text `{*Key}`: replaced by the child documents in `values[Key]` (Nodes); a
  nested list is left out of XML (and is `null` in JSON) when the value is None. A root element
  with attributes keeps them, and JSON lists its children under `JSON_INLINE_LISTS`'s key;
* any hole whose value is `ABSENT` (a member the release does not have): left out of both.

Values are native: `bool` renders `true`/`false`, `int` a number, `datetime` the vendor's UTC form.

JSON follows what EM (a .NET service) writes: elements and attributes both become properties,
most-derived schema type first, so an entity's own fields come before `Name`, `UID`, `Links`,
`Href`, `Type` (em-api.md §7); `<Links>` becomes an array; any other list becomes an object holding
one array (`{"Refs": […]}`, `{"CloudTenantResources": […]}`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

from lxml import etree

from mock_em.model.fixture import format_time
from mock_em.releases import JsonNotation

NS = "http://www.veeam.com/ent/v1.0"
_HOLE = re.compile(r"^\{(\*?)([A-Za-z_]\w*)\}$")
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)

# JSON property order of the schema's base types, appended after a derived type's own properties.
_ENTITY_TAIL = ("Name", "UID", "Links", "Href", "Type")  # EntityType → ResourceType
_REFERENCE_ORDER = ("Links", "UID", "Name", "Href", "Type")  # EntityReferenceType
_RESOURCE_TAIL = ("Links", "Href", "Type")  # ResourceType
_LINK_ORDER = ("Rel", "Href", "Name", "Type")  # LinkType → ReferenceType
# A list element's JSON is an object with one array; its key, where it is not the element's name.
JSON_LIST_KEYS = {
    "EntityReferences": "Refs",
    "Resources": "CloudTenantResources",
    "ComputeResources": "CloudTenantComputeResources",
    "Includes": "CloudFailoveredVms",
}
# Elements with attributes whose children are a repeated choice with no wrapper element (a
# report frame's `<Period>`s, `<Day>`s): JSON lists them under this key, before the attributes
# (em-api-monitoring.md §1.2).
JSON_INLINE_LISTS = {"RepositoryReportFrame": "Periods", "ProcessedVmsReportFrame": "Days"}
# Elements that hold one child of a choice: JSON keys the child by its element name (a query's
# `<Entities><CloudVmReplicaPoints>…` is `{"Entities": {"CloudVmReplicaPoints": {…}}}`).
JSON_CHOICE_ELEMENTS = frozenset({"Entities", "HardwarePlanDetails"})
# Properties EM's JSON puts first though the schema's order has them last: a job session's
# `IsRetry`, the one field its own type adds to the abstract JobSession's (em-api-monitoring.md §2.2).
JSON_LEADING = {"BackupJobSession": ("IsRetry",), "ReplicaJobSession": ("IsRetry",)}
# Releases that write nulls (12, 13) write every member of a vendor type, null where it has no
# value: a type's members in their order, where a template holds fewer (captures em12-…).
JSON_MEMBERS: dict[str, tuple[str, ...]] = {
    "QueryResult": ("Refs", "Entities", "Resources", "Links", "PagingInfo"),
}
# Members the schema requires that real servers do not send, which mock-em adds to its XML (the
# root's and the summary report's `Href`; em-api.md §11, em-api-monitoring.md §9): where a
# release writes nulls, its JSON shows them as null, as the captures do.
JSON_UNSENT: dict[str, frozenset[str]] = {
    name: frozenset({"Href"})
    for name in ("EnterpriseManager", "SummaryReport", "OverviewReportFrame", "JobStatisticsReportFrame",
                 "VmsOverviewReportFrame", "RepositoryReportFrame", "ProcessedVmsReportFrame")
}  # fmt: skip
# The members of the vendor's `EntitiesType` in 12 and 13, in order, as a query's JSON lists them
# (captures em12-query-backupjobsession, em13-query-backupjobsession; `EnterpiseRoles` is the
# vendor's spelling).
ENTITIES_MEMBERS = (
    "Jobs", "FailoverPlans", "Backups", "Replicas", "Repositories", "RestorePoints", "VmRestorePoints",
    "VAppRestorePoints", "VmReplicaPoints", "BackupJobSessions", "ReplicaJobSessions", "ReplicaTaskSessions",
    "RestoreSessions", "HierarchyRoots", "BackupTaskSessions", "BackupServers", "ManagedServers", "EnterpiseRoles",
    "EnterpiseAccounts", "WanAccelerators", "CloudGateways", "CloudTenants", "CloudReplicas",
    "VCloudOrganizationConfigs", "BackupFiles", "VSphereSelfServiceConfigs", "CloudPublicIps", "CloudHardwarePlans",
    "CloudVmReplicaPoints", "AgentRestorePoints", "AgentBackupJob", "CloudGatewayPools", "CloudFailoverPlans",
    "ExternalRepositories", "VlanConfigurations", "CloudFailoverSessions", "AgentProtectionGroups",
    "DiscoveredComputers", "FileServers", "NASJobs", "CdpReplicas", "CdpReplicaVms", "CdpPolicies",
    "CdpReplicaSessions", "CdpReplicaTaskSessions", "VAppReplicaPoints", "VmCdpReplicas", "VAppCdpReplicas",
    "VAppCdpReplicaVms", "SystemSessions",
)  # fmt: skip


PASCAL = JsonNotation()  # the notation of 9.5 U4, the default release


class Node(NamedTuple):
    """A document to render: a template and the values for its holes."""

    template: Template
    values: Mapping[str, Any]

    def xml(self, digits: int = PASCAL.time_digits) -> etree._Element:
        """This document as an lxml element (times with at most `digits` of a second's fraction)."""
        return self.template.render(self.values, digits)

    def json(self, notation: JsonNotation = PASCAL) -> Any:
        """This document as JSON-ready Python data, in the release's notation."""
        return self.template.json(self.values, notation)


@cache
def camel_case(name: str) -> str:
    """A property's name as .NET's `JsonNamingPolicy.CamelCase` writes it (release 13): the
    leading capitals lower-cased, all but the last of a run that a lower-case letter follows
    (`UID` -> `uid`, `NASJobs` -> `nasJobs`, `VAppRestorePoints` -> `vAppRestorePoints`,
    `CreationTimeUTC` -> `creationTimeUTC`)."""
    if not name or not name[0].isupper():
        return name
    chars = list(name)
    for i in range(len(chars)):
        if i == 1 and not chars[i].isupper():
            break
        if i > 0 and i + 1 < len(chars) and not chars[i + 1].isupper():
            break
        chars[i] = chars[i].lower()
    return "".join(chars)


# Characters XML 1.0 cannot carry, and lone surrogates (which no UTF-8 encoder takes). They reach
# the wire only by echoing client input (an id, a path, a parameter), and are shown as \xNN.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_NOT_UTF8 = re.compile("[\ud800-\udfff]")


def _shown(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


class _Empty:
    """The type of `EMPTY`: no text in XML, `null` in JSON."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY = _Empty()


class _Absent:
    """The type of `ABSENT`: a member the release does not have (a field or list that came with a
    later one): left out of XML and of JSON alike, whatever the release's notation."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


def xml_text(value: Any, digits: int = PASCAL.time_digits) -> str:
    """A native value as XML text."""
    if value is EMPTY:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_time(value, digits)
    return _NOT_XML.sub(_shown, str(value))


def json_value(value: Any, digits: int = PASCAL.time_digits) -> Any:
    """A native value as JSON data (bools and numbers stay native)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if value is EMPTY:
        return None
    if isinstance(value, datetime):
        return format_time(value, digits)
    return _NOT_UTF8.sub(_shown, str(value))


def _local(tag: str) -> str:
    return etree.QName(tag).localname


class Template:
    """One parsed template: the positions of its holes, and its JSON plan."""

    def __init__(self, source: bytes, name: str = "<template>") -> None:
        self.name = name
        self._root = etree.fromstring(source, _PARSER)
        self.root_name = _local(self._root.tag)
        self._attr_holes: list[tuple[int, str, str]] = []
        self._text_holes: list[tuple[int, str]] = []
        self._child_holes: list[tuple[int, str]] = []
        elements = list(self._root.iter())  # keeps element proxies alive, so they work as keys
        holes: dict[etree._Element, tuple[bool, str]] = {}
        for index, element in enumerate(elements):
            for attr, value in element.attrib.items():
                match = _HOLE.match(value)
                if match:
                    self._attr_holes.append((index, attr, match.group(2)))
            match = _HOLE.match(element.text or "")
            if match:
                holes[element] = (bool(match.group(1)), match.group(2))
                (self._child_holes if match.group(1) else self._text_holes).append((index, match.group(2)))
        self._json_plan = _plan(self._root, holes)
        self._plans: dict[JsonNotation, tuple] = {}  # the plan in other notations, made when first asked
        for element in holes:
            element.text = None
        self.keys = frozenset(k for *_, k in self._attr_holes + self._text_holes + self._child_holes)

    # -- XML --------------------------------------------------------------------------------

    def render(self, values: Mapping[str, Any], digits: int = PASCAL.time_digits) -> etree._Element:
        """A fresh element tree with every hole filled from `values` (a missing key is an error)."""
        root = copy.deepcopy(self._root)
        nodes = list(root.iter())
        dropped: list[etree._Element] = []
        for index, attr, key in self._attr_holes:
            value = values[key]
            if value is None or value is ABSENT:
                del nodes[index].attrib[attr]
            else:
                nodes[index].set(attr, xml_text(value, digits))
        for index, key in self._text_holes:
            value = values[key]
            if value is None or value is ABSENT:
                dropped.append(nodes[index])
            else:
                nodes[index].text = xml_text(value, digits)
        for index, key in self._child_holes:
            children = values[key]
            # an optional list that is not there (a tenant's ComputeResources), or not in the release
            if children is None or children is ABSENT:
                dropped.append(nodes[index])
            else:
                nodes[index].extend(child.xml(digits) for child in children)
        for element in dropped:
            element.getparent().remove(element)
        return root

    # -- JSON -------------------------------------------------------------------------------

    def json(self, values: Mapping[str, Any], notation: JsonNotation = PASCAL) -> Any:
        """The same document as JSON data, in `notation`."""
        if notation.camel_case or notation.nulls:
            plan = self._plans.get(notation)
            if plan is None:
                plan = self._plans[notation] = _noted(self.root_name, self._json_plan, notation)
            return _run(plan, values, notation)
        return _run(self._json_plan, values, notation)


# A JSON plan is a tuple of steps; each step is (property, kind, argument).
#   "const": a fixed value; "attr": values[arg], left out when None; "text": values[arg] or None;
#   "array": [child.json() for child in values[arg]]; "object": a nested plan;
#   "wrapped": {list_key: [child.json() …]} for a list element, arg = (list_key, hole key);
#   "wrapped_prop": the same as a property; "choice": {child's element name: child.json()}.


def _plan(element: etree._Element, holes: dict[etree._Element, tuple[bool, str]]) -> tuple:
    """Compile one template element into its JSON plan."""
    name = _local(element.tag)
    hole = holes.get(element)
    if hole and hole[0] and not element.attrib:
        # The whole element is a list: {"Refs": […]} (a root list or a nested one).
        return (("", "wrapped", (JSON_LIST_KEYS.get(name, name), hole[1])),)
    children: list[tuple[str, str, Any]] = []
    if hole and hole[0]:  # the children are the list itself, beside the element's attributes
        if name not in JSON_INLINE_LISTS:
            raise ValueError(f"template {name}: a list with attributes needs its key in JSON_INLINE_LISTS")
        children.append((JSON_INLINE_LISTS[name], "array", hole[1]))
    for child in element:
        child_name = _local(child.tag)
        hole = holes.get(child)
        if hole and hole[0] and child_name == "Links":
            children.append((child_name, "array", hole[1]))
        elif hole and hole[0] and child_name in JSON_CHOICE_ELEMENTS:
            children.append((child_name, "choice", hole[1]))
        elif hole and hole[0]:
            children.append((child_name, "wrapped_prop", (JSON_LIST_KEYS.get(child_name, child_name), hole[1])))
        elif hole:
            children.append((child_name, "text", hole[1]))
        elif len(child) or child.attrib:
            children.append((child_name, "object", _plan(child, holes)))
        else:
            children.append((child_name, "const", child.text or ""))
    attributes: list[tuple[str, str, Any]] = []
    for attr, value in element.attrib.items():
        match = _HOLE.match(value)
        attributes.append((attr, "attr", match.group(2)) if match else (attr, "const", value))
    return _order(name, children, attributes)


def _order(name: str, children: list[tuple[str, str, Any]], attributes: list[tuple[str, str, Any]]) -> tuple:
    """Order properties as EM's JSON does: most-derived type first, base types' properties last."""
    steps = {step[0]: step for step in children + attributes}
    if name == "Link":
        order: tuple[str, ...] = _LINK_ORDER
    elif name in ("Ref", "EntityRef"):
        order = _REFERENCE_ORDER
    else:
        tail = _ENTITY_TAIL if {"Name", "UID", "Href"} <= steps.keys() else _RESOURCE_TAIL if "Href" in steps else ()
        lead = JSON_LEADING.get(name, ())
        order = lead + tuple(k for k in steps if k not in tail and k not in lead) + tail
    missing = set(steps) - set(order)
    if missing:
        raise ValueError(f"template {name}: properties {sorted(missing)} have no place in the JSON order")
    return tuple(steps[k] for k in order if k in steps)


def _run(plan: tuple, values: Mapping[str, Any], notation: JsonNotation = PASCAL) -> Any:
    """Execute a JSON plan against values."""
    if len(plan) == 1 and plan[0][1] == "wrapped":
        list_key, key = plan[0][2]
        return {list_key: [child.json(notation) for child in values[key]]}
    digits = notation.time_digits
    out: dict[str, Any] = {}
    for prop, kind, arg in plan:
        if kind == "const":
            out[prop] = arg
        elif kind == "attr":
            value = values[arg]
            if value is None:
                if notation.nulls:
                    out[prop] = None
            elif value is not ABSENT:
                out[prop] = json_value(value, digits)
        elif kind == "text":
            value = values[arg]
            if value is not ABSENT:
                out[prop] = json_value(value, digits)
        elif kind == "array":
            children = values[arg]
            if children is not ABSENT:
                out[prop] = [child.json(notation) for child in children]
        elif kind == "choice":
            out[prop] = _choice(values[arg], notation)
        elif kind == "wrapped_prop":
            list_key, key = arg
            children = values[key]
            if children is not ABSENT:
                out[prop] = None if children is None else {list_key: [child.json(notation) for child in children]}
        else:  # object
            out[prop] = _run(arg, values, notation)
    return out


def _choice(children: list[Node], notation: JsonNotation) -> dict[str, Any]:
    """A choice element's child keyed by its element name; with nulls, every member of the
    vendor's `EntitiesType` first, null but the one present (captures em12-query-…)."""
    name = camel_case if notation.camel_case else str
    found = {name(child.template.root_name): child.json(notation) for child in children}
    if not notation.nulls:
        return found
    every = dict.fromkeys(map(name, ENTITIES_MEMBERS))
    every.update(found)
    return every


def _noted(name: str, plan: tuple, notation: JsonNotation) -> tuple:
    """A PascalCase plan in another notation: its properties renamed (camelCase), and with nulls,
    the members the vendor's type has that the template does not hold written as null, in the
    type's order (`JSON_MEMBERS`)."""
    rename = camel_case if notation.camel_case else str
    if len(plan) == 1 and plan[0][1] == "wrapped":
        list_key, key = plan[0][2]
        return (("", "wrapped", (rename(list_key), key)),)
    steps = []
    for prop, kind, arg in plan:
        if kind == "wrapped_prop":
            arg = (rename(arg[0]), arg[1])
        elif kind == "object":
            arg = _noted(prop, arg, notation)
        steps.append((prop, kind, arg))
    if notation.nulls:
        steps = _every_member(name, steps)
    return tuple((rename(prop), kind, arg) for prop, kind, arg in steps)


def _every_member(name: str, steps: list[tuple[str, str, Any]]) -> list[tuple[str, str, Any]]:
    """With nulls, every member of the vendor's type, null where it has no value: those of
    `JSON_MEMBERS`, or else the resource's tail (`Links`, `Href`, `Type`, which every resource
    has, after its own members); the `JSON_UNSENT` ones null."""
    held = {step[0]: step for step in steps}
    members = JSON_MEMBERS.get(name)
    if members is None and "Href" in held and name not in ("Link", "Ref", "EntityRef"):  # (their own orders)
        tail = _ENTITY_TAIL if {"Name", "UID"} <= held.keys() else _RESOURCE_TAIL
        members = (*(k for k in held if k not in tail), *tail)
    if members is None:
        return steps
    unknown = set(held) - set(members)
    if unknown:
        raise ValueError(f"template {name}: properties {sorted(unknown)} are not in JSON_MEMBERS")
    unsent = JSON_UNSENT.get(name, frozenset())
    return [(m, "const", None) if m in unsent else held.get(m, (m, "const", None)) for m in members]


# Where templates live: the protocol's own documents (root, sessions, errors, queries) beside the
# wire layer, and each resource family's documents beside its module in `mock_em/resources`.
TEMPLATE_FOLDERS = (("mock_em.wire", "templates"), ("mock_em.resources", "templates"))


class Templates:
    """All templates of some folders, by file name without `.xml`, loaded once; a name may not
    stand in two folders (a family's template would silently shadow another's)."""

    def __init__(self, folders: tuple[tuple[str, str], ...] = TEMPLATE_FOLDERS) -> None:
        self._templates: dict[str, Template] = {}
        for package, folder in folders:
            for entry in resources.files(package).joinpath(folder).iterdir():
                if entry.name.endswith(".xml"):
                    name = entry.name[: -len(".xml")]
                    if name in self._templates:
                        raise ValueError(f"template {name} stands in two folders")
                    self._templates[name] = Template(entry.read_bytes(), name)

    def __getitem__(self, name: str) -> Template:
        return self._templates[name]

    def node(self, name: str, **values: Any) -> Node:
        """A document of template `name` with `values`."""
        return Node(self._templates[name], values)


TEMPLATES = Templates()
