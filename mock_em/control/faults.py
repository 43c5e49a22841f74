"""Fault rules over the control plane: make chosen vendor requests fail, slow down or break.

`POST /mock/faults` adds a rule (tried after the existing ones), `GET` lists them with how often
each matched, fired and spared a request, `DELETE` removes one or all. What a rule means is
`mock_em.model.faults`; how it reaches the client is `mock_em.api.recorder`.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from mock_em.api.errors import VeeamError
from mock_em.control import PREFIX
from mock_em.model.enterprise_manager import NotFound
from mock_em.model.faults import MAX_LATENCY_MS, ConnectionFault, FaultRules, FaultSpec, RuleState

router = APIRouter(prefix="/faults", tags=["faults"])


class NewFault(BaseModel):
    """A fault rule: which vendor requests it matches, what it does to them, and how often.

    Give at least one action: `status` (an error answered as a Veeam Error), a delay (`latencyMs`,
    or `latencyMinMs` and `latencyMaxMs` for a uniform random one), or `connection`. A delay alone
    passes the request on late; a delay with a status or connection fault comes before it.
    Examples: `{"path": "/api/cloud/*", "status": 503}`,
    `{"method": "GET", "latencyMinMs": 100, "latencyMaxMs": 900, "seed": 7}`,
    `{"path": "/api/sessionMngr", "connection": "reset", "maxCount": 1}`.
    """

    model_config = ConfigDict(extra="forbid")

    method: str | None = Field(default=None, max_length=20, description="HTTP method; omitted, `*` or `ANY`: any")
    path: str = Field(
        default="*",
        max_length=1000,
        description="glob over the canonical path, case-insensitive; `*` spans `/` (e.g. `/api/cloud/*`)",
    )
    userName: str | None = Field(
        default=None, max_length=200, description="only requests whose session belongs to this user (`Administrator`)"
    )
    tenant: str | None = Field(
        default=None, max_length=200, description="only requests whose session is this tenant's (name or id)"
    )
    status: int | None = Field(default=None, description="answer with this HTTP error status (400-599)")
    message: str | None = Field(default=None, description="the Error's Message; a default per status otherwise")
    latencyMs: float | None = Field(default=None, ge=0, le=MAX_LATENCY_MS, description="fixed delay")
    latencyMinMs: float | None = Field(default=None, ge=0, le=MAX_LATENCY_MS, description="random delay: lower")
    latencyMaxMs: float | None = Field(default=None, ge=0, le=MAX_LATENCY_MS, description="random delay: upper")
    connection: Literal["reset", "empty", "truncated"] | None = Field(
        default=None,
        description="break the connection: TCP reset, close without a response, or a body cut short",
    )
    probability: float = Field(default=1.0, ge=0, le=1, description="chance that a match fires (rule's own RNG)")
    skipFirst: int = Field(default=0, ge=0, description="let this many matches through before firing")
    maxCount: int | None = Field(default=None, ge=1, description="fire at most this many times, then stop matching")
    seed: int | None = Field(default=None, description="seed of the rule's RNG (default: derived from its id)")

    def spec(self) -> FaultSpec:
        """The model's rule (ValueError when the combination makes no sense)."""
        return FaultSpec(
            method=self.method,
            path=self.path,
            user_name=self.userName,
            tenant=self.tenant,
            status=self.status,
            message=self.message,
            latency_ms=self.latencyMs,
            latency_min_ms=self.latencyMinMs,
            latency_max_ms=self.latencyMaxMs,
            connection=ConnectionFault(self.connection) if self.connection else None,
            probability=self.probability,
            skip_first=self.skipFirst,
            max_count=self.maxCount,
            seed=self.seed,
        )


def faults(request: Request) -> FaultRules:
    """The app's fault rules."""
    return request.app.state.faults


def rule_json(rule: RuleState) -> dict[str, Any]:
    """A rule as the control plane shows it, with its statistics (matched = fired + skipped +
    lost probability draws)."""
    spec = rule.spec
    return {
        "id": rule.id,
        "method": spec.method,
        "path": spec.path,
        "userName": spec.user_name,
        "tenant": spec.tenant,
        "status": spec.status,
        "message": spec.effective_message,
        "latencyMs": spec.latency_ms,
        "latencyMinMs": spec.latency_min_ms,
        "latencyMaxMs": spec.latency_max_ms,
        "connection": spec.connection.value if spec.connection else None,
        "probability": spec.probability,
        "skipFirst": spec.skip_first,
        "maxCount": spec.max_count,
        "seed": spec.seed,
        "active": not rule.spent,
        "statistics": {"matched": rule.matched, "fired": rule.fired, "skipped": rule.skipped},
    }


def _found(request: Request, rule_id: str) -> RuleState:
    rule = faults(request).get(rule_id)
    if rule is None:
        raise NotFound(f"Fault rule {rule_id!r} was not found")
    return rule


@router.post("", status_code=201)
async def create_fault(request: Request, response: Response, body: NewFault) -> dict[str, Any]:
    """Add a rule after the existing ones; rules are tried in creation order and the first that fires wins."""
    try:
        spec = body.spec()
    except ValueError as exc:
        raise VeeamError(400, str(exc)) from None
    rule = faults(request).add(spec)
    response.headers["Location"] = f"{PREFIX}/faults/{rule.id}"
    return rule_json(rule)


@router.get("")
async def list_faults(request: Request) -> dict[str, Any]:
    """Every rule in the order they are tried, with statistics."""
    return {"faults": [rule_json(rule) for rule in faults(request).all()]}


@router.get("/{rule_id}")
async def get_fault(request: Request, rule_id: str) -> dict[str, Any]:
    """One rule with its statistics."""
    return rule_json(_found(request, rule_id))


@router.delete("/{rule_id}")
async def delete_fault(request: Request, rule_id: str) -> dict[str, Any]:
    """Remove one rule; requests it matched are answered normally again."""
    if not faults(request).remove(rule_id):
        raise NotFound(f"Fault rule {rule_id!r} was not found")
    return {"deleted": rule_id}


@router.delete("")
async def delete_faults(request: Request) -> dict[str, int]:
    """Remove every rule (new ids keep counting until a reset)."""
    return {"deleted": faults(request).clear()}
