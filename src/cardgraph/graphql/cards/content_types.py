"""Typed GraphQL mirror of card content (output side); field names match the snake_case JSON."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry


@strawberry.enum(description="Your organisation's risk rating of the model.")
class RiskRating(Enum):
    """Risk rating values; the Python values are SageMaker's spellings."""

    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"
    UNKNOWN = "Unknown"


@strawberry.enum(description="Whether the training objective is maximised or minimised.")
class ObjectiveDirection(Enum):
    """Objective function directions."""

    MAXIMIZE = "Maximize"
    MINIMIZE = "Minimize"


@strawberry.enum(description="Status of a SageMaker model package.")
class ModelPackageStatus(Enum):
    """Model package statuses."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    DELETING = "Deleting"


@strawberry.enum(description="Approval status of a SageMaker model package.")
class ModelApprovalStatus(Enum):
    """Model package approval statuses."""

    APPROVED = "Approved"
    REJECTED = "Rejected"
    PENDING_MANUAL_APPROVAL = "PendingManualApproval"


@strawberry.enum(description="Kind of an evaluation metric and of its value.")
class MetricType(Enum):
    """Metric types: three scalar kinds and three chart kinds."""

    NUMBER = "number"
    STRING = "string"
    BOOLEAN = "boolean"
    LINEAR_GRAPH = "linear_graph"
    BAR_CHART = "bar_chart"
    MATRIX = "matrix"


@strawberry.type(description="A free-form property: key and value.")
class KeyValue:
    """One entry of a string-to-string map."""

    key: str = strawberry.field(description="Property name.")
    value: str = strawberry.field(description="Property value.")


@strawberry.type(description="Container images of an environment.")
class ContainerImages:
    """Container image URIs."""

    container_image: list[str] | None = strawberry.field(
        default=None, description="Container image URIs (at most 15)."
    )


@strawberry.type(description="Overview of the model.")
class ModelOverview:
    """`model_overview` section."""

    model_description: str | None = strawberry.field(default=None, description="Description.")
    model_owner: str | None = strawberry.field(default=None, description="Owner of the model.")
    model_creator: str | None = strawberry.field(default=None, description="Creator.")
    problem_type: str | None = strawberry.field(default=None, description="Problem solved.")
    algorithm_type: str | None = strawberry.field(default=None, description="Algorithm used.")
    model_id: str | None = strawberry.field(
        default=None, description="SageMaker model ARN or another model id."
    )
    model_artifact: list[str] | None = strawberry.field(
        default=None, description="Locations of model artifacts (at most 15)."
    )
    model_name: str | None = strawberry.field(default=None, description="Name of the model.")
    model_version: float | None = strawberry.field(
        default=None, description="Version of the model (≥ 1)."
    )
    inference_environment: ContainerImages | None = strawberry.field(
        default=None, description="Inference container images."
    )


@strawberry.type(description="Intended uses of the model and its risk.")
class IntendedUses:
    """`intended_uses` section."""

    purpose_of_model: str | None = strawberry.field(default=None, description="General purpose.")
    intended_uses: str | None = strawberry.field(default=None, description="Intended use cases.")
    factors_affecting_model_efficiency: str | None = strawberry.field(
        default=None, description="Factors affecting model efficiency."
    )
    risk_rating: RiskRating | None = strawberry.field(default=None, description="Risk rating.")
    explanations_for_risk_rating: str | None = strawberry.field(
        default=None, description="Why the model has this risk rating."
    )


@strawberry.type(description="Business context of the model.")
class BusinessDetails:
    """`business_details` section."""

    business_problem: str | None = strawberry.field(default=None, description="Problem solved.")
    business_stakeholders: str | None = strawberry.field(default=None, description="Stakeholders.")
    line_of_business: str | None = strawberry.field(default=None, description="Line of business.")


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


@strawberry.type(description="Ethics, caveats and custom properties.")
class AdditionalInformation:
    """`additional_information` section."""

    ethical_considerations: str | None = strawberry.field(
        default=None, description="Ethical considerations."
    )
    caveats_and_recommendations: str | None = strawberry.field(
        default=None, description="Caveats and recommendations."
    )
    custom_details: list[KeyValue] | None = strawberry.field(
        default=None, description="Custom properties (string to string)."
    )


@strawberry.type(description="Who created the model package.")
class ModelPackageCreator:
    """`model_package_details.created_by`."""

    user_profile_name: str | None = strawberry.field(
        default=None, description="SageMaker Studio user profile."
    )


@strawberry.type(description="An algorithm used to create the model package.")
class SourceAlgorithm:
    """One source algorithm."""

    algorithm_name: str = strawberry.field(description="Algorithm name.")
    model_data_url: str | None = strawberry.field(default=None, description="Model artifacts.")


@strawberry.type(description="An inference container of the model package.")
class InferenceContainer:
    """One inference container."""

    image: str = strawberry.field(description="ECR image path.")
    model_data_url: str | None = strawberry.field(default=None, description="Model artifacts.")
    nearest_model_name: str | None = strawberry.field(
        default=None, description="Nearest benchmarked model."
    )


@strawberry.type(description="How models of the package are run.")
class InferenceSpecification:
    """`model_package_details.inference_specification`."""

    containers: list[InferenceContainer] = strawberry.field(description="Inference containers.")


@strawberry.type(description="The model package version this card documents.")
class ModelPackageDetails:
    """`model_package_details` section."""

    model_package_description: str | None = strawberry.field(
        default=None, description="Package description."
    )
    model_package_arn: str | None = strawberry.field(default=None, description="Package ARN.")
    created_by: ModelPackageCreator | None = strawberry.field(default=None, description="Creator.")
    model_package_status: ModelPackageStatus | None = strawberry.field(
        default=None, description="Package status."
    )
    model_approval_status: ModelApprovalStatus | None = strawberry.field(
        default=None, description="Approval status."
    )
    approval_description: str | None = strawberry.field(
        default=None, description="Approval description."
    )
    model_package_group_name: str | None = strawberry.field(
        default=None, description="Package group."
    )
    model_package_name: str | None = strawberry.field(default=None, description="Package name.")
    model_package_version: float | None = strawberry.field(
        default=None, description="Package version."
    )
    domain: str | None = strawberry.field(default=None, description="Machine learning domain.")
    task: str | None = strawberry.field(default=None, description="Machine learning task.")
    source_algorithms: list[SourceAlgorithm] | None = strawberry.field(
        default=None, description="Source algorithms."
    )
    inference_specification: InferenceSpecification | None = strawberry.field(
        default=None, description="Inference specification."
    )


@strawberry.type(description="The content of a card version, section by section.")
class CardContent:
    """Typed view of SageMaker's model card content."""

    model_overview: ModelOverview | None = strawberry.field(default=None, description="Overview.")
    intended_uses: IntendedUses | None = strawberry.field(default=None, description="Uses.")
    business_details: BusinessDetails | None = strawberry.field(
        default=None, description="Business details."
    )
    training_details: TrainingDetails | None = strawberry.field(
        default=None, description="Training details."
    )
    evaluation_details: list[EvaluationDetail] | None = strawberry.field(
        default=None, description="Evaluations."
    )
    additional_information: AdditionalInformation | None = strawberry.field(
        default=None, description="Additional information."
    )
    model_package_details: ModelPackageDetails | None = strawberry.field(
        default=None, description="Model package details."
    )
