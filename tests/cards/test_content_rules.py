"""Card content rules (pure): the union of both official schema copies, AWS's limits, all errors."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from cardgraph.cards.content import parse_content_json, validate_content
from cardgraph.cards.sagemaker_schema import CARD_CONTENT, Arr, Map, Obj, Tagged
from cardgraph.errors import ValidationFailedError
from cardgraph.hashing import canonical_json
from tests.support.factories import full_card
from tests.support.paths import REFERENCE

# A copy of ../shared/reference (SageMaker's schemas and metric files): a clone runs alone.
FULL_CARD: dict[str, Any] = full_card()


def _reference_paths(
    node: dict[str, Any], definitions: dict[str, Any], prefix: str
) -> Iterator[str]:
    """Every property path an official schema copy declares."""
    if "$ref" in node:
        node = definitions[node["$ref"].rsplit("/", 1)[-1]]
    if node.get("type") == "array" or "items" in node:
        yield from _reference_paths(node.get("items", {}), definitions, prefix + "[]")
        return
    for any_of in node.get("anyOf", []):
        yield from _reference_paths(any_of, definitions, prefix)
    for key, child in node.get("properties", {}).items():
        yield f"{prefix}.{key}"
        yield from _reference_paths(child, definitions, f"{prefix}.{key}")


def _our_paths(node: Any, prefix: str) -> Iterator[str]:
    if isinstance(node, Arr):
        yield from _our_paths(node.item, prefix + "[]")
    elif isinstance(node, Tagged):
        for variant in node.variants.values():
            yield from _our_paths(variant, prefix)
    elif isinstance(node, Obj):
        for key, child in node.fields.items():
            yield f"{prefix}.{key}"
            yield from _our_paths(child, f"{prefix}.{key}")
    elif isinstance(node, Map):
        yield from _our_paths(node.value, prefix + "{}")


@pytest.mark.parametrize(
    "copy_name", ["model_card_schema.docs-v0.1.0.json", "model_card_schema.sdk.json"]
)
def test_every_field_of_both_official_copies_is_accepted(copy_name: str) -> None:
    schema = json.loads((REFERENCE / copy_name).read_text())
    declared = set(_reference_paths(schema, schema["definitions"], "$"))
    # objective_function is written without "properties" in both copies; its intended shape
    # (function {function, facet, condition}, notes) is checked by the full-card test instead.
    declared = {p for p in declared if "objective_function" not in p}
    missing = declared - set(_our_paths(CARD_CONTENT, "$"))
    assert not missing


def test_full_card_with_every_section_is_valid_and_lossless() -> None:
    assert validate_content(copy.deepcopy(FULL_CARD)) == FULL_CARD
    for section in ("business_details", "model_package_details", "model_overview"):
        assert section in FULL_CARD


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": {"é": [1, 2]}}) == '{"a":{"é":[1,2]},"b":1}'


def test_unanchored_name_patterns_bound_only_the_minimum() -> None:
    # SageMaker's SDK itself writes metric group names longer than 63 characters.
    long_name = "post_training_bias_metrics - label Target = 1 and facet Gender=0"
    content = {
        "evaluation_details": [
            {
                "name": "e" * 80,
                "metric_groups": [
                    {
                        "name": long_name,
                        "metric_data": [{"name": "m" * 300, "type": "number", "value": 1}],
                    }
                ],
            }
        ]
    }
    assert validate_content(content) == content


def test_integral_floats_normalise_to_ints() -> None:
    assert validate_content({"model_overview": {"model_version": 2.0}}) == {
        "model_overview": {"model_version": 2}
    }


def _set(path: list[Any], value: Any) -> dict[str, Any]:
    content = copy.deepcopy(FULL_CARD)
    target: Any = content
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return content


EVAL = ["evaluation_details", 0]
METRICS = [*EVAL, "metric_groups", 0, "metric_data"]
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown section", {"surprise": {}}, "$.surprise", "unknown field"),
    (
        "unknown nested key",
        _set(["model_overview", "colour"], "red"),
        "$.model_overview.colour",
        "unknown field",
    ),
    (
        "unknown metric key",
        _set([*METRICS, 0, "unit"], "%"),
        "$.evaluation_details[0].metric_groups[0].metric_data[0].unit",
        "unknown field",
    ),
    (
        "string too long",
        _set(["model_overview", "model_description"], "x" * 1025),
        "$.model_overview.model_description",
        "at most 1024",
    ),
    (
        "risk rating enum",
        _set(["intended_uses", "risk_rating"], "Severe"),
        "$.intended_uses.risk_rating",
        "one of High, Medium, Low, Unknown",
    ),
    (
        "wrong type",
        _set(["intended_uses", "intended_uses"], 5),
        "$.intended_uses.intended_uses",
        "must be a string, not number",
    ),
    (
        "null is not a string",
        _set(["business_details", "line_of_business"], None),
        "$.business_details.line_of_business",
        "not null",
    ),
    (
        "16 artifacts",
        _set(["model_overview", "model_artifact"], ["s3://a"] * 16),
        "$.model_overview.model_artifact",
        "at most 15",
    ),
    (
        "16 images",
        _set(["model_overview", "inference_environment", "container_image"], ["i"] * 16),
        "$.model_overview.inference_environment.container_image",
        "at most 15",
    ),
    (
        "51 training metrics",
        _set(
            ["training_details", "training_job_details", "training_metrics"],
            [{"name": "m", "value": 1}] * 51,
        ),
        "$.training_details.training_job_details.training_metrics",
        "at most 50",
    ),
    (
        "101 hyper-parameters",
        _set(
            ["training_details", "training_job_details", "hyper_parameters"], [{"name": "h"}] * 101
        ),
        "$.training_details.training_job_details.hyper_parameters",
        "at most 100",
    ),
    (
        "11 evaluation datasets",
        _set([*EVAL, "datasets"], ["s3://d"] * 11),
        "$.evaluation_details[0].datasets",
        "at most 10",
    ),
    (
        "21 matrix rows",
        _set([*METRICS, 5, "value"], [[1]] * 21),
        "$.evaluation_details[0].metric_groups[0].metric_data[5].value",
        "at most 20",
    ),
    (
        "21 matrix columns",
        _set([*METRICS, 5, "value"], [[1] * 21]),
        "$.evaluation_details[0].metric_groups[0].metric_data[5].value[0]",
        "at most 20",
    ),
    (
        "graph point with 3 numbers",
        _set([*METRICS, 3, "value"], [[1, 2, 3]]),
        "$.evaluation_details[0].metric_groups[0].metric_data[3].value[0]",
        "at most 2",
    ),
    (
        "metric type unknown",
        _set([*METRICS, 0, "type"], "histogram"),
        "$.evaluation_details[0].metric_groups[0].metric_data[0].type",
        "must be one of",
    ),
    (
        "number metric with text",
        _set([*METRICS, 0, "value"], "high"),
        "$.evaluation_details[0].metric_groups[0].metric_data[0].value",
        "must be a number",
    ),
    (
        "string metric over 63",
        _set([*METRICS, 1, "value"], "x" * 64),
        "$.evaluation_details[0].metric_groups[0].metric_data[1].value",
        "at most 63",
    ),
    (
        "boolean metric with number",
        _set([*METRICS, 2, "value"], 1),
        "$.evaluation_details[0].metric_groups[0].metric_data[2].value",
        "must be a boolean",
    ),
    (
        "evaluation name missing",
        {"evaluation_details": [{"datasets": []}]},
        "$.evaluation_details[0].name",
        "required",
    ),
    (
        "empty evaluation name",
        _set([*EVAL, "name"], ""),
        "$.evaluation_details[0].name",
        "at least 1",
    ),
    (
        "empty metric name",
        _set([*METRICS, 0, "name"], ""),
        "$.evaluation_details[0].metric_groups[0].metric_data[0].name",
        "at least 1",
    ),
    (
        "custom property too long",
        _set(["additional_information", "custom_details", "team"], "t" * 1025),
        '$.additional_information.custom_details["team"]',
        "at most 1024",
    ),
    (
        "custom property not a string",
        _set(["additional_information", "custom_details", "n"], 3),
        '$.additional_information.custom_details["n"]',
        "must be a string",
    ),
    (
        "model version below 1",
        _set(["model_overview", "model_version"], 0),
        "$.model_overview.model_version",
        "at least 1",
    ),
    (
        "approval status enum",
        _set(["model_package_details", "model_approval_status"], "Ok"),
        "$.model_package_details.model_approval_status",
        "must be one of",
    ),
    (
        "two source algorithms",
        _set(["model_package_details", "source_algorithms"], [{"algorithm_name": "a"}] * 2),
        "$.model_package_details.source_algorithms",
        "at most 1",
    ),
    (
        "container without image",
        _set(["model_package_details", "inference_specification", "containers"], [{}]),
        "$.model_package_details.inference_specification.containers[0].image",
        "required",
    ),
    (
        "objective direction enum",
        _set(["training_details", "objective_function", "function", "function"], "Up"),
        "$.training_details.objective_function.function.function",
        "Maximize, Minimize",
    ),
    (
        "section not an object",
        {"intended_uses": ["High"]},
        "$.intended_uses",
        "must be an object, not array",
    ),
    (
        "NaN",
        _set([*METRICS, 0, "value"], float("nan")),
        "$.evaluation_details[0].metric_groups[0].metric_data[0].value",
        "finite",
    ),
    (
        "over 100,000 characters",
        {"additional_information": {"custom_details": {f"k{i}": "v" * 1000 for i in range(100)}}},
        "$",
        "at most 100000",
    ),
]


@pytest.mark.parametrize(
    ("content", "path", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_invalid_content_names_the_path(content: dict[str, Any], path: str, reason: str) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        validate_content(content)
    problems = {p.path: p.reason for p in caught.value.fields}
    assert path in problems, problems
    assert reason in problems[path]


def test_every_problem_is_reported_at_once() -> None:
    content = {
        "surprise": 1,
        "intended_uses": {"risk_rating": "Severe", "purpose_of_model": "x" * 3000},
        "model_overview": {"model_artifact": ["a"] * 16, "model_version": "one"},
    }
    with pytest.raises(ValidationFailedError) as caught:
        validate_content(content)
    assert {p.path for p in caught.value.fields} == {
        "$.surprise",
        "$.intended_uses.risk_rating",
        "$.intended_uses.purpose_of_model",
        "$.model_overview.model_artifact",
        "$.model_overview.model_version",
    }


@pytest.mark.parametrize("text", ["{", "[1]", '"card"', '{"a": NaN}', '{"a": Infinity}'])
def test_content_json_text_must_be_a_json_object(text: str) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        parse_content_json(text)
    assert caught.value.fields[0].path == "$"
