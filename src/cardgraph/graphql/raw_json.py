"""JSON values sent as the text they are stored as, without being parsed and encoded again."""

from __future__ import annotations

import json

import orjson


class RawJson:
    """A JSON document's text, embedded verbatim in the response by `encode_response`."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def encode_response(data: object) -> str | bytes:
    """Encode a response (orjson; the standard encoder for the integers orjson refuses)."""
    try:
        return orjson.dumps(data, default=_as_fragment)
    except TypeError:  # integers past 64 bits in a stored value
        return json.dumps(data, separators=(",", ":"), default=_as_value)


def _as_fragment(value: object) -> orjson.Fragment:
    if isinstance(value, RawJson):
        return orjson.Fragment(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _as_value(value: object) -> object:
    if isinstance(value, RawJson):
        return json.loads(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON")
