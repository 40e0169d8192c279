"""Hypothesis strategies for fuzzing: JSON, card content, strings near and past every limit."""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

from hypothesis import strategies as st

from cardgraph.cards.sagemaker_schema import (
    CARD_CONTENT,
    Arr,
    Bool,
    Map,
    Node,
    Num,
    Obj,
    Str,
    Tagged,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)
# What a JSON client can send (no NaN or infinity; raw bodies try those too).
finite_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)
# Anything JSON can carry, for arguments of the wrong type.
wrong_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def from_schema(node: Node) -> st.SearchStrategy[Any]:
    """Content shaped like the schema, with values near and past every limit."""
    if isinstance(node, Str):
        if node.enum:
            return st.sampled_from(node.enum) | st.text(max_size=10)
        limit = node.max_len or 80
        return st.text(min_size=0, max_size=limit + 2)
    if isinstance(node, Num):
        return st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(node, Bool):
        return st.booleans()
    if isinstance(node, Arr):
        cap = (node.max_items or 3) + 1
        return st.lists(from_schema(node.item), max_size=min(cap, 22))
    if isinstance(node, Map):
        return st.dictionaries(st.text(max_size=8), from_schema(node.value), max_size=3)
    if isinstance(node, Tagged):
        return st.one_of([from_schema(v) for v in node.variants.values()])
    assert isinstance(node, Obj)
    optional = {k: from_schema(v) for k, v in node.fields.items() if k not in node.required}
    required = {k: from_schema(v) for k, v in node.fields.items() if k in node.required}
    return st.fixed_dictionaries(required, optional=optional) | st.dictionaries(
        st.sampled_from([*node.fields, "unknown"]), finite_json, max_size=3
    )


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


INJECTIONS = [
    "",
    " ",
    "\x00",
    "$where",
    '{"$gt": ""}',
    '{"$regex": "^(a+)+$"}',
    "(a+)+$",
    ".*" * 50,
    "../../../../etc/passwd",
    "s3://metrics/../../other/key",
    "s3://metrics/" + "a" * 2000,
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/",
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/group/1",
    "<script>alert(1)</script>",
    "'; DROP TABLE cards; --",
    "%00%ff",
    "\ud7ff\ue000\U0010ffff",
    "e\u0301" * 20,
    "\u202etxt.exe",
    "cg_" + "a" * 40 + "_" + "b" * 40,
    _cursor({"$regex": "^(a+)+$"}),
    _cursor({"name": {"$in": ["a", "b"]}, "_id": {"$gt": ""}}),
    _cursor([{"$gt": ""}, "x"]),
    _cursor({"v": {"$date": "x"}, "id": ["x"]}),
    base64.b64encode(b"\xff\xfe\x00").decode(),
]
HUGE_LENGTHS = [256, 2_000, 70_000, 900_000]


def strings(known: list[str]) -> st.SearchStrategy[str]:
    """Names and ids that exist, unicode, names near the limit, injections, cursors, huge."""
    return st.sampled_from(known) | _unknown_strings()


@cache
def _unknown_strings() -> st.SearchStrategy[str]:
    huge = st.builds(
        lambda n, c: c * n, st.sampled_from(HUGE_LENGTHS), st.sampled_from(["a", "é", "-", "😀"])
    )
    return st.one_of(
        st.text(max_size=40),
        st.from_regex(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,70}", fullmatch=True),
        st.sampled_from(INJECTIONS),
        huge,
    )


def nested(depth: int) -> Any:
    """Lists and objects nested `depth` deep."""
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


@cache
def json_arguments() -> st.SearchStrategy[Any]:
    """JSON arguments: content-shaped, arbitrary, deep, and JSON text (deep text too)."""
    deep_text = st.sampled_from([100, 1_000, 20_000]).map(lambda n: '{"a":' * n + "1" + "}" * n)
    return st.one_of(
        from_schema(CARD_CONTENT),
        finite_json,
        st.sampled_from([20, 200, 600]).map(nested),
        from_schema(CARD_CONTENT).map(json.dumps),
        deep_text,
        st.sampled_from(["", "{", "NaN", "[]", "null", "1e999", "9" * 5000]),
    )


class Upload:
    """An `Upload` value: a file part of a multipart request."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def __repr__(self) -> str:
        return f"Upload({len(self.content)} bytes)"


UPLOAD_SAMPLES = [
    Upload(b""),
    Upload(b"\xff\xfe\x00"),
    Upload(b'{"regression_metrics": {"mse": 1}}'),
    Upload(b"[" * 5000 + b"]" * 5000),
    Upload(json.dumps({"metric_groups": [{"name": "x", "metric_data": []}]}).encode()),
    Upload(b"a,b\n1,2\n" * 1000),
]
uploads = st.binary(max_size=300).map(Upload) | st.sampled_from(UPLOAD_SAMPLES)
