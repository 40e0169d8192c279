"""Who may read /metrics: a caller presenting the metrics token (importing nothing heavy, so
a worker can check it before prometheus_client is loaded)."""

from __future__ import annotations

import hmac

from pydantic import SecretStr

METRICS_REFUSED = "/metrics needs the bearer token set as CARDGRAPH_METRICS_TOKEN"


def metrics_token_accepted(authorization: str | None, token: SecretStr | None) -> bool:
    """Whether an Authorization header carries the metrics token (never, with none set)."""
    if token is None or authorization is None:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode())
