"""Pure card content rules: validation with every offending path, canonical JSON, hashes."""

from __future__ import annotations

import json
import math
from typing import Any

from cardgraph.cards.sagemaker_schema import (
    CARD_CONTENT,
    MAX_CONTENT_CHARS,
    Arr,
    Bool,
    Map,
    Node,
    Num,
    Obj,
    Str,
    Tagged,
)
from cardgraph.errors import FieldProblem, ValidationFailedError
from cardgraph.hashing import CanonicalisationError, canonical_json

JsonObject = dict[str, Any]
# Integral floats within this bound are stored as ints, so 1 and 1.0 hash the same.
_EXACT_INT_LIMIT = 2**53


def parse_content_json(text: str) -> JsonObject:
    """Parse a JSON document given as text, rejecting NaN/Infinity and non-object roots."""

    def _reject_constant(name: str) -> None:
        raise ValueError(f"{name} is not valid JSON")

    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise ValidationFailedError([FieldProblem("$", f"not valid JSON: {exc}")]) from None
    except RecursionError:  # the parser recurses per level; no card is nested this deep
        raise ValidationFailedError([FieldProblem("$", "JSON nested too deeply")]) from None
    if not isinstance(value, dict):
        raise ValidationFailedError([FieldProblem("$", "content must be a JSON object")])
    return value


def validate_content(content: Any) -> JsonObject:
    """Check content against the card structure; return it normalised or raise with all problems."""
    problems: list[FieldProblem] = []
    normalised = _check(CARD_CONTENT, content, "$", problems)
    if not problems:
        try:
            size = len(canonical_json(normalised))
        except CanonicalisationError as error:  # a lone surrogate in a string, say
            raise ValidationFailedError(
                [FieldProblem("$", f"not canonical JSON: {error}")]
            ) from None
        if size > MAX_CONTENT_CHARS:
            problems.append(
                FieldProblem("$", f"content is {size} characters; at most {MAX_CONTENT_CHARS}")
            )
    if problems:
        raise ValidationFailedError(problems)
    assert isinstance(normalised, dict)
    return normalised


def _check(node: Node, value: Any, path: str, problems: list[FieldProblem]) -> Any:
    """Validate one value against its node; returns the normalised value."""
    match node:
        case Str():
            return _check_str(node, value, path, problems)
        case Num():
            return _check_num(node, value, path, problems)
        case Bool():
            if not isinstance(value, bool):
                problems.append(FieldProblem(path, f"must be a boolean, not {_kind(value)}"))
            return value
        case Arr():
            return _check_arr(node, value, path, problems)
        case Map():
            return _check_map(node, value, path, problems)
        case Obj():
            return _check_obj(node, value, path, problems)
        case Tagged():
            return _check_tagged(node, value, path, problems)


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_str(node: Str, value: Any, path: str, problems: list[FieldProblem]) -> Any:
    if not isinstance(value, str):
        problems.append(FieldProblem(path, f"must be a string, not {_kind(value)}"))
    elif node.enum is not None and value not in node.enum:
        problems.append(FieldProblem(path, f"must be one of {', '.join(node.enum)}"))
    elif len(value) < node.min_len:
        problems.append(FieldProblem(path, f"must have at least {node.min_len} character(s)"))
    elif node.max_len is not None and len(value) > node.max_len:
        problems.append(FieldProblem(path, f"has {len(value)} characters; at most {node.max_len}"))
    elif not value.isascii() and _has_lone_surrogate(value):
        problems.append(FieldProblem(path, "must be valid Unicode (it has a lone surrogate)"))
    return value


def _check_num(node: Num, value: Any, path: str, problems: list[FieldProblem]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(FieldProblem(path, f"must be a number, not {_kind(value)}"))
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.append(FieldProblem(path, "must be a finite number"))
            return value
        if value.is_integer() and abs(value) < _EXACT_INT_LIMIT:
            value = int(value)
    elif abs(value) >= _EXACT_INT_LIMIT:
        # RFC 8785 numbers are IEEE doubles: a larger integer would not hash as written.
        problems.append(FieldProblem(path, "must be an integer of magnitude below 2^53"))
        return value
    if node.minimum is not None and value < node.minimum:
        problems.append(FieldProblem(path, f"must be at least {node.minimum:g}"))
    return value


def _check_arr(node: Arr, value: Any, path: str, problems: list[FieldProblem]) -> Any:
    if not isinstance(value, list):
        problems.append(FieldProblem(path, f"must be an array, not {_kind(value)}"))
        return value
    if len(value) < node.min_items:
        problems.append(FieldProblem(path, f"must have at least {node.min_items} item(s)"))
    if node.max_items is not None and len(value) > node.max_items:
        problems.append(FieldProblem(path, f"has {len(value)} items; at most {node.max_items}"))
    return [_check(node.item, item, f"{path}[{i}]", problems) for i, item in enumerate(value)]


def _check_map(node: Map, value: Any, path: str, problems: list[FieldProblem]) -> Any:
    if not isinstance(value, dict):
        problems.append(FieldProblem(path, f"must be an object, not {_kind(value)}"))
        return value
    result: JsonObject = {}
    for key, item in value.items():
        key_path = f"{path}[{json.dumps(key, ensure_ascii=False)}]"
        if not key or len(key) > node.max_key_len:
            problems.append(
                FieldProblem(key_path, f"key must have 1 to {node.max_key_len} characters")
            )
        result[key] = _check(node.value, item, key_path, problems)
    return result


def _check_obj(node: Obj, value: Any, path: str, problems: list[FieldProblem]) -> Any:
    if not isinstance(value, dict):
        problems.append(FieldProblem(path, f"must be an object, not {_kind(value)}"))
        return value
    result: JsonObject = {}
    for key, item in value.items():
        child = node.fields.get(key)
        if child is None:
            problems.append(FieldProblem(_join(path, key), "unknown field"))
            continue
        result[key] = _check(child, item, _join(path, key), problems)
    for key in node.required:
        if key not in value:
            problems.append(FieldProblem(_join(path, key), "required field is missing"))
    return result


def _check_tagged(node: Tagged, value: Any, path: str, problems: list[FieldProblem]) -> Any:
    if not isinstance(value, dict):
        problems.append(FieldProblem(path, f"must be an object, not {_kind(value)}"))
        return value
    tag = value.get(node.tag)
    variant = node.variants.get(tag) if isinstance(tag, str) else None
    if variant is None:
        allowed = ", ".join(node.variants)
        problems.append(FieldProblem(_join(path, node.tag), f"must be one of {allowed}"))
        return value
    return _check_obj(variant, value, path, problems)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def risk_rating_of(content: JsonObject) -> str | None:
    """The card's risk rating (SageMaker spelling), if its content sets one."""
    uses = content.get("intended_uses")
    rating = uses.get("risk_rating") if isinstance(uses, dict) else None
    return rating if isinstance(rating, str) else None


def model_package_group_of(content: JsonObject) -> str | None:
    """The model package group named in the content, if any."""
    details = content.get("model_package_details")
    group = details.get("model_package_group_name") if isinstance(details, dict) else None
    return group if isinstance(group, str) else None
