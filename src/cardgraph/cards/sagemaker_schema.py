"""The fixed model card structure (SageMaker schema 0.1.0), as data the validator walks.

Both official copies of the schema are merged: a field is accepted when either copy declares it,
and where both declare a limit the looser one applies (content valid under either copy is valid
here). `model_package_details` follows AWS's documented model card schema. Item caps written as
`maxContains` (15 artifacts, images, datasets) and misplaced `maxItems` (50 metrics, 100
hyper-parameters) are enforced as plain item caps, as SageMaker does. Names that the schema
constrains with an unanchored `pattern` (`.{1,63}`, `.{1,255}`, `.{0,255}`) are bound by that
pattern to nothing but a minimum length — SageMaker's own SDK writes longer metric group names —
so only the minimum is enforced here (the 100,000-character total bounds the rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_CONTENT_CHARS = 100_000

RISK_RATINGS = ("High", "Medium", "Low", "Unknown")
SIMPLE_METRIC_TYPES = ("number", "string", "boolean")


@dataclass(frozen=True, slots=True)
class Str:
    """A string with length bounds and an optional set of allowed values."""

    max_len: int | None = None
    min_len: int = 0
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Num:
    """A finite JSON number (never a boolean) with an optional lower bound."""

    minimum: float | None = None


@dataclass(frozen=True, slots=True)
class Bool:
    """A JSON boolean."""


@dataclass(frozen=True, slots=True)
class Arr:
    """A JSON array of `item`, with item-count bounds."""

    item: Node
    max_items: int | None = None
    min_items: int = 0


@dataclass(frozen=True, slots=True)
class Map:
    """A JSON object with free-form keys (custom properties) and typed values."""

    value: Node
    max_key_len: int = 1024


@dataclass(frozen=True, slots=True)
class Obj:
    """A JSON object with a fixed set of keys: unknown keys are rejected."""

    fields: dict[str, Node]
    required: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tagged:
    """An object whose shape is chosen by the value of its `tag` key (metric types)."""

    tag: str
    variants: dict[str, Obj] = field(default_factory=dict)


Node = Str | Num | Bool | Arr | Map | Obj | Tagged

S63 = Str(max_len=63)
# A field constrained only by an unanchored `pattern: ".{1,N}"`: at least one character.
NAME = Str(min_len=1)
S1024 = Str(max_len=1024)
S2048 = Str(max_len=2048)
URIS_15 = Arr(S1024, max_items=15)

TRAINING_METRIC = Obj(
    {"name": NAME, "notes": S1024, "value": Num()},
    required=("name", "value"),
)
HYPER_PARAMETER = Obj({"name": NAME, "value": Str()}, required=("name",))


def _metric(value: Node, x_axis: Node, y_axis: Node, type_enum: tuple[str, ...]) -> Obj:
    return Obj(
        {
            "name": NAME,
            "notes": S1024,
            "type": Str(enum=type_enum),
            "value": value,
            "x_axis_name": x_axis,
            "y_axis_name": y_axis,
        },
        required=("name", "type", "value"),
    )


AXIS_NAMES = Arr(S63)
NUMBER_ROW_20 = Arr(Num(), min_items=1, max_items=20)
SIMPLE_VALUES: dict[str, Node] = {"number": Num(), "string": S63, "boolean": Bool()}

METRIC = Tagged(
    tag="type",
    variants={
        **{kind: _metric(value, S63, S63, (kind,)) for kind, value in SIMPLE_VALUES.items()},
        "linear_graph": _metric(
            Arr(Arr(Num(), min_items=2, max_items=2), min_items=1), S63, S63, ("linear_graph",)
        ),
        "bar_chart": _metric(Arr(Num(), min_items=1), AXIS_NAMES, S63, ("bar_chart",)),
        "matrix": _metric(
            Arr(NUMBER_ROW_20, min_items=1, max_items=20), AXIS_NAMES, AXIS_NAMES, ("matrix",)
        ),
    },
)

CONTAINER_IMAGES = Obj({"container_image": URIS_15})

MODEL_OVERVIEW = Obj(
    {
        "model_description": S1024,
        "model_owner": S1024,
        "model_creator": S1024,
        "problem_type": Str(),
        "algorithm_type": S1024,
        "model_id": S1024,
        "model_artifact": URIS_15,
        "model_name": S1024,
        "model_version": Num(minimum=1),
        "inference_environment": CONTAINER_IMAGES,
    }
)

INTENDED_USES = Obj(
    {
        "purpose_of_model": S2048,
        "intended_uses": S2048,
        "factors_affecting_model_efficiency": S2048,
        "risk_rating": Str(enum=RISK_RATINGS),
        "explanations_for_risk_rating": S2048,
    }
)

BUSINESS_DETAILS = Obj(
    {"business_problem": S2048, "business_stakeholders": S2048, "line_of_business": S2048}
)

TRAINING_DETAILS = Obj(
    {
        "objective_function": Obj(
            {
                "function": Obj(
                    {
                        "function": Str(enum=("Maximize", "Minimize")),
                        "facet": S63,
                        "condition": S63,
                    }
                ),
                "notes": S1024,
            }
        ),
        "training_observations": S1024,
        "training_job_details": Obj(
            {
                "training_arn": S1024,
                "training_datasets": URIS_15,
                "training_environment": CONTAINER_IMAGES,
                "training_metrics": Arr(TRAINING_METRIC, max_items=50),
                "user_provided_training_metrics": Arr(TRAINING_METRIC, max_items=50),
                "hyper_parameters": Arr(HYPER_PARAMETER, max_items=100),
                "user_provided_hyper_parameters": Arr(HYPER_PARAMETER, max_items=100),
            }
        ),
    }
)

EVALUATION_DETAIL = Obj(
    {
        "name": NAME,
        "evaluation_observation": Str(max_len=2096),
        "evaluation_job_arn": Str(max_len=256),
        "datasets": Arr(S1024, max_items=10),
        "metadata": Map(S1024),
        "metric_groups": Arr(
            Obj(
                {"name": NAME, "metric_data": Arr(METRIC)},
                required=("name", "metric_data"),
            )
        ),
    },
    required=("name",),
)

ADDITIONAL_INFORMATION = Obj(
    {
        "ethical_considerations": S2048,
        "caveats_and_recommendations": S2048,
        "custom_details": Map(S1024),
    }
)

MODEL_PACKAGE_DETAILS = Obj(
    {
        "model_package_description": S1024,
        "model_package_arn": Str(min_len=1, max_len=2048),
        "created_by": Obj({"user_profile_name": S63}),
        "model_package_status": Str(
            enum=("Pending", "InProgress", "Completed", "Failed", "Deleting")
        ),
        "model_approval_status": Str(enum=("Approved", "Rejected", "PendingManualApproval")),
        "approval_description": S1024,
        "model_package_group_name": Str(min_len=1, max_len=63),
        "model_package_name": Str(min_len=1, max_len=63),
        "model_package_version": Num(minimum=1),
        "domain": Str(),
        "task": Str(),
        "source_algorithms": Arr(
            Obj(
                {"algorithm_name": Str(max_len=170), "model_data_url": S1024},
                required=("algorithm_name",),
            ),
            min_items=1,
            max_items=1,
        ),
        "inference_specification": Obj(
            {
                "containers": Arr(
                    Obj(
                        {
                            "model_data_url": S1024,
                            "image": Str(max_len=255),
                            "nearest_model_name": Str(),
                        },
                        required=("image",),
                    ),
                    min_items=1,
                    max_items=15,
                )
            },
            required=("containers",),
        ),
    }
)

CARD_CONTENT = Obj(
    {
        "model_overview": MODEL_OVERVIEW,
        "intended_uses": INTENDED_USES,
        "business_details": BUSINESS_DETAILS,
        "training_details": TRAINING_DETAILS,
        "evaluation_details": Arr(EVALUATION_DETAIL),
        "additional_information": ADDITIONAL_INFORMATION,
        "model_package_details": MODEL_PACKAGE_DETAILS,
    }
)
