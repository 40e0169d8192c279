"""Stored API keys (pure); roles and principals are in `cardgraph.principals`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cardgraph.principals import Role


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key (its secret is kept only as a hash)."""

    id: str
    name: str
    role: Role
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        """Whether the key has been revoked."""
        return self.revoked_at is not None
