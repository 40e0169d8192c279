"""GraphQL output types of the training and evaluation sections of card content."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from cardgraph.graphql.cards.content_shared_types import ContainerImages, KeyValue


@strawberry.enum(description="Whether the training objective is maximised or minimised.")
class ObjectiveDirection(Enum):
    """Objective function directions."""

    MAXIMIZE = "Maximize"
    MINIMIZE = "Minimize"


@strawberry.enum(description="Kind of an evaluation metric and of its value.")
class MetricType(Enum):
    """Metric types: three scalar kinds and three chart kinds."""

    NUMBER = "number"
    STRING = "string"
    BOOLEAN = "boolean"
    LINEAR_GRAPH = "linear_graph"
    BAR_CHART = "bar_chart"
    MATRIX = "matrix"


@strawberry.type(description="The function a training job optimises.")
class ObjectiveFunctionDetail:
    """Direction, facet and condition of the objective."""

    function: ObjectiveDirection | None = strawberry.field(default=None, description="Direction.")
    facet: str | None = strawberry.field(default=None, description="Metric optimised.")
    condition: str | None = strawberry.field(default=None, description="Condition on it.")


@strawberry.type(description="Objective function of training, with notes.")
class ObjectiveFunction:
    """`training_details.objective_function`."""

    function: ObjectiveFunctionDetail | None = strawberry.field(
        default=None, description="The objective itself."
    )
    notes: str | None = strawberry.field(default=None, description="Notes.")


@strawberry.type(description="A training metric and its final value.")
class TrainingMetric:
    """One training metric."""

    name: str = strawberry.field(description="Metric name.")
    value: float = strawberry.field(description="Metric value.")
    notes: str | None = strawberry.field(default=None, description="Notes.")


@strawberry.type(description="A training hyper-parameter.")
class HyperParameter:
    """One hyper-parameter."""

    name: str = strawberry.field(description="Hyper-parameter name.")
    value: str | None = strawberry.field(default=None, description="Its value, as text.")


@strawberry.type(description="The training job behind the model.")
class TrainingJobDetails:
    """`training_details.training_job_details`."""

    training_arn: str | None = strawberry.field(default=None, description="Training job ARN.")
    training_datasets: list[str] | None = strawberry.field(
        default=None, description="Training dataset locations (at most 15)."
    )
    training_environment: ContainerImages | None = strawberry.field(
        default=None, description="Training container images."
    )
    training_metrics: list[TrainingMetric] | None = strawberry.field(
        default=None, description="Metrics reported by the training job (at most 50)."
    )
    user_provided_training_metrics: list[TrainingMetric] | None = strawberry.field(
        default=None, description="Metrics added by hand (at most 50)."
    )
    hyper_parameters: list[HyperParameter] | None = strawberry.field(
        default=None, description="Hyper-parameters of the training job (at most 100)."
    )
    user_provided_hyper_parameters: list[HyperParameter] | None = strawberry.field(
        default=None, description="Hyper-parameters added by hand (at most 100)."
    )


@strawberry.type(description="How the model was trained.")
class TrainingDetails:
    """`training_details` section."""

    objective_function: ObjectiveFunction | None = strawberry.field(
        default=None, description="Objective function."
    )
    training_observations: str | None = strawberry.field(default=None, description="Observations.")
    training_job_details: TrainingJobDetails | None = strawberry.field(
        default=None, description="Training job details."
    )


@strawberry.type(description="A single-valued metric: a number, a string or a boolean.")
class SimpleMetric:
    """Metric of type number, string or boolean; exactly one value field is set."""

    name: str = strawberry.field(description="Metric name.")
    type: MetricType = strawberry.field(description="NUMBER, STRING or BOOLEAN.")
    notes: str | None = strawberry.field(default=None, description="Notes.")
    number_value: float | None = strawberry.field(default=None, description="Value of a NUMBER.")
    string_value: str | None = strawberry.field(default=None, description="Value of a STRING.")
    boolean_value: bool | None = strawberry.field(default=None, description="Value of a BOOLEAN.")
    x_axis_name: str | None = strawberry.field(default=None, description="X axis label.")
    y_axis_name: str | None = strawberry.field(default=None, description="Y axis label.")


@strawberry.type(description="A line graph: a series of (x, y) points.")
class LinearGraphMetric:
    """Metric of type linear_graph."""

    name: str = strawberry.field(description="Metric name.")
    notes: str | None = strawberry.field(default=None, description="Notes.")
    points: list[list[float]] = strawberry.field(description="The [x, y] points.")
    x_axis_name: str | None = strawberry.field(default=None, description="X axis label.")
    y_axis_name: str | None = strawberry.field(default=None, description="Y axis label.")


@strawberry.type(description="A bar chart: one value per bar.")
class BarChartMetric:
    """Metric of type bar_chart."""

    name: str = strawberry.field(description="Metric name.")
    notes: str | None = strawberry.field(default=None, description="Notes.")
    bars: list[float] = strawberry.field(description="Bar heights.")
    x_axis_names: list[str] | None = strawberry.field(default=None, description="Bar labels.")
    y_axis_name: str | None = strawberry.field(default=None, description="Y axis label.")


@strawberry.type(description="A matrix (for example a confusion matrix), at most 20 by 20.")
class MatrixMetric:
    """Metric of type matrix."""

    name: str = strawberry.field(description="Metric name.")
    notes: str | None = strawberry.field(default=None, description="Notes.")
    rows: list[list[float]] = strawberry.field(description="Matrix rows.")
    x_axis_names: list[str] | None = strawberry.field(default=None, description="Column labels.")
    y_axis_names: list[str] | None = strawberry.field(default=None, description="Row labels.")


Metric = Annotated[
    SimpleMetric | LinearGraphMetric | BarChartMetric | MatrixMetric,
    strawberry.union("Metric", description="An evaluation metric of any type."),
]


@strawberry.type(description="A named group of evaluation metrics.")
class MetricGroup:
    """One metric group."""

    name: str = strawberry.field(description="Group name.")
    metric_data: list[Metric] = strawberry.field(description="Metrics of the group.")


@strawberry.type(description="One evaluation of the model.")
class EvaluationDetail:
    """One `evaluation_details` entry."""

    name: str = strawberry.field(description="Evaluation name (1-63 characters).")
    evaluation_observation: str | None = strawberry.field(default=None, description="Observations.")
    evaluation_job_arn: str | None = strawberry.field(
        default=None, description="Evaluation job ARN."
    )
    datasets: list[str] | None = strawberry.field(
        default=None, description="Evaluation dataset locations (at most 10)."
    )
    metadata: list[KeyValue] | None = strawberry.field(
        default=None, description="Additional attributes of the evaluation."
    )
    metric_groups: list[MetricGroup] | None = strawberry.field(
        default=None, description="Metric groups."
    )
