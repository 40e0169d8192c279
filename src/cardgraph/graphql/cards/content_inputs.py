"""Input mirror of card content, derived from the output types so the two never drift.

Every content output type `X` (`CardContent` and the types under it) gets an input type
`XInput` with the same fields and descriptions. Metrics are the exception: GraphQL has no
input unions, so `MetricInput` carries a `type` and the value field that type needs.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import TYPE_CHECKING, Any, Union

import strawberry
from strawberry.types.base import get_object_definition

from cardgraph.graphql.cards.content_types import CardContent
from cardgraph.graphql.cards.training_evaluation_types import MetricType


@strawberry.input(
    description="An evaluation metric. Set `type` and the one value field it needs: "
    "numberValue, stringValue or booleanValue for NUMBER/STRING/BOOLEAN, points for "
    "LINEAR_GRAPH, bars for BAR_CHART, rows for MATRIX."
)
class MetricInput:
    """One metric of any type."""

    name: str = strawberry.field(description="Metric name (1-255 characters).")
    type: MetricType = strawberry.field(description="Metric type.")
    notes: str | None = strawberry.field(default=None, description="Notes.")
    number_value: float | None = strawberry.field(default=None, description="NUMBER value.")
    string_value: str | None = strawberry.field(default=None, description="STRING value.")
    boolean_value: bool | None = strawberry.field(default=None, description="BOOLEAN value.")
    points: list[list[float]] | None = strawberry.field(
        default=None, description="LINEAR_GRAPH [x, y] points."
    )
    bars: list[float] | None = strawberry.field(default=None, description="BAR_CHART values.")
    rows: list[list[float]] | None = strawberry.field(default=None, description="MATRIX rows.")
    x_axis_name: str | None = strawberry.field(
        default=None, description="X axis label (NUMBER, STRING, BOOLEAN, LINEAR_GRAPH)."
    )
    y_axis_name: str | None = strawberry.field(
        default=None, description="Y axis label (all but MATRIX)."
    )
    x_axis_names: list[str] | None = strawberry.field(
        default=None, description="Bar or column labels (BAR_CHART, MATRIX)."
    )
    y_axis_names: list[str] | None = strawberry.field(
        default=None, description="Row labels (MATRIX)."
    )


_derived: dict[type, type] = {}


def _input_annotation(annotation: Any) -> Any:
    """Map an output annotation to its input counterpart."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = typing.get_args(annotation)
        if type(None) in members:
            inner = [m for m in members if m is not type(None)]
            return _input_annotation(inner[0]) | None
        return MetricInput  # the metric union
    if origin is list:
        return list[_input_annotation(typing.get_args(annotation)[0])]  # type: ignore[misc]
    if isinstance(annotation, type) and get_object_definition(annotation) is not None:
        return derive_input(annotation)
    return annotation


def derive_input(output_type: type) -> type:
    """Build (once) the strawberry input type mirroring a content output type."""
    if output_type in _derived:
        return _derived[output_type]
    definition = get_object_definition(output_type, strict=True)
    hints = typing.get_type_hints(output_type)
    fields = []
    for field in definition.fields:
        spec: Any = strawberry.field(description=field.description)
        if field.default is not dataclasses.MISSING:
            spec = strawberry.field(default=field.default, description=field.description)
        fields.append((field.python_name, _input_annotation(hints[field.python_name]), spec))
    namespace: dict[str, Any] = {
        "__annotations__": {name: annotation for name, annotation, _ in fields},
        "__module__": __name__,
        **{name: spec for name, _, spec in fields},
    }
    cls = type(f"{definition.name}Input", (), namespace)
    derived = strawberry.input(
        cls, description=f"Input form of {definition.name}: {definition.description}"
    )
    _derived[output_type] = derived
    return derived


if TYPE_CHECKING:

    class CardContentInput:
        """Opaque to the type checker; built at import time from `CardContent`."""

else:
    CardContentInput = derive_input(CardContent)
