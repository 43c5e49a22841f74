"""Rendered bytes, kept: whole responses per world version, and per-item fragments of big lists.

Why: building an lxml tree costs about 50 µs per restore point, so a 1,000-point list took 50 ms
on every request, while the same bytes change only when the world does. Two memories:

* `ResponseCache`: whole response bodies under a key the api layer builds (route, ids, query
  string, notation, base URL, the caller's scope), valid for one world at one `World.version`.
  Any edit bumps the version (`World.changed`, `EnterpriseManager.replace_world`), and the
  first lookup after it drops everything, so a stale answer is impossible without a cache that
  knows what each edit touched. Bounded by a byte budget, least recently used out first.
* `FragmentCache`: the bytes of one list item (a restore point's `<Ref>` or its JSON object) as
  it appears inside its list. It is keyed by the item's *content* (every field of the point and
  of what its foreign keys reach, its replica and that replica's tenant and backup server:
  everything the family's documents read, `content_key`) and by what else shapes it (form, Hrefs
  root, scope, container, notation), so it needs no invalidation: after a one-point change, a
  10,000-point list is re-joined from 9,999 kept fragments and one new one instead of being rebuilt.

A `Listing` renders by splicing: the document is rendered once around a marker item, and the
marker's bytes are replaced by the items' fragments, joined (with `,` in JSON). Each fragment is
cut from the same document rendered around that one item, so it is byte for byte what lxml (or
orjson) writes for it in place; a cut that does not fit falls back to rendering the whole tree.
With `fragments=None` a Listing renders the whole tree as it always did: the reference the cache
is tested against.

Nothing here decides what a document says; it only remembers how it was written.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, fields
from functools import cache
from operator import attrgetter
from typing import Any
from uuid import UUID

from mock_em.model.kinds import Kind, kinds
from mock_em.model.world import Stamp, World
from mock_em.wire.render import render
from mock_em.wire.template import NS, Node, Template

RESPONSE_BUDGET = 128 * 1024 * 1024  # bytes of whole responses kept
FRAGMENT_BUDGET = 128 * 1024 * 1024  # bytes of list-item fragments kept
ENTRY_OVERHEAD = 200  # what a kept entry costs beyond its bytes (key, dict slot), roughly


# -- documents to render -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Whole:
    """A document rendered as one tree."""

    node: Node


@dataclass(frozen=True, slots=True)
class Listing:
    """A document holding one list of items, renderable by splicing kept per-item fragments.

    `build` makes the document from its item nodes (the same call the route made before there
    was a cache); `item_node` makes one item's node; `variant` names everything besides the item
    that shapes an item's bytes (its form, the Hrefs root, the caller's scope, the container);
    `item_key` gives an item's content key, or is None to keep no fragments for this list.
    """

    build: Callable[[list[Node]], Node]
    items: Sequence[Any]
    item_node: Callable[[Any], Node]
    variant: Hashable = None
    item_key: Callable[[Any], Hashable] | None = None

    def tree(self) -> Node:
        """The whole document as one tree (how it renders without fragments)."""
        return self.build([self.item_node(item) for item in self.items])


Doc = Whole | Listing


def render_doc(document: Doc, json: bool, fragments: FragmentCache | None = None) -> bytes:
    """The document's bytes; a Listing uses (and fills) `fragments` when given."""
    if isinstance(document, Whole):
        return render(document.node, json)[0]
    if fragments is None or document.item_key is None or not document.items:
        return render(document.tree(), json)[0]
    spliced = _splice(document, json, fragments)
    return spliced if spliced is not None else render(document.tree(), json)[0]


# -- splicing ------------------------------------------------------------------------------------


class _MarkerTemplate(Template):
    """A list item that marks where the items go: `<MockEmFragments/>` in XML, a string in JSON."""

    def json(self, values: Any, notation: Any = None) -> Any:
        return _MARKER_TEXT


