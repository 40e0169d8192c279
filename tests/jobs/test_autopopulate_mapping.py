"""SageMaker responses → card content, and the merge that keeps hand-entered values (pure)."""

from __future__ import annotations

from cardgraph.autopopulate import mapping
from cardgraph.autopopulate.merge import Conflict, fill_empty
from cardgraph.cards.content import validate_content


def test_model_uses_containers_when_there_are_some() -> None:
    overview = mapping.model_overview(
        {
            "ModelName": "m",
            "ModelArn": "arn:m",
            "PrimaryContainer": {"Image": "primary", "ModelDataUrl": "s3://p"},
            "Containers": [{"Image": "a", "ModelDataUrl": "s3://a"}, {"Image": "b"}],
        }
    )
    assert overview == {
        "model_name": "m",
        "model_id": "arn:m",
        "model_artifact": ["s3://a"],
        "inference_environment": {"container_image": ["a", "b"]},
    }


def test_model_with_empty_containers_and_no_artifacts() -> None:
    overview = mapping.model_overview(
        {
            "ModelName": "m",
            "ModelArn": "arn:m",
            "Containers": [],
            "PrimaryContainer": {"Image": "primary"},
        }
    )
    assert overview == {
        "model_name": "m",
        "model_id": "arn:m",
        "inference_environment": {"container_image": ["primary"]},
    }
    assert mapping.model_overview({}) == {}


def test_training_job_without_hyper_parameters_or_metrics() -> None:
    details = mapping.training_details({"TrainingJobArn": "arn:t"})
    assert details == {"training_job_details": {"training_arn": "arn:t"}}
    assert mapping.training_details({}) == {}


def test_training_job_caps_and_skips_bad_metrics() -> None:
    details = mapping.training_details(
        {
            "TrainingJobArn": "arn:t",
            "HyperParameters": {f"h{i}": i for i in range(150)},
            "FinalMetricDataList": [
                {"MetricName": "loss", "Value": 0.1},
                {"MetricName": "nan", "Value": float("nan")},
                {"Value": 1.0},
            ],
        }
    )["training_job_details"]
    assert len(details["hyper_parameters"]) == 100
    assert details["hyper_parameters"][0] == {"name": "h0", "value": "0"}
    assert details["training_metrics"] == [{"name": "loss", "value": 0.1}]
    validate_content({"training_details": {"training_job_details": details}})


def test_package_without_optional_fields() -> None:
    assert mapping.model_package_details({"ModelPackageArn": "arn:p"}) == {
        "model_package_arn": "arn:p"
    }


def test_package_keeps_one_source_algorithm_and_valid_content() -> None:
    details = mapping.model_package_details(
        {
            "ModelPackageArn": "arn:p",
            "ModelPackageGroupName": "g",
            "ModelPackageVersion": 2,
            "ModelApprovalStatus": "Approved",
            "CreatedBy": {"UserProfileName": "ada"},
            "SourceAlgorithmSpecification": {
                "SourceAlgorithms": [
                    {"AlgorithmName": "a1", "ModelDataUrl": "s3://a1"},
                    {"AlgorithmName": "a2"},
                ]
            },
            "InferenceSpecification": {"Containers": [{"Image": "img", "NearestModelName": "n"}]},
        }
    )
    assert details["source_algorithms"] == [{"algorithm_name": "a1", "model_data_url": "s3://a1"}]
    assert details["created_by"] == {"user_profile_name": "ada"}
    assert details["inference_specification"] == {
        "containers": [{"image": "img", "nearest_model_name": "n"}]
    }
    validate_content({"model_package_details": details})


def test_fill_empty_never_overwrites() -> None:
    current = {
        "model_overview": {"model_name": "mine", "model_artifact": []},
        "intended_uses": {"risk_rating": "High"},
    }
    proposed = {
        "model_overview": {"model_name": "theirs", "model_id": "arn", "model_artifact": ["s3://a"]},
        "intended_uses": {"risk_rating": "High"},
    }
    merged, conflicts = fill_empty(current, proposed)
    assert merged == {
        "model_overview": {"model_name": "mine", "model_id": "arn", "model_artifact": ["s3://a"]},
        "intended_uses": {"risk_rating": "High"},
    }
    assert conflicts == [Conflict("$.model_overview.model_name", "mine", "theirs")]
