"""RFC 8785 (JCS): the content hash the API returns is recomputed by two independent JCS
implementations — npm's `canonicalize` and the Python one by the RFC's author — from the
content the API returns, for content where the rules matter (numbers, key order, escapes)."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
from typing import Any

import jcs
import pytest
import rfc8785

from cardgraph.hashing import canonical_json, plain_json
from tests.support.cards_api import CREATE, create_card
from tests.support.node_clients import NodeProject
from tests.support.servers import GraphQLClient

# Values where sorted-keys JSON and RFC 8785 part: numbers (ES6 formatting), keys outside the
# BMP against keys in U+E000-U+FFFF (UTF-16 order), control characters, U+2028, U+007F.
TRICKY = {
    "additional_information": {
        "custom_details": {
            "\ue000": "private use",
            "\U0001f600": "emoji",
            "tab\tnew\nline": 'quote " backslash \\ \u0001 \u001f \u007f \u2028 é',
            "b": "second",
            "a": "first",
        }
    },
    "evaluation_details": [
        {
            "name": "numbers",
            "metric_groups": [
                {
                    "name": "g",
                    "metric_data": [
                        {"name": name, "type": "number", "value": value}
                        for name, value in [
                            ("tiny", 1e-7),
                            ("huge", 1e16),
                            ("bigger", 1e21),
                            ("sum", 0.1 + 0.2),
                            ("negative-zero", -0.0),
                            ("integral-float", 4.0),
                            ("max-safe", 2**53 - 1),
                            ("min", 5e-324),
                            ("max", 1.7976931348623157e308),
                        ]
                    ],
                }
            ],
        }
    ],
}


def _node_canonical(node_project: NodeProject, values: list[Any]) -> list[dict[str, str]]:
    lines = "".join(json.dumps(value) + "\n" for value in values)
    done = subprocess.run(
        [node_project.node, "canonical.mjs"],
        cwd=node_project.directory,
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # Lines end at \n only: the output holds U+2028, which str.splitlines() splits at.
    return [json.loads(line) for line in done.stdout.split("\n") if line]


def test_three_implementations_agree_on_tricky_values(node_project: NodeProject) -> None:
    values: list[Any] = [TRICKY, [1e-7, 1e21, 1e20, 123456789.0, -1.5e-10], {"": {"": []}}]
    ours = [canonical_json(value) for value in values]
    node = _node_canonical(node_project, values)
    assert ours == [line["text"] for line in node]
    assert ours == [jcs.canonicalize(value).decode() for value in values]
    assert ours == [rfc8785.dumps(value).decode() for value in values]
    # What a sorted-keys encoder would have hashed instead (the rules really differ here).
    assert ours[0] != json.dumps(TRICKY, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_the_api_content_hash_is_recomputed_by_independent_implementations(
    editor: GraphQLClient, node_project: NodeProject, card_name: str
) -> None:
    version = create_card(editor, card_name, TRICKY)
    returned = version["contentJson"]
    (node,) = _node_canonical(node_project, [returned])
    assert version["contentSha256"] == node["sha256"]
    assert version["contentSha256"] == hashlib.sha256(jcs.canonicalize(returned)).hexdigest()


@pytest.mark.parametrize(
    ("value", "message"),
    [(2**60, "must be an integer of magnitude below 2^53"), ("\ud800", "lone surrogate")],
)
def test_values_rfc_8785_cannot_hash_are_refused_at_their_path(
    editor: GraphQLClient, card_name: str, value: Any, message: str
) -> None:
    metric = {"name": "m", "type": "number" if isinstance(value, int) else "string", "value": value}
    content = {
        "evaluation_details": [
            {"name": "e", "metric_groups": [{"name": "g", "metric_data": [metric]}]}
        ]
    }
    # As JSON text with escapes: a lone surrogate cannot be UTF-8, so it travels as \ud800.
    body = json.dumps(
        {"query": CREATE, "variables": {"input": {"name": card_name, "contentJson": content}}}
    )
    response = editor.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    (field,) = error["extensions"]["fields"]
    assert field["path"] == "$.evaluation_details[0].metric_groups[0].metric_data[0].value"
    assert message in field["reason"]


def _random_plain(rng: random.Random, depth: int = 0) -> Any:
    """A random value of the kinds the fast path takes: strings of any code point but lone
    surrogates, booleans, null, integers below 2^53, ASCII keys."""
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return "".join(_random_char(rng) for _ in range(rng.randrange(12)))
    if kind == 1:
        return rng.choice([True, False, None])
    if kind == 2:
        return rng.randrange(-(2**53) + 1, 2**53)
    if kind == 3:
        return rng.randrange(-1000, 1000)
    if kind == 4:
        return [_random_plain(rng, depth + 1) for _ in range(rng.randrange(5))]
    keys = ["".join(chr(rng.randrange(0, 128)) for _ in range(rng.randrange(6))) for _ in range(5)]
    return {key: _random_plain(rng, depth + 1) for key in keys}


def _random_char(rng: random.Random) -> str:
    while True:
        code = rng.choice(
            [rng.randrange(0, 0x80), rng.randrange(0x80, 0x10000), rng.randrange(0x10000, 0x110000)]
        )
        if not 0xD800 <= code <= 0xDFFF:
            return chr(code)


def test_the_fast_path_is_rfc_8785_on_random_plain_values() -> None:
    """Sorted-key JSON stands in for RFC 8785 where the two agree; here they are compared on
    5,000 random values (a fixed seed, so a failure repeats)."""
    rng = random.Random(8785)
    for _ in range(5000):
        value = _random_plain(rng)
        assert plain_json(value)
        assert canonical_json(value) == rfc8785.dumps(value).decode(), value


@pytest.mark.parametrize("value", [1.5, {"é": 1}, {"a": [2**53]}, ("tuple",), {"a": {"b": 0.1}}])
def test_values_outside_the_fast_path_go_to_rfc_8785(value: Any) -> None:
    assert not plain_json(value)
