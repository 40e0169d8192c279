"""Reading enum values back from stored documents: an unknown one is DATA_INTEGRITY, logged."""

from __future__ import annotations

import logging
from enum import Enum
from typing import TypeVar

from cardgraph.errors import DataIntegrityError

logger = logging.getLogger("cardgraph.storage")

E = TypeVar("E", bound=Enum)


def stored_enum(kind: type[E], value: object, *, record: str, record_id: object, field: str) -> E:
    """The member of `kind` whose value is `value`, or DATA_INTEGRITY naming the record."""
    try:
        return kind(value)
    except ValueError:
        raise damaged(record, record_id, field, value) from None


def stored_enum_name(
    kind: type[E], name: object, *, record: str, record_id: object, field: str
) -> E:
    """The member of `kind` named `name` (enums stored by name), or DATA_INTEGRITY."""
    member = kind.__members__.get(name) if isinstance(name, str) else None
    if member is None:
        raise damaged(record, record_id, field, name)
    return member


def damaged(record: str, record_id: object, field: str, value: object) -> DataIntegrityError:
    """Log a damaged record for operators; the error the reader gets (without the value)."""
    # The value goes to the log only: a damaged record may hold anything, secrets included.
    logger.error("stored %s %r holds an unknown %s: %.200r", record, record_id, field, value)
    return DataIntegrityError(
        f"stored {record} {record_id!r} holds an unknown {field}; the record needs repair"
    )
