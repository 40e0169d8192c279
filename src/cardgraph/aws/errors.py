"""AWS calls off the event loop, with botocore's failures turned into coded errors.

Clients see a code and a sentence; the exception, the account and the IAM identity that AWS
names in its messages stay in the server log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from botocore.exceptions import (
    ClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
)

from cardgraph.errors import (
    AwsError,
    BadRequestError,
    CardgraphError,
    ConfigurationError,
    UnavailableError,
)

logger = logging.getLogger("cardgraph.aws")

T = TypeVar("T")

# No credentials anywhere, half of a key pair, no region, or AWS_PROFILE naming no profile.
_NOT_CONFIGURED = (NoCredentialsError, PartialCredentialsError, NoRegionError, ProfileNotFound)


def _not_configured(service: str) -> ConfigurationError:
    logger.warning("%s call without AWS configuration", service, exc_info=True)
    return ConfigurationError(
        f"{service} is not configured on this server; an operator must set its credentials"
    )


@contextlib.contextmanager
def aws_configuration(service: str) -> Iterator[None]:
    """For AWS work done in place (making a client, presigning a URL): missing credentials,
    region or profile become CONFIGURATION."""
    try:
        yield
    except _NOT_CONFIGURED:
        raise _not_configured(service) from None


async def run_aws(service: str, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking boto3 call in a thread; raise only coded errors."""
    try:
        return await asyncio.to_thread(call, *args, **kwargs)
    except CardgraphError:
        raise
    except ParamValidationError:
        # botocore refused the request before sending it: an argument the caller gave is wrong.
        raise BadRequestError(f"{service} does not accept these parameters") from None
    except _NOT_CONFIGURED:
        raise _not_configured(service) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "unknown")
        logger.warning("%s refused a call (%s)", service, code, exc_info=True)
        raise AwsError(f"{service} refused the call ({code})") from None
    except Exception as error:  # connection failures, after botocore's own retries
        if type(error).__module__.startswith(("botocore", "urllib3")):
            logger.warning("%s cannot be reached", service, exc_info=True)
            raise UnavailableError(f"{service} cannot be reached; try again later") from None
        raise
