"""Typed SageMaker calls (describe and list), with AWS errors turned into coded errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from cardgraph.aws.clients import AwsClients
from cardgraph.aws.errors import run_aws
from cardgraph.errors import NotFoundError

Response = dict[str, Any]


def _is_missing(error: ClientError) -> bool:
    details = error.response.get("Error", {})
    code, message = details.get("Code", ""), details.get("Message", "").lower()
    return code in ("ResourceNotFound", "ResourceNotFoundException") or (
        code == "ValidationException"
        and any(words in message for words in ("not find", "not found", "does not exist"))
    )


class SageMaker:
    """The SageMaker calls cardgraph makes, run off the event loop."""

    def __init__(self, clients: AwsClients) -> None:
        self._clients = clients

    async def _call(self, what: str, method: str, **kwargs: Any) -> Response:
        client = self._clients.client("sagemaker")
        call: Callable[..., Response] = getattr(client, method)

        def described() -> Response:
            try:
                return call(**kwargs)
            except ClientError as error:
                if _is_missing(error):
                    raise NotFoundError(f"{what} does not exist in SageMaker") from None
                raise

        return await run_aws("SageMaker", described)

    async def describe_model(self, name: str) -> Response:
        """DescribeModel."""
        return await self._call(f"model {name!r}", "describe_model", ModelName=name)

    async def describe_training_job(self, name: str) -> Response:
        """DescribeTrainingJob."""
        return await self._call(
            f"training job {name!r}", "describe_training_job", TrainingJobName=name
        )

    async def describe_model_package(self, arn: str) -> Response:
        """DescribeModelPackage."""
        return await self._call(
            f"model package {arn!r}", "describe_model_package", ModelPackageName=arn
        )

    async def list_model_packages(self, group: str) -> list[Response]:
        """Every model package version of a group (all pages)."""
        packages: list[Response] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"ModelPackageGroupName": group, "MaxResults": 100}
            if token:
                kwargs["NextToken"] = token
            page = await self._call(
                f"model package group {group!r}", "list_model_packages", **kwargs
            )
            packages += page.get("ModelPackageSummaryList", [])
            token = page.get("NextToken")
            if not token:
                return packages
