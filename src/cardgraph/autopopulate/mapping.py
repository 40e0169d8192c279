"""SageMaker describe responses → model card content (pure), the way SageMaker's SDK maps them.

More robust than the SDK: an empty `Containers` list falls back to the primary container,
missing optional keys are skipped (never a KeyError), and lists are capped at the schema's
limits instead of failing the card.
"""

from __future__ import annotations

import math
from typing import Any

Response = dict[str, Any]
MAX_URIS = 15
MAX_METRICS = 50
MAX_HYPER_PARAMETERS = 100

PACKAGE_FIELDS = {
    "ModelPackageName": "model_package_name",
    "ModelPackageGroupName": "model_package_group_name",
    "ModelPackageVersion": "model_package_version",
    "ModelPackageStatus": "model_package_status",
    "ModelApprovalStatus": "model_approval_status",
    "ModelPackageDescription": "model_package_description",
    "ApprovalDescription": "approval_description",
    "Domain": "domain",
    "Task": "task",
}


def _containers(response: Response) -> list[Response]:
    containers = response.get("Containers") or []
    if not containers and response.get("PrimaryContainer"):
        containers = [response["PrimaryContainer"]]
    return [c for c in containers if isinstance(c, dict)]


def _present(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v not in (None, "", [], {})}


def model_overview(response: Response) -> dict[str, Any]:
    """`model_overview` from DescribeModel."""
    containers = _containers(response)
    images = [c["Image"] for c in containers if c.get("Image")][:MAX_URIS]
    return _present(
        {
            "model_name": response.get("ModelName"),
            "model_id": response.get("ModelArn"),
            "model_artifact": [c["ModelDataUrl"] for c in containers if c.get("ModelDataUrl")][
                :MAX_URIS
            ],
            "inference_environment": {"container_image": images} if images else None,
        }
    )


def training_details(response: Response) -> dict[str, Any]:
    """`training_details` from DescribeTrainingJob."""
    image = (response.get("AlgorithmSpecification") or {}).get("TrainingImage")
    datasets = [
        source["S3Uri"]
        for channel in response.get("InputDataConfig") or []
        if (source := (channel.get("DataSource") or {}).get("S3DataSource") or {}).get("S3Uri")
    ][:MAX_URIS]
    metrics = [
        {"name": m["MetricName"], "value": m["Value"]}
        for m in response.get("FinalMetricDataList") or []
        if m.get("MetricName")
        and isinstance(m.get("Value"), int | float)
        and math.isfinite(m["Value"])
    ][:MAX_METRICS]
    hyper_parameters = [
        {"name": name, "value": str(value)}
        for name, value in (response.get("HyperParameters") or {}).items()
    ][:MAX_HYPER_PARAMETERS]
    job = _present(
        {
            "training_arn": response.get("TrainingJobArn"),
            "training_datasets": datasets,
            "training_environment": {"container_image": [image]} if image else None,
            "training_metrics": metrics,
            "hyper_parameters": hyper_parameters,
        }
    )
    return {"training_job_details": job} if job else {}


def model_package_details(response: Response) -> dict[str, Any]:
    """`model_package_details` from DescribeModelPackage."""
    details: dict[str, Any] = {"model_package_arn": response.get("ModelPackageArn")}
    for key, field in PACKAGE_FIELDS.items():
        details[field] = response.get(key)
    creator = (response.get("CreatedBy") or {}).get("UserProfileName")
    details["created_by"] = {"user_profile_name": creator} if creator else None
    containers = [
        _present(
            {
                "image": c.get("Image"),
                "model_data_url": c.get("ModelDataUrl"),
                "nearest_model_name": c.get("NearestModelName"),
            }
        )
        for c in (response.get("InferenceSpecification") or {}).get("Containers") or []
        if c.get("Image")
    ][:MAX_URIS]
    details["inference_specification"] = {"containers": containers} if containers else None
    algorithms = [
        _present(
            {"algorithm_name": a.get("AlgorithmName"), "model_data_url": a.get("ModelDataUrl")}
        )
        for a in (response.get("SourceAlgorithmSpecification") or {}).get("SourceAlgorithms") or []
        if a.get("AlgorithmName")
    ]
    # The schema allows one source algorithm; SageMaker's API allows no more either.
    details["source_algorithms"] = algorithms[:1] or None
    return _present(details)
