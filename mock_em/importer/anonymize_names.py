"""Stand-ins: a realistic replacement for each original name, drawn from Faker and one random
source seeded alike, so the same fixture and seed always give the same stand-ins.

Each role has its own look: a company for a tenant, a machine name for a VM or a host, an address
in a block like the original's for an address, a job named after its tenant's stand-in, a new
GUID of the original's version. Every stand-in is unique (a tenant's name and a VM's name are
keys) and contains no original atom (`leaks`), so no original can come back out of the text a
stand-in is put into, and a test can look for every original in the anonymized file.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable

from faker import Faker

from mock_em.importer.anonymize_text import TLDS, lower_words, words

TRIES = 200
# The leading letters of a machine's name that only say its role (`srv`, `sql`, `exch`): kept.
HOST_ROLES = words(
    "srv server sql sqlsrv db dc ad fs file exch mail mx web www app erp crm hv hyperv esx esxi vc vcenter "
    "proxy repo nas san node k8s rhel ubuntu win linux vm host print ts rds citrix sp backup bkp veeam gw"
)
HOST_PREFIXES = ("srv", "app", "web", "db", "vm", "node", "host")
# Words a job's name is made of that say what it does, not whose it is.
JOB_WORDS = lower_words(
    "Backup Backups Replication Replica Replicas Copy Job Jobs Daily Weekly Monthly Nightly Hourly Full "
    "Incremental to of for the and on DR Site Servers Server VMs VM Failover Plan SQL Exchange ERP CRM File "
    "Files Web Print Terminal Citrix SharePoint Domain Controllers DB Database Databases Mail App Apps "
    "Application Oracle SAP Linux Windows Hyper-V VMware Cloud Offsite Archive Tape Agent Physical "
    "Workstations Laptops Production Test Dev Infrastructure Core Critical Tier Group Computers"
)
JOB_KINDS = lower_words("Backup Replication Replica Copy Plan Archive")
WORKLOADS = (
    "File Server", "SQL", "Exchange", "ERP", "CRM", "Web", "Print", "Terminal Servers", "Citrix",
    "SharePoint", "Domain Controllers", "Oracle", "SAP", "Mail", "Intranet", "Accounting", "HR",
)  # fmt: skip


class StandIns:
    """The stand-in of every original atom, drawn once per original in the order they were found.

    `originals` is every value that must not come back: the atoms, passwords and GUIDs. `leaks`
    finds any of them inside a candidate; it is set once every original is known."""

    def __init__(self, seed: int, originals: set[str]) -> None:
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.random = random.Random(seed)
        self.originals = {original.lower() for original in originals}  # names compare ignoring case
        self.leaks: re.Pattern[str] | None = None
        self.used: set[str] = set()
        self.names: dict[str, str] = {}  # original atom -> stand-in
        self.secrets: dict[str, str] = {}  # original password -> stand-in
        self.guids: dict[str, str] = {}  # lower-case original GUID -> stand-in (lower-case)
        self.new_guids: set[str] = set()
        self.guid_texts: dict[str, str] = {}  # each original GUID as written -> its stand-in so written
        self.networks: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.ips_by_network: dict[tuple[str, ...], list[str]] = {}
        self.new_networks: set[tuple[str, ...]] = set()  # two original networks never share a new one

    # -- the draw every role shares -------------------------------------------------------------

    def _fresh(self, draw: Callable[[int], str]) -> str:
        """A unique candidate from `draw(attempt)` that contains no original; later attempts may
        widen the draw (more digits), so a big world never runs out."""
        for attempt in range(TRIES):
            candidate = draw(attempt)
            if self._clean(candidate):
                self.used.add(candidate.lower())
                return candidate
        raise RuntimeError("no unique stand-in found")  # only with pathological originals

    def _clean(self, candidate: str) -> bool:
        """Unique and free of originals, ignoring case as EM's names and DNS do."""
        lower = candidate.lower()
        if not candidate or lower in self.used or lower in self.originals:
            return False
        return self.leaks is None or self.leaks.search(candidate) is None

    def name(self, role: str, original: str) -> str:
        """The stand-in of an atom of `role`, drawn on first sight and the same ever after."""
        known = self.names.get(original)
        if known is None:
            known = self.names[original] = getattr(self, "_" + role)(original)
        return known

    # -- each role's look ------------------------------------------------------------------------

    def _tenant(self, original: str) -> str:
        return self._fresh(lambda attempt: self.fake.company().replace(",", ""))

    def _person(self, original: str) -> str:
        return self._fresh(lambda attempt: self.fake.name())

    def _phone(self, original: str) -> str:
        return self._fresh(lambda attempt: self.fake.phone_number())

    def _user(self, original: str) -> str:
        return self._fresh(lambda attempt: self.fake.user_name() + (str(attempt) if attempt > 20 else ""))

    def _netbios(self, original: str) -> str:
        return self._fresh(lambda attempt: _styled(self.fake.domain_word().split("-")[0], original)[:15])

    def secret(self, original: str) -> str:
        """A password's stand-in: random letters and digits, as long as the original (at least 12).
        Kept apart from the names: no name's stand-in is built on a password's."""
        known = self.secrets.get(original)
        if known is None:
            alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
            size = max(12, len(original))
            draw = lambda attempt: "".join(self.random.choice(alphabet) for _ in range(size))  # noqa: E731
            known = self.secrets[original] = self._fresh(draw)
        return known

    def _host(self, original: str) -> str:
        prefix = self._prefix(original)
        return self._fresh(lambda attempt: self._machine(original, attempt, prefix))

    def _prefix(self, original: str) -> str:
        """The original's role letters if they only say a role (`srv`, `sql`), else a common
        prefix; a display name with spaces gets a word."""
        base = original.rstrip("0123456789").rstrip("-_")
        roles = all(part in HOST_ROLES for part in re.split(r"[-_]", base.lower()))
        if not HOST_LABEL_SAFE.fullmatch(original):
            return self.fake.word().capitalize() + " "
        return base if base and roles else self.random.choice(HOST_PREFIXES)

    def _machine(self, original: str, attempt: int, prefix: str | None = None) -> str:
        """A machine's name: a prefix (`_prefix`) and a number, wider after many tries so that a
        big world never runs out."""
        digits = 3 + attempt // 20
        number = self.random.randrange(10 ** (digits - 1), 10**digits)
        return _styled(f"{prefix or self._prefix(original)}{number}", original)

    _vm = _host

    def _domain(self, original: str) -> str:
        """A domain of made-up words, as many labels as the original, its top-level domain kept
        when it is a common one (`local`, `com`)."""
        labels = original.split(".")
        tld = labels[-1] if labels[-1].lower() in TLDS else None

        def draw(attempt: int) -> str:
            words = [self.fake.domain_word() for _ in labels[: -1 if tld else None]]
            return ".".join([*words, tld] if tld else words)

        return self._fresh(draw)

    def _fqdn(self, original: str) -> str:
        """A DNS name no key names the machine of: a machine's name in its domain's stand-in."""
        label, _, domain = original.partition(".")
        suffix = self.names.get(domain, domain)  # (a lone top-level domain, `local`, is kept)
        return self._fresh(lambda attempt: f"{self._machine(label, attempt)}.{suffix}")

    def _email(self, original: str) -> str:
        domain = original.rpartition("@")[2]
        replaced = self.names.get(domain) or self.fake.domain_name()  # (`text_atoms` found the domain first)
        return self._fresh(lambda attempt: f"{self.fake.user_name()}{attempt or ''}@{replaced}")

    def _ip(self, original: str) -> str:
        """An address in a block like the original's (private stays private), the hosts of one
        original /24 in one new /24, each keeping its last number."""
        octets = original.split(".")
        network = tuple(octets[:3])
        new = self.networks.get(network)
        if new is None:
            new = self.networks[network] = self._network(network)
        return self._fresh(lambda attempt: ".".join([*new, octets[3]]) if attempt == 0 else self._any_ip(octets))

    def _network(self, network: tuple[str, ...]) -> tuple[str, ...]:
        members = self.ips_by_network.get(network, [])
        for _ in range(TRIES):
            candidate = self._draw_network(network)
            if candidate in self.new_networks or candidate in self.ips_by_network:
                continue
            if all(self._clean(".".join([*candidate, ip.split(".")[3]])) for ip in members):
                self.new_networks.add(candidate)
                return candidate
        return self._draw_network(network)

    def _draw_network(self, network: tuple[str, ...]) -> tuple[str, ...]:
        first, second = int(network[0]), int(network[1])
        pick = self.random.randrange
        if first == 10:
            return ("10", str(pick(0, 256)), str(pick(0, 256)))
        if first == 172 and 16 <= second <= 31:
            return ("172", str(pick(16, 32)), str(pick(0, 256)))
        if first == 192 and second == 168:
            return ("192", "168", str(pick(0, 256)))
        while True:  # a public block, clear of the private, loopback and multicast ones
            candidate = (str(pick(11, 224)), str(pick(0, 256)), str(pick(0, 256)))
            if candidate[0] not in ("127", "172", "192", "169", "100"):
                return candidate

    def _any_ip(self, octets: list[str]) -> str:
        return ".".join([*self._draw_network(tuple(octets[:3])), str(self.random.randrange(1, 255))])

    def job(self, original: str, leading: Callable[[str], tuple[str, str] | None]) -> str:
        """A job's stand-in. A name that starts with a known name (`ABC Company Servers Replication`
        starts with a tenant's) starts with its stand-in, and keeps the rest when it is made only of
        words that say what a job does; any other name becomes a site, a workload and the job's
        kind (`Kleinchester SQL Backup`)."""
        known = self.names.get(original)
        if known is not None:
            return known
        found = leading(original)
        words = original.split()
        kind = next((w for w in reversed(words) if w.lower() in JOB_KINDS), "Job")  # as written

        def made(attempt: int) -> str:
            return f"{self.fake.city()} {self.random.choice(WORKLOADS)} {kind}"

        if found is not None:
            prefix, rest = found
            generic = all(w.lower() in JOB_WORDS or w.isdigit() for w in rest.split())

            def draw(attempt: int) -> str:
                if generic and attempt == 0:
                    return prefix + rest
                return f"{prefix} {self.random.choice(WORKLOADS)} {kind}" + (f" {attempt}" if attempt > 20 else "")

            self.names[original] = self._fresh(draw)
        else:
            self.names[original] = self._fresh(made)
        return self.names[original]

    def guid(self, original: str) -> str:
        """A new GUID of the original's version (4 where it names none), with the RFC variant, in
        the original's case."""
        lower = original.lower()
        known = self.guids.get(lower)
        if known is None:
            version = int(lower[14], 16)
            version = version if 1 <= version <= 8 else 4
            while True:  # (by hand, not with UUID objects: a big world has a hundred thousand)
                value = self.random.getrandbits(128) & ~(0xF << 76) & ~(0xC << 60) | version << 76 | 0x8 << 60
                hexed = f"{value:032x}"
                known = f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"
                if known not in self.new_guids and known not in self.originals:
                    break
            self.guids[lower] = known
            self.new_guids.add(known)
        written = known.upper() if original.isupper() else known
        self.guid_texts[original] = written
        return written

    def note_ips(self, ips: Iterable[str]) -> None:
        """Every original address, by /24, so that a network's stand-in suits all its hosts."""
        for ip in ips:
            self.ips_by_network.setdefault(tuple(ip.split(".")[:3]), []).append(ip)


HOST_LABEL_SAFE = re.compile(r"[A-Za-z0-9_.-]+")


def _styled(candidate: str, original: str) -> str:
    """The candidate in the original's case: upper for an upper-case original."""
    return candidate.upper() if original.isupper() else candidate
