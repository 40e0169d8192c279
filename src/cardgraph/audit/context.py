"""The request an action belongs to, carried to the audit log without threading it through."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("cardgraph_request_id", default=None)