_MARKER_TEXT = "\u2063mock-em fragments\u2063"
_MARKER = Node(_MarkerTemplate(f'<MockEmFragments xmlns="{NS}"/>'.encode(), "marker"), {})
_MARKER_BYTES = {False: b"<MockEmFragments/>", True: render(_MARKER, True)[0]}
_SEPARATOR = {False: b"", True: b","}


def _splice(document: Listing, json: bool, fragments: FragmentCache) -> bytes | None:
    """The document with its items' kept fragments; the missing ones are rendered in one go, each
    between two markers (`[M,a,M,b,M]`), which also gives the text before and after the items.
    None when the cut does not fit (a value that looks like the marker): render the whole tree."""
    key_of = document.item_key
    assert key_of is not None
    items = document.items
    kept = fragments.variant((document.variant, json))
    keys = [key_of(item) for item in items]
    parts: list[bytes | None] = [kept.get(key) for key in keys]
    missing = [i for i, part in enumerate(parts) if part is None]
    nodes = [_MARKER]
    for i in missing:
        nodes += (document.item_node(items[i]), _MARKER)
    pieces = render(document.build(nodes), json)[0].split(_MARKER_BYTES[bool(json)])
    if len(pieces) != len(missing) + 2:
        return None
    separator = _SEPARATOR[bool(json)]
    cut = len(separator)
    for i, piece in zip(missing, pieces[1:-1], strict=True):
        if cut:
            if not (piece.startswith(separator) and piece.endswith(separator)) or len(piece) < 2 * cut:
                return None
            piece = piece[cut:-cut]
        parts[i] = piece
        kept.put(keys[i], piece)
    return pieces[0] + separator.join(parts) + pieces[-1]  # type: ignore[arg-type]  # all filled now


# -- content keys ---------------------------------------------------------------------------------


