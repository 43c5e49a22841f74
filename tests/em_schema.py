"""The vendor's XML schema, loaded with exactly the relaxations of em-api.md §11 (and
docs/cloud-connect-billing.md for public IP addresses).

The schema ships with Enterprise Manager and is not part of mock-em: tests find it through
`VEEAM_EM_XSD`. Where real servers differ from the 9.5-era schema, it is relaxed here, in one place:

1. the `<Ref>` child of `CloudReplicaEntityType`, `BackupEntityType` and
   `RestorePointEntityType` becomes optional (no real server sends it; em-api-monitoring.md §9);
2. a query's `<Entities>` may also hold `CloudVmReplicaPoints`, `CloudReplicas`,
   `CloudFailoverPlans` (later EM versions return them; the vendor's CloudFailoverPlan query
   page shows the last) and `CloudPublicIpAddresses`;
3. `HierarchyObjRefType` takes any text: the vendor's own form of a VM's reference
   (`urn:VMware:Vm:<vCenter guid>.vm-1401`, "Constructing HierarchyObjRefType"; em-api-monitoring.md
   §2.4) has a `.` the 9.5 `UrnType` pattern refuses;
4. `RepositoryEntityType` may end with a `<Kind>` (string) after `<FreeSpace>`, as later EM
   versions send it (em-api-monitoring.md §9);
5. `BackupFile` and `BackupFiles`, absent from this schema though documented for 9.5
   (em-api-monitoring.md §5, §9), are declared from the vendor's field table and example entity
   (`GET /backupFiles/{ID}`): `FilePath`, `BackupSize`, `DataSize`, `DeduplicationRatio`,
   `CompressRatio`, `CreationTimeUtc`, `FileType`, in that order; a query's `<Entities>` may hold
   `BackupFiles` (em12's `EntitiesType` has it). tests/resources/test_backup_files.py checks the
   entity against the same list.
6. the types EM v10 added for Veeam Agent management, which the 9.5 schema lacks
   (em-api-monitoring.md §5, §9), are declared as the vendor's docs show them: `<Agents>`
   (`/api/agents`, a `ResourceType`), `DiscoveredComputer` and `AgentProtectionGroup` (entities
   with the docs' fields in the docs' order), their lists, and those lists in a query's
   `<Entities>`. Their links and attributes are thus checked as any entity's; their fields are
   also compared with the docs' list in `tests/resources/test_discovered_computers.py`.
7. members later releases added to 9.5 types, each optional, where they send them
   (em-api-monitoring.md §9 "returned later, missing in 9.5"; §5, §7): `BackupTaskSessionEntityType`
   may end with `<VmUid>` (string) after `<TotalSize>` (12+), `BackupServerEntityType` with
   `<WcfPort>` (ushort) and `<VbrCertificateThumbprint>` (string) after `<Version>` (12+), and
   `BackupEntityType` with `<BackupType>` (string) after `<Platform>` (10+, the vendor's `/backups/{ID}`
   example; §5's "v10+ `BackupType`"). tests/resources/test_release_fields.py checks each is sent
   from its release on only.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
ENV = "VEEAM_EM_XSD"
# The vendor's documented BackupFile fields and their schema types, in its example's order.
BACKUP_FILE_FIELDS = (
    ("FilePath", "string"),
    ("BackupSize", "long"),
    ("DataSize", "long"),
    ("DeduplicationRatio", "xs:double"),
    ("CompressRatio", "xs:double"),
    ("CreationTimeUtc", "DateTime"),
    ("FileType", "string"),
)
_BACKUP_FILE_TYPES = f"""
<xs:schema xmlns:xs="{XS}">
  <xs:element name="BackupFile" type="BackupFileEntityType"/>
  <xs:element name="BackupFiles" type="BackupFileEntityListType"/>
  <xs:complexType name="BackupFileEntityType">
    <xs:complexContent><xs:extension base="EntityType"><xs:sequence>
      {"".join(f'<xs:element name="{name}" type="{kind}"/>' for name, kind in BACKUP_FILE_FIELDS)}
    </xs:sequence></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:complexType name="BackupFileEntityListType">
    <xs:complexContent><xs:extension base="ListType">
      <xs:choice minOccurs="0" maxOccurs="unbounded">
        <xs:element name="BackupFile" type="BackupFileEntityType"/>
      </xs:choice>
    </xs:extension></xs:complexContent>
  </xs:complexType>
