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


class CostLimitError(CardgraphError):
    """The operation asks for more work than one request may do (fields, cost, variables)."""

    code = "COST_LIMIT"


class ResponseTooLargeError(CardgraphError):
    """The result would be larger than one response may be."""

    code = "RESPONSE_TOO_LARGE"


class RateLimitedError(CardgraphError):
    """The caller ran more operations than its rate allows; retry after `retry_after_s`."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BadArgumentError(BadRequestError):
    """One argument is malformed; `fields` names it, as for VALIDATION_FAILED."""

    def __init__(self, argument: str, reason: str) -> None:
        super().__init__(f"`{argument}` {reason}")
        self.fields = [FieldProblem(argument, reason)]


class UnavailableError(CardgraphError):
    """A backing server (MongoDB, Redis) cannot be reached right now."""

    code = "UNAVAILABLE"


class DataIntegrityError(CardgraphError):
    """A stored record holds a value this service does not know; that record needs repair."""

    code = "DATA_INTEGRITY"


def missing_version(card_name: str, number: int) -> DataIntegrityError:
    """The error for a version a card's history should hold and does not."""
    return DataIntegrityError(
        f"version {number} of card {card_name!r} is missing; the history needs repair"
    )


class ConfigurationError(CardgraphError):
    """The server is not configured for this operation; details are only in its log."""

    code = "CONFIGURATION"


class AwsError(CardgraphError):
    """AWS refused a call for a reason other than a missing resource."""

    code = "AWS_ERROR"


class InternalError(CardgraphError):
    """An unexpected failure; details are logged under `request_id`, never sent to clients."""

    code = "INTERNAL"

    def __init__(self, request_id: str) -> None:
        super().__init__(f"internal error; quote request id {request_id}")
        self.request_id = request_id