def _hashable_fields(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """All fields of a model dataclass as a tuple, less those that cannot be hashed (lists, nested
    dataclasses: a replica's VMs and schedule, which no point document shows)."""
    names = [f.name for f in fields(cls)]
    get = attrgetter(*names)

    def values(obj: Any) -> tuple[Any, ...]:
        return tuple(v for v in get(obj) if isinstance(v, Hashable) and not _unhashable(v))

    return values


def _unhashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return True
    return False


@cache
def _fields_of(model: type) -> Callable[[Any], tuple[Any, ...]]:
    """A model's fields as a tuple: all of them where they hash (a restore point's), else the
    hashable ones (a replica's VMs and schedule are lists and dataclasses that no point shows)."""
    every = attrgetter(*(f.name for f in fields(model)))
    some = _hashable_fields(model)
    hashable: list[bool] = []

    def values(obj: Any) -> tuple[Any, ...]:
        if not hashable:
            hashable.append(not _unhashable(every(obj)))
        return every(obj) if hashable[0] else some(obj)

    return values


def content_key(kind: Kind, world: World, fragments: FragmentCache) -> Callable[[Any], Hashable]:
    """An object's content key: its fields, and for each object its foreign keys reach (its
    declared dependencies: a point's replica, that replica's tenant and backup server) the number
    `fragments` gave that object's content. A family keeps fragments only where its documents read
    nothing else (`Family.fragments`). The numbers live as long as the fragments, so one number
    never stands for two contents; they are worked out per related object as items of it come by
    (a page of 100 points reads few replicas)."""
    own = _fields_of(kind.model)
    numbers: dict[tuple[str, Any], int] = {}

    def related(target: Kind, object_id: Any) -> int:
        found = numbers.get((target.name, object_id))
        if found is not None:
            return found
        obj = world.all(target.name).get(object_id)
        if obj is None:
            number = -1
        else:
            deps = tuple(related(kinds()[k.target], getattr(obj, k.attr)) for k in target.keys)
            number = fragments.number((target.name, _fields_of(target.model)(obj), deps))
        numbers[(target.name, object_id)] = number
        return number

    keys = [(kinds()[k.target], attrgetter(k.attr)) for k in kind.keys]
    if len(keys) == 1:  # the common case (a point's replica), without a generator per item
        ((target, get),) = keys

        def key_one(obj: Any) -> Hashable:
            return (own(obj), related(target, get(obj)))

        return key_one

    def key(obj: Any) -> Hashable:
        return (own(obj), tuple(related(target, get(obj)) for target, get in keys))

    return key


# -- whole responses ------------------------------------------------------------------------------


class ResponseCache:
    """Whole response bodies for one world version; least recently used out past the byte budget.

    `enabled` False makes every lookup miss and nothing kept, so every answer is rendered from
    scratch as one tree: the reference the cached bytes are tested against.
    """

    def __init__(self, budget: int = RESPONSE_BUDGET, fragment_budget: int = FRAGMENT_BUDGET) -> None:
        self.budget = budget
        self.max_entry = budget // 4
        self.enabled = True
        self.fragments = FragmentCache(fragment_budget)
        self.id_documents = IdDocuments()
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._stamp = Stamp()
        self.hits = 0
        self.misses = 0

    def get(self, world: World, key: Hashable) -> bytes | None:
        """The kept body for `key`, if it was rendered from this world at its current version.

        (Lock-free on a hit: each dict operation is atomic; a concurrent eviction only costs a miss.)"""
        if not self._stamp.holds(world):
            with self._lock:
                if not self._stamp.holds(world):
                    self._restart(world)
            self.misses += 1
            return None
        body = self._entries.get(key)
        if body is None:
            self.misses += 1
            return None
        try:  # noqa: SIM105  # (on every hit `contextlib.suppress` cost more than the move itself)
            self._entries.move_to_end(key)
        except KeyError:  # evicted meanwhile by another thread
            pass
        self.hits += 1
        return body

    def put(self, world: World, key: Hashable, body: bytes) -> None:
        """Keep `body`, rendered from `world` as it is now."""
        cost = len(body) + ENTRY_OVERHEAD
        if not self.enabled or cost > self.max_entry:
            return
        with self._lock:
            if not self._stamp.holds(world):
                self._restart(world)
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old) + ENTRY_OVERHEAD
            self._entries[key] = body
            self._size += cost
            while self._size > self.budget and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped) + ENTRY_OVERHEAD

    def clear(self) -> None:
        """Forget every kept response and fragment."""
        with self._lock:
            self._entries.clear()
            self._size = 0
            self._stamp = Stamp()
        self.fragments.clear()
        self.id_documents.clear()

    def _restart(self, world: World) -> None:
        """The world changed: nothing kept is current. Fragments survive a version change (they
        are keyed by content), not a new world, whose fragments would share none."""
        self._entries.clear()
        self._size = 0
        if not self._stamp.same_world(world):
            self.fragments.clear()
        self._stamp = Stamp(world)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes kept (bodies plus a rough per-entry overhead)."""
        return self._size


# -- fragments ------------------------------------------------------------------------------------


class _Generation:
    """One variant's fragments in the young and the old generation."""

    __slots__ = ("cache", "old", "variant", "young")

    def __init__(self, cache: FragmentCache, variant: Hashable) -> None:
        self.cache = cache
        self.variant = variant
        self.young: dict[Hashable, bytes] = cache.young_of(variant)
        self.old: dict[Hashable, bytes] = cache.old_of(variant)

    def get(self, key: Hashable) -> bytes | None:
        part = self.young.get(key)
        if part is None:
            part = self.old.get(key)
            if part is not None:  # still in use: promote it, so the next turnover keeps it
                self.put(key, part)
        return part

    def put(self, key: Hashable, part: bytes) -> None:
        if self.cache.add(len(part)):  # the generations turned over: follow them
            self.young = self.cache.young_of(self.variant)
            self.old = self.cache.old_of(self.variant)
        self.young[key] = part


