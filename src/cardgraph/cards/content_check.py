"""A request's content checked and canonicalised without holding the event loop up.

Validating the largest content the rules allow (100,000 characters of small numbers) takes
~50 ms of pure Python, during which an API process would answer nobody else. Content past
`OFF_LOOP_CHARS` is checked in a worker thread instead: the interpreter hands the event loop
the GIL every switch interval (5 ms), so other requests are served meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from cardgraph.cards.content import JsonObject, validate_content
from cardgraph.hashing import canonical_json

OFF_LOOP_CHARS = 20_000


async def checked_content(content: Any) -> tuple[JsonObject, str]:
    """The validated, normalised content and its canonical JSON (VALIDATION_FAILED if bad)."""
    if _rough_size(content) < OFF_LOOP_CHARS:
        return _checked(content)
    return await asyncio.to_thread(_checked, content)


def _checked(content: Any) -> tuple[JsonObject, str]:
    normalised = validate_content(content)
    return normalised, canonical_json(normalised)


def _rough_size(content: Any) -> int:
    """Characters of `content` as JSON (C speed); what orjson cannot encode counts as large."""
    try:
        return len(orjson.dumps(content))
    except (TypeError, ValueError):  # big integers, odd keys, deep nesting: let the check say
        return OFF_LOOP_CHARS
