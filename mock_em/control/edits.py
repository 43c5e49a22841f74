"""The control plane's edits of the world, built from the families' declarations (`Family.edits`).

For each family that declares edits, under `/mock/world/{segment}`:

* `POST` adds an object made from the body (201, the object's control JSON);
* `GET /{id}` shows one object's control JSON;
* `DELETE /{id}` removes it, and along the world's cascades whatever names it; the answer says
  what went (`{"deleted": id, "pointsRemoved": n}`);
* `PATCH /{id}` changes it, where the family declares a change;
* and the family's own routes under `/{id}` (a replica's VMs).

Ids of new objects come from the EM's seeded RNG. The families raise `BadEdit` (400) and
`NotFound` (404) from the model layer; this module turns the first into the web layer's 400.

The module does not postpone annotations: FastAPI reads each route's body model from the
signature built here, which must hold the class itself rather than a name in this module.
"""

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel

from mock_em.api.errors import VeeamError
from mock_em.control.common import em
from mock_em.model.access import NotFound
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.kinds import kind
from mock_em.registry import edited_families
from mock_em.resources.family import BadEdit, EditRoute, Edits, Family, guid_of

router = APIRouter(prefix="/world", tags=["world"])

_PATH_PARAMETER = re.compile(r"\{(\w+)\}")


def _refused(exc: BadEdit) -> VeeamError:
    return VeeamError(400, str(exc))


def _route(
    path: str,
    method: str,
    run: Callable[..., Awaitable[dict[str, Any]]],
    *,
    params: tuple[str, ...],
    body: type[BaseModel] | None,
    body_required: bool,
    status: int,
    name: str,
    summary: str,
) -> None:
    """Serve `run(request, body, **path parameters)` with the signature FastAPI reads: the path's
    parameters as strings and, if any, the body as `body` (the name its 400s give as `body.…`)."""
    parameters = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    parameters += [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str) for p in params]
    if body is not None:
        annotation = body if body_required else body | None
        default = inspect.Parameter.empty if body_required else None
        parameters.append(
            inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation, default=default)
        )

    async def endpoint(request: Request, **values: Any) -> dict[str, Any]:
        sent = values.pop("body", None)
        try:
            return await run(request, sent, **values)
        except BadEdit as exc:
            raise _refused(exc) from None

    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=dict[str, Any])  # type: ignore[attr-defined]
    endpoint.__name__ = name
    endpoint.__doc__ = summary
    router.add_api_route(path, endpoint, methods=[method], status_code=status, name=name, summary=summary)


def _object_id(edits: Edits, family: Family, sent: str) -> UUID:
    """The id in the path, or a 400 naming it as the control plane always did (`replica id`)."""
    return guid_of(sent, f"{family.kind.noun} id")


def _store(edits: Edits, family: Family, manager: EnterpriseManager, obj: Any) -> None:
    """Store a new object: a missing key's target is a 404 naming it, a conflict a 400."""
    try:
        edits.store(manager.world, obj)
    except KeyError as exc:
        missing = exc.args[0] if exc.args else None
        for key in family.kind.keys:
            if getattr(obj, key.attr) == missing:
                raise NotFound(f"{kind(key.target).what} {missing} was not found") from None
        raise
    except ValueError as exc:
        raise BadEdit(str(exc)) from None


def add_family(family: Family) -> None:
    """Serve one family's edits."""
    edits = family.edits
    if edits is None:
        return
    what = family.kind.what
    base = f"/{edits.segment}"
    id_name = f"{family.kind.noun.replace(' ', '_')}_id"
    item = f"{base}/{{{id_name}}}"
    word = family.kind.noun.replace(" ", "_")

    async def add(request: Request, body: Any) -> dict[str, Any]:
        manager = em(request)
        obj = edits.build(manager, body)
        _store(edits, family, manager, obj)
        return edits.json(obj)

    async def show(request: Request, body: None, **path: str) -> dict[str, Any]:
        sent = path[id_name]
        found = em(request).world.all(family.name).get(_object_id(edits, family, sent))
        if found is None:
            raise NotFound(f"{what} {sent} was not found")
        return edits.json(found)

    async def remove(request: Request, body: None, **path: str) -> dict[str, Any]:
        sent = path[id_name]
        try:
            removed = em(request).world.remove(family.name, _object_id(edits, family, sent))
        except KeyError:
            raise NotFound(f"{what} {sent} was not found") from None
        return {"deleted": sent, **{field: removed.get(counted, 0) for field, counted in edits.removed}}

    _route(base, "POST", add, params=(), body=edits.new, body_required=True, status=201, name=f"add_{word}",
           summary=f"Add a {family.kind.noun} ({edits.new.__doc__})")  # fmt: skip
    _route(item, "GET", show, params=(id_name,), body=None, body_required=False, status=200, name=f"show_{word}",
           summary=f"One {family.kind.noun} as the control plane shows it.")  # fmt: skip
    _route(item, "DELETE", remove, params=(id_name,), body=None, body_required=False, status=200,
           name=f"remove_{word}", summary=f"Remove a {family.kind.noun} and whatever names it.")  # fmt: skip
    if edits.change is not None and edits.apply is not None:
        apply = edits.apply

        async def change(request: Request, body: Any, **path: str) -> dict[str, Any]:
            sent = path[id_name]
            make = apply(body)  # a bad change is refused before the id is read
            world = em(request).world
            found = world.all(family.name).get(_object_id(edits, family, sent))
            if found is None:
                raise NotFound(f"{what} {sent} was not found")
            make(found)
            world.changed()
            return edits.json(found)

        _route(item, "PATCH", change, params=(id_name,), body=edits.change, body_required=True, status=200,
               name=f"change_{word}", summary=f"Change a {family.kind.noun} ({edits.change.__doc__})")  # fmt: skip
    for own in edits.routes:
        _own_route(family, edits, item, id_name, own)


def _own_route(family: Family, edits: Edits, item: str, id_name: str, own: EditRoute) -> None:
    """A family's own route under an object (`/replicas/{replica_id}/vms`)."""
    params = (id_name, *_PATH_PARAMETER.findall(own.path))

    async def run(request: Request, body: Any, **path: str) -> dict[str, Any]:
        manager = em(request)
        sent = path.pop(id_name)
        return own.run(manager, _object_id(edits, family, sent), sent, body, path)

    name = f"{own.method.lower()}_{family.kind.noun.replace(' ', '_')}{own.path.replace('/', '_')}"
    name = re.sub(r"[{}]", "", name)
    _route(f"{item}{own.path}", own.method, run, params=params, body=own.body, body_required=False,
           status=own.status, name=name, summary=own.summary)  # fmt: skip


for _family in edited_families():
    add_family(_family)