class FragmentCache:
    """List-item fragments by (variant, content key), in two generations: when the young one
    fills half the budget it becomes the old one and the previous old one is dropped, so the
    memory stays bounded without per-hit bookkeeping, and fragments still in use are promoted."""

    def __init__(self, budget: int = FRAGMENT_BUDGET) -> None:
        self.budget = budget
        self._lock = threading.Lock()
        self._young: dict[Hashable, dict[Hashable, bytes]] = {}
        self._old: dict[Hashable, dict[Hashable, bytes]] = {}
        self._young_size = 0
        self._numbers: dict[Hashable, int] = {}

    def number(self, content: Hashable) -> int:
        """A number for `content`, the same for equal contents until `clear`."""
        with self._lock:
            return self._numbers.setdefault(content, len(self._numbers))

    def variant(self, variant: Hashable) -> _Generation:
        """The fragments of one variant (form, Hrefs root, scope, container, notation)."""
        return _Generation(self, variant)

    def young_of(self, variant: Hashable) -> dict[Hashable, bytes]:
        with self._lock:
            return self._young.setdefault(variant, {})

    def old_of(self, variant: Hashable) -> dict[Hashable, bytes]:
        with self._lock:
            return self._old.get(variant, {})

    def add(self, size: int) -> bool:
        """Count a new fragment; True when the generations turned over to make room."""
        with self._lock:
            self._young_size += size + ENTRY_OVERHEAD
            if self._young_size <= self.budget // 2:
                return False
            self._old = self._young
            self._young = {}
            self._young_size = size + ENTRY_OVERHEAD
            return True

    def clear(self) -> None:
        """Forget every fragment."""
        with self._lock:
            self._young = {}
            self._old = {}
            self._young_size = 0
            self._numbers = {}

    def __len__(self) -> int:
        with self._lock:
            return sum(map(len, self._young.values())) + sum(map(len, self._old.values()))


# -- documents that differ by one GUID ------------------------------------------------------------

_MISSING = object()
STAND_INS = (UUID("5f0c6a39-4e1b-4d7a-9c2e-8b3d1f6a0e47"), UUID("a2d94e71-0b6c-4f38-b5e9-3c7a18d2f605"))


class IdDocuments:
    """Documents of one shape that differ only by a GUID: a new session's `LogonSession` differs
    from every other of its account and base URL only by its SessionId. Each shape is rendered
    once with a stand-in GUID, and the stand-in's text is replaced by the real one's.

    Before a shape is kept, it is rendered with a second stand-in and compared with the first
    rendering, its stand-in replaced: equal only when the GUID shows nowhere but where the stand-in
    does, so the replacement is exact. A shape that fails (say, a user named like the stand-in) is
    rendered in full every time. The caller's shape key must name everything else `build` reads.
    """

    def __init__(self, max_shapes: int = 4096) -> None:
        self.max_shapes = max_shapes
        self._lock = threading.Lock()
        self._shapes: dict[Hashable, bytes | None] = {}

    def render(self, shape: Hashable, json: bool, build: Callable[[UUID], Node], value: UUID) -> bytes:
        """`render(build(value), json)`'s bytes."""
        key = (shape, json)
        template = self._shapes.get(key, _MISSING)
        if template is _MISSING:
            first, second = (render(build(stand_in), json)[0] for stand_in in STAND_INS)
            a, b = (str(stand_in).encode() for stand_in in STAND_INS)
            template = first if a in first and first.replace(a, b) == second else None
            with self._lock:
                if len(self._shapes) >= self.max_shapes:
                    self._shapes.clear()
                self._shapes[key] = template
        if template is None:
            return render(build(value), json)[0]
        return template.replace(_STAND_IN_TEXT, str(value).encode())  # type: ignore[union-attr]

    def clear(self) -> None:
        """Forget every shape."""
        with self._lock:
            self._shapes.clear()


_STAND_IN_TEXT = str(STAND_INS[0]).encode()
