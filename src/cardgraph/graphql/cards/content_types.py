"""Typed GraphQL mirror of card content (output side); field names match the snake_case JSON.

`CardContent` and its descriptive and model package sections live here; the training and
evaluation sections, and the value types several sections share, have modules of their own.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from cardgraph.graphql.cards.content_shared_types import ContainerImages, KeyValue
from cardgraph.graphql.cards.training_evaluation_types import EvaluationDetail, TrainingDetails


@strawberry.enum(description="Your organisation's risk rating of the model.")
class RiskRating(Enum):
    """Risk rating values; the Python values are SageMaker's spellings."""

    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"
    UNKNOWN = "Unknown"


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
