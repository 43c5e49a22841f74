"""The anonymizer's generic rules over recorded history: sections it has no rule for, whose strings
embed names (a session named after its job, a task's `Reason` naming its VM and host, a file path
under its job's folder, a VM point's `HierarchyObjRef` on its root), and free text with an
e-mail address, a phone number and a UNC host. Each embedded name gets the same stand-in as the
name itself; what embeds no name (a restore point's date name, times, sizes) is kept."""

from __future__ import annotations

import json
from typing import Any

from mock_em.importer.anonymize import anonymize

ROOT = "4d548964-f277-4ea5-9b6a-a791cac0c951"
JOB = "43ed5fe3-66a4-4deb-92fb-55422ecc9901"
SESSION = "7c03655b-b826-4739-8a73-636e2fcf309b"
POINT = "896d72b4-e6c1-4aaa-b696-e5a43233248f"
REF = f"urn:VMware:Vm:{ROOT}.vm-69543"
PATH = "E:\\Backups\\Exchange Daily Backup\\Exchange Daily BackupD2026-03-01T220000.vbk"
NOTE = "Ask jdoe@acme-corp.com or call +1-555-0100; files on \\\\nas01\\Backups; owner: Helen Brooks; EXCH01 down"
PASSWORD = "S3cretTenantPass"
SECRETS = ("Exchange Daily Backup", "exch01", "exch02", "esx05", "corp.example", "10.20.30.40", "jdoe", "acme-corp")
SECRETS += ("555-0100", "nas01", "Helen Brooks", "CORP\\jsmith", "jsmith", ROOT, JOB, SESSION, POINT, PASSWORD)


def recorded() -> dict[str, Any]:
    """A small imported world's fixture with history sections, made by hand."""
    return {
        "Format": "mock-em/world",
        "FormatVersion": 1,
        "Seed": None,
        "Recorded": True,
        "Release": "12",
        "ImportedAt": "2026-03-02T23:00:00Z",
        "HierarchyRoots": [{"Id": ROOT, "Name": "esx05.corp.example.com", "UniqueId": ROOT, "HostType": "ESXi"}],
        "Jobs": [
            {
                "Id": JOB,
                "Name": "Exchange Daily Backup",
                "JobType": "Backup",
                "Vms": [{"Name": "exch01", "DisplayName": "exch01"}, {"Name": "exch02", "DisplayName": "exch02"}],
            }
        ],
        "BackupJobSessions": [
            {
                "Id": SESSION,
                "JobId": JOB,
                "JobName": "Exchange Daily Backup",
                "Name": "Exchange Daily Backup@2026-03-01 22:00:00",
                "CreationTimeUTC": "2026-03-01T22:00:00Z",
                "Result": "Warning",
                "InitiatedBy": "CORP\\jsmith",
            }
        ],
        "BackupTaskSessions": [
            {
                "Id": "0acd3f91-46b8-4a2d-964e-785074169e3d",
                "SessionId": SESSION,
                "VmName": "exch02",
                "VmDisplayName": "exch02",
                "Reason": "Processing exch02 Error: Cannot connect to esx05.corp.example.com (10.20.30.40)"
                " after 5368709120 bytes, mask 255.255.255.0",
                "TotalSize": 53687091200,
                "VmUid": REF,
            }
        ],
        "RestorePoints": [{"Id": POINT, "Name": "Mar  1 2026 10:00PM", "BackupDateUTC": "2026-03-01T22:00:00Z"}],
        "VmRestorePoints": [
            {
                "Id": "c105ccd0-c6b2-4653-ba6e-f5639da789a5",
                "RestorePointId": POINT,
                "Name": "exch01@2026-03-01 22:00:41",
                "VmName": "exch01",
                "HierarchyObjRef": REF,
                "Algorithm": "SyntheticFull",
            }
        ],
        "BackupFiles": [{"Id": "205250ab-12f3-4960-98cf-e364c488f367", "FilePath": PATH, "BackupSize": 123}],
        "Notes": [{"Text": NOTE}],
        "CloudTenants": [{"Username": "ABC Company", "Name": "ABC Company", "Password": PASSWORD}],
        "Comments": [f"ABC Company's password was {PASSWORD}", "Support: support.acme-corp.com", "Support ends"],
    }


