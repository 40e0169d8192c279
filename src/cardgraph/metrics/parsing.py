"""Metric files → model card metric groups (pure).

Reproduces SageMaker's SDK translations of Clarify bias and explainability reports and Model
Monitor model-quality reports, except that every metric group of a file is kept (the SDK keeps
only the first of a classification report).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from cardgraph.cards.content import validate_content
from cardgraph.errors import FieldProblem, ValidationFailedError

Group = dict[str, Any]
Metric = dict[str, Any]


class MetricFileType(StrEnum):
    """The metric file formats cardgraph reads."""

    MODEL_CARD_METRIC_SCHEMA = "MODEL_CARD_METRIC_SCHEMA"
    CLARIFY_BIAS = "CLARIFY_BIAS"
    CLARIFY_EXPLAINABILITY = "CLARIFY_EXPLAINABILITY"
    MODEL_MONITOR_MODEL_QUALITY = "MODEL_MONITOR_MODEL_QUALITY"
    REGRESSION = "REGRESSION"
    BINARY_CLASSIFICATION = "BINARY_CLASSIFICATION"
    MULTICLASS_CLASSIFICATION = "MULTICLASS_CLASSIFICATION"


# Curves in model-quality reports: (x series, y series), as SageMaker's SDK draws them.
CURVES = {
    "precision_recall_curve": ("recalls", "precisions"),
    "receiver_operating_characteristic_curve": ("false_positive_rates", "true_positive_rates"),
}
REQUIRED_GROUP = {
    MetricFileType.REGRESSION: "regression_metrics",
    MetricFileType.BINARY_CLASSIFICATION: "binary_classification_metrics",
    MetricFileType.MULTICLASS_CLASSIFICATION: "multiclass_classification_metrics",
}


def _fail(reason: str, path: str = "$") -> ValidationFailedError:
    return ValidationFailedError([FieldProblem(path, reason)])


def load_json(data: bytes) -> Any:
    """Decode a metric file (UTF-8 JSON, whatever its declared content type)."""
    if not data.strip():
        raise _fail("the file is empty")
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _fail("the file is not UTF-8 text") from None
    except ValueError as error:
        raise _fail(f"the file is not valid JSON: {error}") from None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail("expected an object", path)
    return value


def parse_metric_file(data: bytes, file_type: MetricFileType) -> list[Group]:
    """Parse a metric file into model card metric groups, or raise VALIDATION_FAILED."""
    document = load_json(data)
    parser = {
        MetricFileType.MODEL_CARD_METRIC_SCHEMA: _model_card_schema,
        MetricFileType.CLARIFY_BIAS: _clarify_bias,
        MetricFileType.CLARIFY_EXPLAINABILITY: _clarify_explainability,
    }.get(file_type)
    groups = parser(document) if parser else _model_quality(document, REQUIRED_GROUP.get(file_type))
    if not groups:
        raise _fail(f"no metrics found for {file_type.value}")
    # The groups must also be valid card content (names, caps, matrix sizes).
    validate_content({"evaluation_details": [{"name": "file", "metric_groups": groups}]})
    return groups


def _model_card_schema(document: Any) -> list[Group]:
    groups = _object(document, "$").get("metric_groups")
    if not isinstance(groups, list):
        raise _fail("expected a `metric_groups` array", "$.metric_groups")
    return groups


def _clarify_bias(document: Any) -> list[Group]:
    groups = []
    for section, report in _object(document, "$").items():
        if not section.endswith("_bias_metrics"):
            continue
        report = _object(report, f"$.{section}")
        label = f"label {report.get('label')} = {report.get('label_value_or_threshold')}"
        for facet, values in _object(report.get("facets"), f"$.{section}.facets").items():
            for value in values if isinstance(values, list) else []:
                metrics = [
                    {"name": m["name"], "type": "number", "value": m["value"]}
                    for m in value.get("metrics", [])
                    if _number(m.get("value"))
                ]
                if metrics:
                    facet_name = f"facet {facet}={value.get('value_or_threshold')}"
                    groups.append(
                        {"name": f"{section} - {label} and {facet_name}", "metric_data": metrics}
                    )
    return groups


def _clarify_explainability(document: Any) -> list[Group]:
    explanations = _object(_object(document, "$").get("explanations"), "$.explanations")
    groups: list[Group] = []
    for method, by_label in explanations.items():
        if method == "pdp" or not isinstance(by_label, dict):
            continue
        for label, result in by_label.items():
            groups.extend(_shap_groups(label, _object(result, f"$.explanations.{method}")))
    pdp = explanations.get("pdp")
    if isinstance(pdp, list) and pdp:
        groups.append(
            {
                "name": "explanations - pdp",
                "metric_data": [m for entry in pdp for m in _pdp_metrics(entry)],
            }
        )
    return groups


def _shap_groups(label: str, result: dict[str, Any]) -> Iterator[Group]:
    values = result.get("global_shap_values")
    if isinstance(values, dict):
        yield {
            "name": f"explanations - global_shap_values, label={label}",
            "metric_data": _numbers(values),
        }
    for feature, words in (result.get("global_top_shap_text") or {}).items():
        yield {
            "name": f"explanations - global_top_shap_text, label={label}, feature={feature}",
            "metric_data": _numbers(words),
        }


def _numbers(values: dict[str, Any]) -> list[Metric]:
    return [{"name": k, "type": "number", "value": v} for k, v in values.items() if _number(v)]


def _pdp_metrics(entry: dict[str, Any]) -> Iterator[Metric]:
    feature, xs = entry["feature_name"], entry["feature_values"]
    numerical = entry.get("data_type") == "numerical"

    def chart(name: str, ys: list[float], y_axis: str) -> Metric:
        if numerical:
            return {
                "name": name,
                "type": "linear_graph",
                "value": [[x, y] for x, y in zip(xs, ys, strict=True)],
                "x_axis_name": feature,
                "y_axis_name": y_axis,
            }
        return {
            "name": name,
            "type": "bar_chart",
            "value": ys,
            "x_axis_name": xs,
            "y_axis_name": y_axis,
        }

    yield chart(
        f"data_distribution - feature={feature}", entry["data_distribution"], "Data distribution"
    )
    for label, predictions in zip(
        entry.get("label_headers", []), entry.get("model_predictions", []), strict=False
    ):
        yield chart(f"model_predictions - feature={feature}, label={label}", predictions, label)


def _model_quality(document: Any, required: str | None) -> list[Group]:
    report = _object(document, "$")
    if required is not None and required not in report:
        raise _fail(f"the file has no `{required}`", f"$.{required}")
    groups = []
    for section, metrics in report.items():
        if section.endswith("_metrics") and isinstance(metrics, dict):
            groups.append(
                {"name": section, "metric_data": list(_quality_metrics(metrics, f"$.{section}"))}
            )
    return groups


def _quality_metrics(metrics: dict[str, Any], path: str) -> Iterator[Metric]:
    for name, metric in metrics.items():
        metric = _object(metric, f"{path}.{name}")
        if name in CURVES:
            x_name, y_name = CURVES[name]
            points = zip(metric.get(x_name, []), metric.get(y_name, []), strict=False)
            yield {
                "name": name,
                "type": "linear_graph",
                "value": [[x, y] for x, y in points],
                "x_axis_name": x_name,
                "y_axis_name": y_name,
            }
        elif name == "confusion_matrix":
            rows = list(metric)
            columns = list(_object(metric[rows[0]], f"{path}.{name}.{rows[0]}")) if rows else []
            yield {
                "name": name,
                "type": "matrix",
                "value": [[metric[r].get(c, 0) for c in columns] for r in rows],
                "x_axis_name": columns,
                "y_axis_name": rows,
            }
        elif _number(metric.get("value")):
            yield {"name": name, "type": "number", "value": metric["value"]}
            if _number(metric.get("standard_deviation")):
                yield {
                    "name": f"{name} - standard_deviation",
                    "type": "number",
                    "value": metric["standard_deviation"],
                }
