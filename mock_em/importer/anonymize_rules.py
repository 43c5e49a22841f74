"""What each fixture key holds, for the anonymizer: a name of a known role, a secret, a value that
identifies no one (kept as it is), or text (any other string, searched for known names).

A key is judged by its own name, its section and the key it is nested under (a job's `Vms` hold
VM names), never by a fixed list of sections: a section the anonymizer does not know still gets
the generic rule, which replaces every known name, address and GUID inside each string.
"""

from __future__ import annotations

# Values that never identify a provider or a customer: states, types, versions, times. They are
# kept byte for byte, and no name is searched in them (a VM named `Ready` stays a state).
KEPT_KEYS = frozenset(
    {
        "Format", "FormatVersion", "Release", "ImportedAt", "Recorded",
        "Platform", "Kind", "JobType", "State", "Result", "LastResult", "PointType", "HostType",
        "ManagedServerType", "HostStatus", "AgentStatus", "NetworkMode", "ThrottlingSpeedUnit",
        "Algorithm", "FileType", "Version", "AgentVersion", "OsVersion",
        "ObjectType", "Type", "RepositoryType", "NextRun",
    }
)  # fmt: skip
TIME_SUFFIXES = ("Time", "TimeUTC", "TimeUtc", "Date", "DateUTC", "DateUtc", "LastActive", "Created")

# Sections whose objects' own `Name` is a host: an address, a DNS name or a machine's name.
HOST_SECTIONS = frozenset(
    {"BackupServers", "ManagedServers", "CloudGateways", "HierarchyRoots", "DiscoveredComputers", "Proxies"}
)
# Sections whose objects' own `Name` is a job's (a backup is named as its job).
JOB_SECTIONS = frozenset({"Jobs", "CloudReplicas", "CloudFailoverPlans", "Backups"})
VM_LISTS = frozenset({"Vms", "Includes", "VmsInJob", "ObjectsInJob"})
VM_KEYS = frozenset({"VmName", "VmDisplayName", "ObjectName"})
JOB_KEYS = frozenset({"JobName"})
HOST_KEYS = frozenset(
    {"ParentName", "IpAddress", "ExternalIP", "UniqueId", "HostName", "Host", "ServerName", "DnsName", "Address"}
)
ACCOUNT_KEYS = frozenset({"Username", "UserName", "User", "InitiatedBy", "Initiator", "Owner", "AccountName"})

KEEP = "keep"
SECRET = "secret"
TEXT = "text"


def rule_of(section: str, path: tuple[str, ...]) -> str:
    """The rule of a key, given its section and the keys down to it (`("Vms", "Name")`): `keep`,
    `secret` (a password), `text`, or a role whose values are names: `tenant`, `host`, `job`,
    `vm`, `account`."""
    key = path[-1]
    parent = path[-2] if len(path) > 1 else ""
    if key in KEPT_KEYS or key.endswith(TIME_SUFFIXES):
        return KEEP
    if "Password" in key or key in ("Secret", "ApiKey"):
        return SECRET
    if parent in VM_LISTS and key in ("Name", "DisplayName"):
        return "vm"
    if key in VM_KEYS:
        return "vm"
    if key in JOB_KEYS:
        return "job"
    if key in HOST_KEYS:
        return "host"
    if key in ACCOUNT_KEYS or key.endswith("UserName"):
        return "account"
    if key == "Name" and len(path) == 1:
        if section == "CloudTenants":
            return "tenant"
        if section in HOST_SECTIONS:
            return "host"
        if section in JOB_SECTIONS:
            return "job"
    return TEXT
