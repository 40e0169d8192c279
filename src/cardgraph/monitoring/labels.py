"""Label values of the metrics, kept to bounded sets: client-chosen text never becomes one."""

from __future__ import annotations

import re
import threading

from cardgraph import errors

OK = "ok"
ANONYMOUS = "anonymous"  # an operation without a name
UNKNOWN = "unknown"  # never parsed: refused before its document was read, or unreadable
OTHER = "other"  # past the cap on distinct operation names
OTHER_CODE = "OTHER"

# Distinct operation names one process labels by; later new names count as OTHER.
MAX_OPERATION_NAMES = 200
_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")

# Every code a cardgraph error carries, and the codes the transports give refusals.
ERROR_CODES = frozenset(
    {
        cls.code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.CardgraphError)
    }
    | {"BAD_REQUEST", "RESPONSE_TOO_LARGE", "INTERNAL", "UNAVAILABLE"}
)

# Refusals answered before execution carry no GraphQL result: the status says what they were.
_CODE_OF_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "BAD_REQUEST",
    429: "RATE_LIMITED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
QUEUE_PRIORITY_SEPARATOR = "\x06\x16"  # kombu's Redis transport: `queue<sep><priority>`
QUEUE_PRIORITY_STEPS = (0, 3, 6, 9)  # kombu's default priority steps; 0 is the bare name


def outcome_of_code(code: object) -> str:
    """An error code as a label: one of the API's codes, or OTHER."""
    return code if isinstance(code, str) and code in ERROR_CODES else OTHER_CODE


def outcome_of_status(status: int) -> str:
    """The outcome of a request refused before execution, from its HTTP status."""
    if status < 400:
        return OK
    return _CODE_OF_STATUS.get(status, f"HTTP_{status}" if 400 <= status < 600 else OTHER_CODE)


def method_label(method: str) -> str:
    """An HTTP method as a label (an invented method is OTHER)."""
    return method if method in METHODS else OTHER_CODE


def queue_keys(queue: str) -> list[str]:
    """The Redis lists a Celery queue's messages wait in (one per priority step)."""
    return [
        f"{queue}{QUEUE_PRIORITY_SEPARATOR}{step}" if step else queue
        for step in QUEUE_PRIORITY_STEPS
    ]


class OperationNames:
    """Operation names as labels: GraphQL names only, at most `limit` distinct ones."""

    def __init__(self, limit: int = MAX_OPERATION_NAMES) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str | None) -> str:
        """The label of an operation named `name` (None: an unnamed operation)."""
        if name is None:
            return ANONYMOUS
        if _GRAPHQL_NAME.fullmatch(name) is None:
            return OTHER
        with self._lock:
            if name in self._seen:
                return name
            if len(self._seen) >= self._limit:
                return OTHER
            self._seen.add(name)
            return name
