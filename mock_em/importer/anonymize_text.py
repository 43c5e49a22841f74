"""Finding what identifies someone inside free text, and one fast pattern for every known name.

An import's fixture holds a provider's names in many places: as values of their own (a tenant's
`Name`), and inside other text (`ABC Company Servers Replication`, `srv39@2015-12-25 20:00:47`, a
file path under a folder named as its job, `Processing srv39 Error: …`, a description's
`Contact: Helen Brooks, +1-555-0139`). The names found in their own keys are known; the patterns
here find the rest (addresses, DNS names, UNC hosts, contacts, e-mail addresses, account names)
in any text, so an unknown key is anonymized too. Every name becomes an "atom"; `atom_pattern`
then finds every atom in a string in one pass, as a character trie, because a plain alternation
of thousands of names is tried name by name at every position of every string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator


def words(text: str) -> frozenset[str]:
    """A set of words written as one string, as a reader would list them."""
    return frozenset(text.split())


def lower_words(text: str) -> frozenset[str]:
    """The same, to be compared in lower case."""
    return words(text.lower())


GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
GUID_FULL = re.compile(GUID)
GUID_ANY = re.compile(rf"(?<![0-9A-Fa-f]){GUID}(?![0-9A-Fa-f])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
IPV4_FULL = re.compile(IPV4)
IPV4_ANY = re.compile(rf"(?<![\d.]){IPV4}(?!\.?\d)")
# Top-level domains a DNS name in free text ends with. A fixed list, because a file name
# (`…T233014.vbk`, `post-failover.bat`) has the same shape as a host name.
TLDS = words(
    "local lan corp internal intra intranet home localdomain domain ad cloud com net org edu gov mil int "
    "io biz info eu us uk de fr nl be at ch it es se no dk fi pl cz ie ca au nz jp in br ru"
)
FQDN_ANY = re.compile(r"(?<![\w.@-])([A-Za-z0-9][A-Za-z0-9-]*)((?:\.[A-Za-z0-9-]+)*\.([A-Za-z]{2,}))(?![\w-])")
EMAIL_ANY = re.compile(r"(?<![\w.%+-])([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?![\w-])")
UNC_ANY = re.compile(r"\\\\([A-Za-z0-9][A-Za-z0-9.-]*)\\")
PHONE_ANY = re.compile(
    r"(?<![\w.+-])(?:\+\d[\d(). -]{5,}\d|(?:00\d{1,3}[-. ])?(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4})"
    r"(?: ?(?:x|ext\.?) ?\d{1,6})?(?![\w.-]?\d)"
)
# A person named after a label (`Contact: Helen Brooks`): capitalized words, particles allowed.
CONTACT_ANY = re.compile(
    r"\b(?:[Cc]ontact(?: person)?|[Oo]wner|[Aa]dmin(?:istrator)?|[Mm]anager|[Rr]esponsible|[Aa]ttn|[Aa]ttention)"
    r"\s*:\s*((?:Dr\.|Mr\.|Mrs\.|Ms\.)?\s?[A-Z][\w'’-]*(?: (?:[A-Z][\w'’-]*\.?|van|von|de|der|da|di|la|le|del))*)"
    r"(?:,\s*(\+?\(?\d[\d(). -]{5,}\d(?: ?x\d{1,6})?))?"  # and the number after the name, in any form
)
# A number after a label (`Phone: 3667907439`), in any form.
LABELLED_PHONE = re.compile(
    r"\b(?:[Pp]hone|[Tt]el|[Mm]obile|[Cc]ell|[Ff]ax)\.?\s*:?\s*(\+?\(?\d[\d(). -]{5,}\d(?: ?x\d{1,6})?)"
)
ACCOUNT_FULL = re.compile(r"([A-Za-z][\w.-]{0,63})\\([^\\/\s]+)")
IPV4_HINT = re.compile(r"\.\d{1,3}\.\d")
FQDN_HINT = re.compile(r"\.(?:" + "|".join(sorted(TLDS)) + r")(?![\w-])", re.IGNORECASE)
PHONE_HINT = re.compile(r"\+\d|\d{3}[-. )]+\d{3}[-. ]\d{4}")
LABEL_HINT = re.compile(
    "ontact|wner|dmin|anager|esponsible|ttn|hone|Tel|tel|obile|Cell|cell|Fax|fax"
)  # of either label
HOST_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
BUILTIN_ACCOUNTS = frozenset({"Administrator", "administrator", "SYSTEM", "root", "admin", "Guest"})
PERSON_TITLES = ("Dr. ", "Mr. ", "Mrs. ", "Ms. ")


def host_atoms(value: str) -> list[tuple[str, str]]:
    """The atoms of a host's name: an address whole (`ip`); a DNS name as its first label (`host`,
    shared with VMs of the same name) and its domain (`domain`, unless only a top-level domain
    such as `local` is left, which says nothing); anything else as one `host`."""
    if IPV4_FULL.fullmatch(value):
        return [("ip", value)]
    labels = value.split(".")
    if len(labels) > 1 and all(HOST_LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit():
        atoms = [("host", labels[0])]
        domain = ".".join(labels[1:])
        if len(labels) > 2 or labels[-1].lower() not in TLDS:
            atoms.append(("domain", domain))
        return atoms
    return [("host", value)]


def account_atoms(value: str) -> list[tuple[str, str]]:
    """The atoms of an account name: `DOMAIN\\user` as its domain (`netbios`) and user, `user@domain`
    as an e-mail address, a built-in account (`Administrator`) as none, else one `user`."""
    account = ACCOUNT_FULL.fullmatch(value)
    if account:
        domain, user = account.groups()
        found = host_atoms(domain) if "." in domain else [("netbios", domain)]
        return found + ([] if user in BUILTIN_ACCOUNTS else [("user", user)])
    email = EMAIL_ANY.fullmatch(value)
    if email:
        return [("domain", email.group(2)), ("email", value)]
    return [] if value in BUILTIN_ACCOUNTS else [("user", value)]


def _named_host(value: str) -> list[tuple[str, str]]:
    """A host named in text: an address; a DNS name whole (`fqdn`) with its domain, so that prose
    (`see support.example.com`) makes no atom of a common word (`support`) unless a host key
    names that machine too (the anonymizer then uses the machine's stand-in); else a `host`."""
    found = host_atoms(value)
    if found[0][0] == "host" and "." in value:
        return [*found[1:], ("fqdn", value)]
    return found


def text_atoms(text: str) -> Iterator[tuple[str, str]]:
    """The atoms free text reveals by its shape: e-mail addresses, addresses, UNC hosts, DNS names
    with a known top-level domain, phone numbers, and people named after a contact label."""
    if not text or text.isalnum():
        return
    # Cheap tests first, each a scan for a literal (the engine skips to it): most strings of a big
    # world (paths, session names, references) hold none of these shapes.
    if "@" in text:
        for match in EMAIL_ANY.finditer(text):
            yield "domain", match.group(2)
            yield "email", match.group(0)
    if "." in text:
        if IPV4_HINT.search(text):
            for match in IPV4_ANY.finditer(text):
                if not match.group(0).startswith(("255.", "0.")):  # a netmask, or no address at all
                    yield "ip", match.group(0)
        if FQDN_HINT.search(text):
            for match in FQDN_ANY.finditer(text):
                if match.group(3).lower() in TLDS and not match.group(0).replace(".", "").isdigit():
                    yield from _named_host(match.group(0))
    if "\\\\" in text:
        for match in UNC_ANY.finditer(text):
            yield from _named_host(match.group(1))
    if PHONE_HINT.search(text):
        for match in PHONE_ANY.finditer(text):
            yield "phone", match.group(0)
    if LABEL_HINT.search(text) is None:
        return
    if ":" in text:
        for match in CONTACT_ANY.finditer(text):
            person = match.group(1).strip()
            for title in PERSON_TITLES:
                person = person.removeprefix(title)
            if " " in person or len(person) > 3:
                yield "person", person
            if match.group(2):
                yield "phone", match.group(2)
    for match in LABELLED_PHONE.finditer(text):
        yield "phone", match.group(1)


def trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of `words`, longest first, as a character trie: the
    engine follows one branch per character instead of trying every word at every position."""
    root: dict[str, dict] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _branch(root)


def _branch(node: dict[str, dict]) -> str:
    ends = "" in node
    alternatives = [re.escape(char) + _branch(child) for char, child in sorted(node.items()) if char]
    if not alternatives:
        return ""
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    if ends:  # the word may end here; the optional group is greedy, so longer words win
        return f"(?:{body})?"
    return body


def atom_pattern(atoms: Iterable[str]) -> re.Pattern[str]:
    """One pattern for GUIDs (group 1) and known atoms (group 0), ignoring case (EM's names and DNS
    names do: `SRV39` is `srv39`). An atom starts where no letter or digit precedes it and ends
    where none follows, or where the vendor glues a file's date to a job's name
    (`File Server Daily BackupD2026-11-22T233014.vbk`)."""
    trie = trie_pattern({atom.lower() for atom in atoms})  # one branch for all cases: the longest wins
    names = rf"|(?<![A-Za-z0-9])(?:{trie})(?:(?![A-Za-z0-9])|(?=D\d{{4}}-\d\d-\d\dT))" if trie else ""
    return re.compile(rf"(?<![0-9A-Fa-f])({GUID})(?![0-9A-Fa-f]){names}", re.IGNORECASE)


def containment_pattern(atoms: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern finding any of `atoms` anywhere, boundaries or case aside: a stand-in must contain
    none."""
    trie = trie_pattern({atom.lower() for atom in atoms})
    return re.compile(trie, re.IGNORECASE) if trie else None