</xs:schema>
"""

# The v10+ agent types (relaxation 5): each entity's fields, in the docs' order, with their types.
AGENT_TYPES = {
    "DiscoveredComputer": (
        ("HostStatus", "string"),
        ("AgentVersion", "string"),
        ("AgentStatus", "string"),
        ("OsVersion", "string"),
        ("IpAddress", "string"),
        ("HierarchyObjRef", "HierarchyObjRefType"),
    ),
    "AgentProtectionGroup": (("RescanScheduleEnabled", "bool"), ("HierarchyObjRef", "HierarchyObjRefType")),
}


def _element(parent: etree._Element, name: str, type_name: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{XS}}}element")
    element.set("name", name)
    element.set("type", type_name)
    for attribute, value in attributes.items():
        element.set(attribute, value)
    return element


def _extension(root: etree._Element, name: str, base: str) -> etree._Element:
    """A new `complexType name` extending `base` with a sequence; returns the sequence."""
    complex_type = etree.SubElement(root, f"{{{XS}}}complexType")
    complex_type.set("name", name)
    content = etree.SubElement(complex_type, f"{{{XS}}}complexContent")
    extension = etree.SubElement(content, f"{{{XS}}}extension")
    extension.set("base", base)
    return etree.SubElement(extension, f"{{{XS}}}sequence")


def _add_agent_types(doc: etree._ElementTree, entities: etree._Element) -> None:
    """Relaxation 5: the agent types the 9.5 schema lacks."""
    root = doc.getroot()
    assert not doc.xpath("//xs:element[@name='Agents']", namespaces={"xs": XS}), "schema changed: Agents declared"
    _element(root, "Agents", "ResourceType")
    for name, fields in AGENT_TYPES.items():
        plural = f"{name}s"
        sequence = _extension(root, f"{name}EntityType", "EntityType")
        for field, type_name in fields:
            _element(sequence, field, type_name)
        items = _extension(root, f"{name}EntityListType", "ListType")
        _element(items, name, f"{name}EntityType", minOccurs="0", maxOccurs="unbounded")
        _element(root, name, f"{name}EntityType")
        _element(root, plural, f"{name}EntityListType")
        _element(entities, plural, f"{name}EntityListType")


def _relax(doc: etree._ElementTree) -> None:
    ns = {"xs": XS}
    for type_name in ("CloudReplicaEntityType", "BackupEntityType", "RestorePointEntityType"):
        refs = doc.xpath(f"//xs:complexType[@name='{type_name}']//xs:element[@name='Ref']", namespaces=ns)
        assert len(refs) == 1, f"schema changed: {type_name}/Ref not found"
        refs[0].set("minOccurs", "0")
    choices = doc.xpath("//xs:complexType[@name='EntitiesType']/xs:choice", namespaces=ns)
    assert len(choices) == 1, "schema changed: EntitiesType choice not found"
    for name, type_name in (
        ("CloudVmReplicaPoints", "CloudVmReplicaPointEntityListType"),
        ("CloudReplicas", "CloudReplicaEntityListType"),
        ("CloudFailoverPlans", "CloudFailoverPlanEntityListType"),
        ("CloudPublicIpAddresses", "CloudPublicIpAddressEntityListType"),
        ("BackupFiles", "BackupFileEntityListType"),
    ):
        _element(choices[0], name, type_name)
    _add_agent_types(doc, choices[0])
    refs = doc.xpath("//xs:simpleType[@name='HierarchyObjRefType']/xs:restriction", namespaces=ns)
    assert len(refs) == 1, "schema changed: HierarchyObjRefType not found"
    refs[0].set("base", "string")
    sequences = doc.xpath("//xs:complexType[@name='RepositoryEntityType']//xs:sequence", namespaces=ns)
    assert len(sequences) == 1, "schema changed: RepositoryEntityType's sequence not found"
    kind = etree.SubElement(sequences[0], f"{{{XS}}}element")
    kind.set("name", "Kind")
    kind.set("type", "string")
    kind.set("minOccurs", "0")
    assert not doc.xpath("//xs:element[@name='BackupFile']", namespaces=ns), "schema changed: it has BackupFile"
    root = doc.getroot()
    for declaration in etree.fromstring(_BACKUP_FILE_TYPES):
        root.append(declaration)
    _add_later_members(doc)


# Relaxation 7: (type, [(element, schema type)]) appended, optional, to the type's sequence.
LATER_MEMBERS = (
    ("BackupTaskSessionEntityType", (("VmUid", "string"),)),
    ("BackupServerEntityType", (("WcfPort", "ushort"), ("VbrCertificateThumbprint", "string"))),
    ("BackupEntityType", (("BackupType", "string"),)),
)


def _add_later_members(doc: etree._ElementTree) -> None:
    """Relaxation 7: members later releases send after a 9.5 type's own."""
    for type_name, members in LATER_MEMBERS:
        sequences = doc.xpath(f"//xs:complexType[@name='{type_name}']//xs:sequence", namespaces={"xs": XS})
        assert len(sequences) == 1, f"schema changed: {type_name}'s sequence not found"
        for name, kind in members:
            _element(sequences[0], name, kind, minOccurs="0")


@cache
def vendor_schema() -> etree.XMLSchema | None:
    """The relaxed vendor schema, or None when `VEEAM_EM_XSD` is unset."""
    path = os.environ.get(ENV)
    if not path:
        return None
    doc = etree.parse(str(Path(path)), etree.XMLParser(resolve_entities=False, no_network=True))
    _relax(doc)
    return etree.XMLSchema(doc)


def assert_valid(body: bytes) -> etree._Element:
    """Parse `body` and, when the schema is available, assert it validates; returns the root."""
    root = etree.fromstring(body)
    schema = vendor_schema()
    if schema is not None and not schema.validate(root):
        errors = "\n".join(f"  line {e.line}: {e.message}" for e in schema.error_log)
        raise AssertionError(f"response does not validate against {os.environ[ENV]}:\n{errors}\n{body[:2000]!r}")
    return root
