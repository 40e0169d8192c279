"""Metric file parsers against SageMaker's reference translations (pure)."""

from __future__ import annotations

import json

import pytest

from cardgraph.errors import ValidationFailedError
from cardgraph.metrics.parsing import MetricFileType, parse_metric_file
from tests.support.paths import METRIC_EXAMPLES

EXAMPLES = METRIC_EXAMPLES

CASES = [
    ("clarify_bias.json", "translated_clarify_bias.json", MetricFileType.CLARIFY_BIAS),
    (
        "clarify_explanability.json",
        "translated_clarify_explanation.json",
        MetricFileType.CLARIFY_EXPLAINABILITY,
    ),
    (
        "model_monitor_model_quality_binary_classification.json",
        "translated_model_monitor_model_quality_binary_classification.json",
        MetricFileType.BINARY_CLASSIFICATION,
    ),
    (
        "model_monitor_model_quality_binary_classification.json",
        "translated_model_monitor_model_quality_binary_classification.json",
        MetricFileType.MODEL_MONITOR_MODEL_QUALITY,
    ),
    (
        "model_monitor_model_quality_regression.json",
        "translated_model_monitor_model_quality_regression.json",
        MetricFileType.REGRESSION,
    ),
    (
        "model_monitor_model_quality_regression.json",
        "translated_model_monitor_model_quality_regression.json",
        MetricFileType.MODEL_MONITOR_MODEL_QUALITY,
    ),
    (
        "translated_clarify_bias.json",
        "translated_clarify_bias.json",
        MetricFileType.MODEL_CARD_METRIC_SCHEMA,
    ),
]


@pytest.mark.parametrize(
    ("raw", "expected", "file_type"), CASES, ids=[f"{c[2].value}:{c[0]}" for c in CASES]
)
def test_reproduces_the_reference_translation(
    raw: str, expected: str, file_type: MetricFileType
) -> None:
    groups = parse_metric_file((EXAMPLES / raw).read_bytes(), file_type)
    assert groups == json.loads((EXAMPLES / expected).read_text())["metric_groups"]


def test_classification_reports_keep_every_group() -> None:
    report = json.loads(
        (EXAMPLES / "model_monitor_model_quality_binary_classification.json").read_text()
    )
    report["multiclass_classification_metrics"] = {"accuracy": {"value": 0.7}}
    groups = parse_metric_file(json.dumps(report).encode(), MetricFileType.BINARY_CLASSIFICATION)
    assert [g["name"] for g in groups] == [
        "binary_classification_metrics",
        "multiclass_classification_metrics",
    ]


def test_nan_deviations_are_skipped() -> None:
    data = json.dumps(
        {
            "regression_metrics": {
                "mae": {"value": 1.5, "standard_deviation": "NaN"},
                "r2": {"value": 0.2, "standard_deviation": 0.01},
            }
        }
    )
    groups = parse_metric_file(data.encode(), MetricFileType.REGRESSION)
    assert [m["name"] for m in groups[0]["metric_data"]] == ["mae", "r2", "r2 - standard_deviation"]


@pytest.mark.parametrize(
    ("data", "file_type", "path", "reason"),
    [
        (b"", MetricFileType.REGRESSION, "$", "empty"),
        (b"   \n", MetricFileType.CLARIFY_BIAS, "$", "empty"),
        (b"{not json", MetricFileType.REGRESSION, "$", "not valid JSON"),
        (b"\xff\xfe{}", MetricFileType.REGRESSION, "$", "not UTF-8"),
        (b"[1, 2]", MetricFileType.REGRESSION, "$", "expected an object"),
        (
            (EXAMPLES / "clarify_bias.json").read_bytes(),
            MetricFileType.REGRESSION,
            "$.regression_metrics",
            "no `regression_metrics`",
        ),
        (b'{"version": 1}', MetricFileType.CLARIFY_BIAS, "$", "no metrics found"),
        (
            b'{"metric_groups": 3}',
            MetricFileType.MODEL_CARD_METRIC_SCHEMA,
            "$.metric_groups",
            "metric_groups",
        ),
        (
            json.dumps(
                {
                    "binary_classification_metrics": {
                        "confusion_matrix": {
                            str(r): {str(c): 1 for c in range(21)} for r in range(2)
                        }
                    }
                }
            ).encode(),
            MetricFileType.BINARY_CLASSIFICATION,
            "$.evaluation_details[0].metric_groups[0].metric_data[0].value[0]",
            "at most 20",
        ),
    ],
)
def test_bad_files_fail_with_the_problem_named(
    data: bytes, file_type: MetricFileType, path: str, reason: str
) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        parse_metric_file(data, file_type)
    problem = caught.value.fields[0]
    assert problem.path == path
    assert reason in problem.reason
