"""No field resolves without a principal: an operation gate and a guard on every root field.

Two locks, each enough on its own. `OperationGate` refuses to execute any operation whose
context has no principal, and re-authorises WebSocket operations against the key's current
state. `RootFieldGuard`, put on every root field of the schema when it is built, refuses again
and records denied attempts (FORBIDDEN, POLICY_VIOLATION, INVALID_TRANSITION) in the audit log.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.types.base import StrawberryObjectDefinition

from cardgraph.errors import (
    CardgraphError,
    ForbiddenError,
    InvalidTransitionError,
    PolicyViolationError,
    UnauthenticatedError,
)
from cardgraph.graphql.context import Context, Info
from cardgraph.principals import Principal, Role

logger = logging.getLogger("cardgraph.graphql")

# Refusals of an authenticated caller that a governance log keeps. Anonymous callers never
# reach a resolver, so they cannot fill the log.
DENIALS = (ForbiddenError, PolicyViolationError, InvalidTransitionError)
MAX_DETAIL = 200


class OperationGate(SchemaExtension):
    """Before any operation executes: a principal, current for WebSocket operations."""

    async def on_execute(self) -> AsyncIterator[None]:
        """Refuse, or re-authorise, before execution; nothing resolves otherwise."""
        context = self.execution_context.context
        if not isinstance(context, Context) or context.principal is None:
            raise UnauthenticatedError("not authenticated")
        if context.socket is not None:
            context.principal = await context.socket.authenticate()
        yield


class RootFieldGuard(FieldExtension):
    """On every root field: a principal holding the field's minimum role (checked before
    any argument is looked at), and an audit event for each denied attempt."""

    def __init__(self, minimum: Role) -> None:
        self.minimum = minimum

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        """Sync root fields: refuse anonymous callers and roles below the minimum."""
        _principal(info).require(self.minimum, f"`{info.field_name}`")
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        """Async root fields and subscriptions: the same, and denials are audited."""
        principal = _principal(info)
        try:
            principal.require(self.minimum, f"`{info.field_name}`")
            result = next_(source, info, **kwargs)
            if inspect.isasyncgen(result):  # a subscription: its events follow
                return result
            return await result
        except DENIALS as error:
            await _record_denial(info, principal, error, kwargs)
            raise


def guard_root_fields(minimum_roles: Mapping[str, Role], *root_types: type) -> None:
    """Put `RootFieldGuard` on every field of the root types (once, however often called).

    `minimum_roles` maps each field's Python name to the role it needs; a field it does not
    name stops the schema from being built, so no field can be added without a decision.
    """
    missing = []
    for root in root_types:
        definition: StrawberryObjectDefinition = root.__strawberry_definition__  # type: ignore[attr-defined]
        for field in definition.fields:
            if any(isinstance(e, RootFieldGuard) for e in field.extensions):
                continue
            minimum = minimum_roles.get(field.python_name)
            if minimum is None:
                missing.append(f"{root.__name__}.{field.python_name}")
                continue
            field.extensions.append(RootFieldGuard(minimum))
    if missing:
        raise RuntimeError(f"root fields without a minimum role: {', '.join(missing)}")


def _principal(info: Info) -> Principal:
    principal = info.context.principal if isinstance(info.context, Context) else None
    if principal is None:
        raise UnauthenticatedError("not authenticated")
    return principal


async def _record_denial(
    info: Info, principal: Principal, error: CardgraphError, kwargs: dict[str, Any]
) -> None:
    details: dict[str, Any] = {
        "attempted": info.field_name,
        "code": error.code,
        "reason": error.message[:MAX_DETAIL],
    }
    card_name = _argument(kwargs, "name") or _argument(kwargs, "card")
    status = _argument(kwargs, "status")
    if status is not None:
        details["status"] = status
    try:
        await info.context.services.audit.record(
            principal, "denied", card_name=card_name, details=details
        )
    except Exception:  # the refusal stands; a lost trace of it is logged, never masked
        logger.exception("could not record a denied %s", info.field_name)


def _argument(kwargs: dict[str, Any], name: str) -> str | None:
    """A short string argument, given directly or inside `input`."""
    value = kwargs.get(name)
    if value is None and "input" in kwargs:
        value = getattr(kwargs["input"], name, None)
    value = getattr(value, "name", value) if not isinstance(value, str) else value
    if isinstance(value, str) and 0 < len(value) <= MAX_DETAIL:
        return value
    return None
