"""Model package groups in moto's SageMaker, for tests of links, sync and staleness."""

from __future__ import annotations

import uuid
from typing import Any

import boto3

SPEC = {
    "Containers": [{"Image": "123.dkr.ecr.us-east-1.amazonaws.com/xgb:1"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


def package_group(moto_url: str) -> dict[str, Any]:
    """A fresh model package group with two versions: its client, name and version ARNs."""
    client = boto3.client("sagemaker", endpoint_url=moto_url, region_name="us-east-1")
    name = f"grp{uuid.uuid4().hex[:8]}"
    client.create_model_package_group(ModelPackageGroupName=name)
    arns = [
        client.create_model_package(
            ModelPackageGroupName=name,
            ModelPackageDescription=f"v{i}",
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification=SPEC,
        )["ModelPackageArn"]
        for i in (1, 2)
    ]
    return {"client": client, "name": name, "arns": arns}
