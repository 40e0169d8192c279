"""Coded errors shared by every layer; the GraphQL layer turns them into `extensions.code`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One offending input location: a JSON path and why it was rejected."""

    path: str
    reason: str


class CardgraphError(Exception):
    """Base of every error a client may see; `code` is stable and machine-readable."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(CardgraphError):
    """The named resource does not exist."""

    code = "NOT_FOUND"


class ConflictError(CardgraphError):
    """A concurrent writer won, or a uniqueness rule was violated."""

    code = "CONFLICT"


class ValidationFailedError(CardgraphError):
    """Input broke the content rules; `fields` lists every problem."""

    code = "VALIDATION_FAILED"

    def __init__(self, problems: list[FieldProblem]) -> None:
        count = len(problems)
        super().__init__(
            f"{count} invalid field{'s' if count != 1 else ''}: "
            + "; ".join(f"{p.path}: {p.reason}" for p in problems[:5])
            + (" …" if count > 5 else "")
        )
        self.fields = problems


class PolicyViolationError(CardgraphError):
    """A governance policy forbids this change; `fields` says what is missing."""

    code = "POLICY_VIOLATION"

    def __init__(self, message: str, problems: list[FieldProblem]) -> None:
        super().__init__(message)
        self.fields = problems


class ArchivedError(CardgraphError):
    """The card is archived and its content can no longer change."""

    code = "ARCHIVED"


class InvalidTransitionError(CardgraphError):
    """The requested status change is not allowed by the workflow."""

    code = "INVALID_TRANSITION"


class UnauthenticatedError(CardgraphError):
    """No valid credentials came with the request."""

    code = "UNAUTHENTICATED"


class ForbiddenError(CardgraphError):
    """The caller's role does not allow this operation."""

    code = "FORBIDDEN"


class BadRequestError(CardgraphError):
    """The request itself is malformed (not a content rule)."""

    code = "BAD_REQUEST"


class UnavailableError(CardgraphError):
    """A backing server (MongoDB, Redis) cannot be reached right now."""

    code = "UNAVAILABLE"


class InternalError(CardgraphError):
    """An unexpected failure; details are logged under `request_id`, never sent to clients."""

    code = "INTERNAL"

    def __init__(self, request_id: str) -> None:
        super().__init__(f"internal error; quote request id {request_id}")
        self.request_id = request_id
