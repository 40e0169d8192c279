"""Conversion between SageMaker's snake_case content JSON and the typed GraphQL mirror."""

from __future__ import annotations

import dataclasses
import types
import typing
from enum import Enum
from functools import cache
from typing import Any, Union

from strawberry.types.base import get_object_definition

from cardgraph.errors import FieldProblem, ValidationFailedError
from cardgraph.graphql.cards.content_inputs import MetricInput
from cardgraph.graphql.cards.content_shared_types import KeyValue
from cardgraph.graphql.cards.content_types import CardContent
from cardgraph.graphql.cards.training_evaluation_types import (
    BarChartMetric,
    LinearGraphMetric,
    MatrixMetric,
    MetricType,
    SimpleMetric,
)

# Content fields that are free-form string maps; GraphQL carries them as key/value lists.
MAP_FIELDS = frozenset({"metadata", "custom_details"})

_VALUE_FIELD = {
    MetricType.NUMBER: "number_value",
    MetricType.STRING: "string_value",
    MetricType.BOOLEAN: "boolean_value",
    MetricType.LINEAR_GRAPH: "points",
    MetricType.BAR_CHART: "bars",
    MetricType.MATRIX: "rows",
}
_SIMPLE = (MetricType.NUMBER, MetricType.STRING, MetricType.BOOLEAN)
_LABEL_AXES = (MetricType.BAR_CHART, MetricType.MATRIX)


def content_from_input(value: Any) -> dict[str, Any]:
    """Turn a `CardContentInput` into content JSON; shape problems raise VALIDATION_FAILED."""
    problems: list[FieldProblem] = []
    content = _to_json(value, "$", problems)
    if problems:
        raise ValidationFailedError(problems)
    assert isinstance(content, dict)
    return content


def _to_json(value: Any, path: str, problems: list[FieldProblem]) -> Any:
    if isinstance(value, MetricInput):
        return _metric_to_json(value, path, problems)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_to_json(item, f"{path}[{i}]", problems) for i, item in enumerate(value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        result: dict[str, Any] = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if item is None:
                continue
            child = f"{path}.{field.name}"
            if field.name in MAP_FIELDS:
                result[field.name] = _map_to_json(item, child, problems)
            else:
                result[field.name] = _to_json(item, child, problems)
        return result
    return value


def _map_to_json(entries: list[Any], path: str, problems: list[FieldProblem]) -> dict[str, str]:
    result: dict[str, str] = {}
    for entry in entries:
        if entry.key in result:
            problems.append(FieldProblem(f"{path}[{entry.key!r}]", "duplicate key"))
        result[entry.key] = entry.value
    return result


def _metric_to_json(metric: MetricInput, path: str, problems: list[FieldProblem]) -> Any:
    kind = metric.type
    value_field = _VALUE_FIELD[kind]
    result: dict[str, Any] = {"name": metric.name, "type": kind.value}
    if metric.notes is not None:
        result["notes"] = metric.notes
    for other in _VALUE_FIELD.values():
        if other != value_field and getattr(metric, other) is not None:
            problems.append(
                FieldProblem(
                    f"{path}.value",
                    f"{kind.name} metrics take `{_camel(value_field)}`, not `{_camel(other)}`",
                )
            )
    value = getattr(metric, value_field)
    if value is None:
        problems.append(
            FieldProblem(f"{path}.value", f"{kind.name} metrics need `{_camel(value_field)}`")
        )
    else:
        result["value"] = value
    x_field = "x_axis_names" if kind in _LABEL_AXES else "x_axis_name"
    y_field = "y_axis_names" if kind is MetricType.MATRIX else "y_axis_name"
    for axis, wanted in (("x", x_field), ("y", y_field)):
        for candidate in (f"{axis}_axis_name", f"{axis}_axis_names"):
            given = getattr(metric, candidate)
            if given is None:
                continue
            if candidate != wanted:
                problems.append(
                    FieldProblem(
                        f"{path}.{axis}_axis_name",
                        f"{kind.name} metrics take `{_camel(wanted)}`, not `{_camel(candidate)}`",
                    )
                )
            else:
                result[f"{axis}_axis_name"] = given
    return result


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def content_to_output(content: dict[str, Any]) -> CardContent:
    """Build the typed `CardContent` view of stored content JSON."""
    built: CardContent = _build(CardContent, content)
    return built


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(cls: type, data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    return cls(**{name: _from_json(hints[name], value) for name, value in data.items()})


def _from_json(annotation: Any, value: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [m for m in typing.get_args(annotation) if m is not type(None)]
        if len(members) == 1:
            return _from_json(members[0], value)
        return _metric_from_json(value)
    if origin is list:
        if isinstance(value, dict):
            return [KeyValue(key=k, value=v) for k, v in value.items()]
        item_type = typing.get_args(annotation)[0]
        return [_from_json(item_type, item) for item in value]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation(value)
    if isinstance(annotation, type) and get_object_definition(annotation) is not None:
        return _build(annotation, value)
    return value


def _metric_from_json(data: dict[str, Any]) -> Any:
    kind = MetricType(data["type"])
    common = {"name": data["name"], "notes": data.get("notes")}
    value = data["value"]
    if kind in _SIMPLE:
        return SimpleMetric(
            **common,
            type=kind,
            number_value=value if kind is MetricType.NUMBER else None,
            string_value=value if kind is MetricType.STRING else None,
            boolean_value=value if kind is MetricType.BOOLEAN else None,
            x_axis_name=data.get("x_axis_name"),
            y_axis_name=data.get("y_axis_name"),
        )
    if kind is MetricType.LINEAR_GRAPH:
        return LinearGraphMetric(
            **common,
            points=value,
            x_axis_name=data.get("x_axis_name"),
            y_axis_name=data.get("y_axis_name"),
        )
    if kind is MetricType.BAR_CHART:
        return BarChartMetric(
            **common,
            bars=value,
            x_axis_names=data.get("x_axis_name"),
            y_axis_name=data.get("y_axis_name"),
        )
    return MatrixMetric(
        **common,
        rows=value,
        x_axis_names=data.get("x_axis_name"),
        y_axis_names=data.get("y_axis_name"),
    )
