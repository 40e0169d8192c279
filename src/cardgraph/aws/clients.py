"""boto3 clients from one factory: endpoint URL, region and botocore's standard retry mode."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from cardgraph.aws.errors import aws_configuration
from cardgraph.settings import Settings


class AwsClients:
    """Creates (and caches) boto3 clients configured from `Settings`."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._session: Any = None  # made on first use: a missing AWS_PROFILE fails there
        self._clients: dict[str, Any] = {}
        self._config = Config(
            region_name=settings.aws_region,
            retries={"mode": "standard", "max_attempts": settings.aws_max_attempts},
            connect_timeout=5,
            read_timeout=60,
            signature_version="s3v4",
        )

    def client(self, service: str) -> Any:
        """A client for `service` (boto3 clients are thread-safe once made)."""
        if service not in self._clients:
            # A missing AWS_PROFILE fails here, before any call: CONFIGURATION, as for keys.
            with aws_configuration(f"AWS ({service})"):
                if self._session is None:
                    self._session = boto3.session.Session()
                self._clients[service] = self._session.client(
                    service, endpoint_url=self._settings.aws_endpoint_url, config=self._config
                )
        return self._clients[service]
