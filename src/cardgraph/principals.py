"""Who is acting and the role they hold: the identity every package records and checks
(pure, a leaf beside errors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from cardgraph.errors import ForbiddenError


class Role(IntEnum):
    """Ordered roles: each includes every permission of the roles below it."""

    READER = 1
    EDITOR = 2
    APPROVER = 3
    ADMIN = 4


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: the API key's id, its name and its role."""

    key_id: str
    name: str
    role: Role
    acting_as: str | None = None
    expires_at: datetime | None = None  # when the credential stops being good (OIDC tokens)

    @property
    def actor(self) -> str:
        """How this principal is recorded in histories (`apikey:<name>`)."""
        return self.acting_as or f"apikey:{self.name}"

    @classmethod
    def for_job(cls, job_id: str, requested_by: str) -> Principal:
        """A worker acting for a job: editor rights, recorded as whoever requested the job."""
        return cls(
            key_id=f"job:{job_id}", name=f"job-{job_id}", role=Role.EDITOR, acting_as=requested_by
        )

    def require(self, role: Role, action: str) -> None:
        """Raise FORBIDDEN unless this principal holds at least `role`."""
        if self.role < role:
            raise ForbiddenError(
                f"{action} needs the {role.name.lower()} role; this key is {self.role.name.lower()}"
            )