def test_embedded_names_take_their_names_stand_ins() -> None:
    result, report = anonymize(recorded(), 3)
    job = result["Jobs"][0]["Name"]
    exch01, exch02 = (vm["Name"] for vm in result["Jobs"][0]["Vms"])
    root = result["HierarchyRoots"][0]
    host, _, domain = root["Name"].partition(".")
    session = result["BackupJobSessions"][0]
    task = result["BackupTaskSessions"][0]
    assert session["JobName"] == job and session["Name"] == f"{job}@2026-03-01 22:00:00"
    assert session["Id"] == task["SessionId"] and session["JobId"] == result["Jobs"][0]["Id"]
    assert task["VmName"] == task["VmDisplayName"] == exch02
    assert task["Reason"].startswith(f"Processing {exch02} Error: Cannot connect to {host}.{domain} (")
    assert task["Reason"].endswith(") after 5368709120 bytes, mask 255.255.255.0")  # no phone, no address
    assert domain.endswith(".com") and {"corp", "example"}.isdisjoint(domain.lower().split("."))
    point = result["VmRestorePoints"][0]
    assert point["Name"] == f"{exch01}@2026-03-01 22:00:41" and point["VmName"] == exch01
    assert point["HierarchyObjRef"] == task["VmUid"] == f"urn:VMware:Vm:{root['Id']}.vm-69543"
    assert root["UniqueId"] == root["Id"] and point["RestorePointId"] == result["RestorePoints"][0]["Id"]
    assert result["BackupFiles"][0]["FilePath"] == f"E:\\Backups\\{job}\\{job}D2026-03-01T220000.vbk"
    assert result["RestorePoints"][0]["Name"] == "Mar  1 2026 10:00PM"
    assert session["InitiatedBy"].startswith("CORP\\") is False and "\\" in session["InitiatedBy"]
    for kept in ("Recorded", "Release", "ImportedAt"):
        assert result[kept] == recorded()[kept]
    text = (json.dumps(result) + json.dumps(report)).lower()
    assert [secret for secret in SECRETS if json.dumps(secret)[1:-1].lower() in text] == []
    note = result["Notes"][0]["Text"]
    assert note.startswith("Ask ") and "@" in note and "; files on \\\\" in note and "owner: " in note
    assert note.endswith(f"; {exch01.upper()} down")  # a name in another case is the same name
    assert report["Sections"]["BackupFiles"] == {"FilePath": 1, "Id": 1}
    tenant = result["CloudTenants"][0]
    # A company's name (capitalized), not a logon name's (lower case), though its logon came first
    assert tenant["Username"] == tenant["Name"] != tenant["Name"].lower()
    said, portal, ends = result["Comments"]
    assert said == f"{tenant['Name']}'s password was {tenant['Password']}"
    # A DNS name in prose is replaced whole, in the stand-in of its domain (the e-mail address's
    # domain above): its first label, a common word, is no name of its own.
    assert portal.startswith("Support: ") and portal.endswith(note.split("@")[1].split(" ")[0])
    assert ends == "Support ends"
    assert report["Sections"]["BackupTaskSessions"]["Reason"] == 1


def test_a_name_is_one_stand_in_across_families() -> None:
    """A discovered computer and a VM of the same name, and an address in two families, stay one."""
    data = recorded()
    data["DiscoveredComputers"] = [{"Name": "exch01.corp.example.com", "IpAddress": "10.20.30.41"}]
    data["CloudGateways"] = [{"Name": "10.20.30.40", "Description": "Gateway on 10.20.30.41"}]
    data["Jobs"].append({"Id": SESSION, "Name": "exch01 nightly backup", "Vms": []})
    data["Jobs"].append({"Id": POINT, "Name": "exch01 Smith laptop backup", "Vms": []})
    result, _ = anonymize(data, 3)
    vm = result["Jobs"][0]["Vms"][0]["Name"]
    # A job named after a VM starts with the VM's stand-in; words that only say what a job does
    # stay, any other word goes with a made-up workload instead.
    assert result["Jobs"][1]["Name"] == f"{vm} nightly backup"
    assert result["Jobs"][2]["Name"].startswith(f"{vm} ") and result["Jobs"][2]["Name"].endswith(" backup")
    assert "Smith" not in result["Jobs"][2]["Name"]
    computer = result["DiscoveredComputers"][0]
    assert computer["Name"].split(".")[0] == vm
    assert computer["Name"].partition(".")[2] == result["HierarchyRoots"][0]["Name"].partition(".")[2]
    gateway = result["CloudGateways"][0]
    assert gateway["Description"] == f"Gateway on {computer['IpAddress']}"
    assert gateway["Name"] in result["BackupTaskSessions"][0]["Reason"]
    # One /24 stays one /24, each host keeping its number.
    assert gateway["Name"].rsplit(".", 1) == [computer["IpAddress"].rsplit(".", 1)[0], "40"]


def test_many_similar_names_stay_unique() -> None:
    """Thousands of VMs named alike (`srv0001` …): every stand-in is unique and none holds an
    original, even one that would be a prefix of it (`srv0001` in `srv00012`)."""
    vms = [{"Name": f"srv{i:04d}", "DisplayName": f"srv{i:04d}"} for i in range(1, 3001)]
    data = {"Format": "mock-em/world", "Jobs": [{"Id": JOB, "Name": "Big", "Vms": vms}]}
    result, report = anonymize(data, 5)
    names = [vm["Name"] for vm in result["Jobs"][0]["Vms"]]
    assert len({name.lower() for name in names}) == 3000
    assert all(vm["DisplayName"] == vm["Name"] for vm in result["Jobs"][0]["Vms"])
    text = json.dumps(result)
    assert [vm["Name"] for vm in vms if vm["Name"] in text] == []
    assert report["Totals"]["Names"] == {"job": 1, "vm": 3000}
