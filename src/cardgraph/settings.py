"""The one configuration object: every setting comes from a `CARDGRAPH_*` environment variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """cardgraph configuration, read once from the environment (prefix `CARDGRAPH_`)."""

    model_config = SettingsConfigDict(
        env_prefix="CARDGRAPH_", extra="ignore", frozen=True, enable_decoding=False
    )

    host: str = Field("127.0.0.1", description="Interface the API listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port the API listens on.")
    data_dir: Path = Field(
        Path(".cardgraph"), description="Local state: embedded server data, logs and the admin key."
    )
    mongodb_url: str | None = Field(
        None, description="MongoDB URL; unset means `cardgraph dev` starts embedded SecantusDB."
    )
    mongodb_database: str = Field("cardgraph", description="Database name.")
    mongodb_timeout_ms: int = Field(
        5000, ge=100, description="Server selection and connect timeout for MongoDB (ms)."
    )
    mongodb_bulk_write: bool = Field(
        True,
        description="Send a content write (versions, summary, audit) as one bulkWrite when the "
        "server takes it (MongoDB 8.0+); false sends one command per collection.",
    )
    redis_url: str | None = Field(
        None, description="Redis URL; unset means `cardgraph dev` starts an embedded Valkey."
    )
    cache_max_age_s: float = Field(
        10.0,
        ge=0,
        description="Longest an API process serves a cached card summary or API key without "
        "re-reading it, should a change event be lost while Redis stays connected (0 = never "
        "cache).",
    )
    oidc_issuer: str | None = Field(
        None, description="OIDC issuer whose JWTs are accepted (with audience and JWKS URL)."
    )
    oidc_audience: str | None = Field(None, description="Audience the JWTs must name.")
    oidc_jwks_url: str | None = Field(None, description="URL of the issuer's signing keys.")
    oidc_role_claim: str = Field(
        "cardgraph_role", description="Claim holding the role (reader … admin, or a list)."
    )
    public_url: str | None = Field(
        None, description="Base URL clients reach the API at (download links); default host:port."
    )
    job_resend_after_s: int = Field(
        60, ge=1, description="A job still QUEUED this long after its send is sent again."
    )
    reconcile_interval_s: int = Field(
        30, ge=1, description="How often the reconciler looks for lost jobs."
    )
    export_part_size: int = Field(
        10, ge=1, le=1000, description="Cards per part of a batch export (parts run in parallel)."
    )
    aws_endpoint_url: str | None = Field(
        None, description="Endpoint for AWS calls (a local S3/SageMaker stand-in); unset: AWS."
    )
    aws_max_attempts: int = Field(
        5, ge=1, le=20, description="Attempts per AWS call (botocore standard retry mode)."
    )
    artifact_bucket: str | None = Field(
        None, description="S3 bucket for exported files; unset keeps them under data_dir."
    )
    artifact_prefix: str = Field("cardgraph/artifacts", description="Key prefix in that bucket.")
    s3_buckets: tuple[str, ...] = Field(
        (), description="Buckets cardgraph may read from or write to, comma-separated."
    )
    metrics_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest metrics file read from S3 or uploaded."
    )
    download_url_expiry_s: int = Field(
        3600, ge=60, le=604800, description="Lifetime of presigned S3 download URLs."
    )
    package_sync_interval_s: int = Field(
        900, ge=0, description="How often beat syncs known package groups (0: never)."
    )
    package_auto_create_cards: bool = Field(
        False, description="Sync gives a new package version without a card a card of its own."
    )
    policy_high_risk_needs_evidence: bool = Field(
        True, description="High risk cards need an evaluation and intended uses to be approved."
    )
    aws_region: str = Field("us-east-1", description="AWS region; also used in card ARNs.")
    aws_account_id: str = Field(
        "000000000000", pattern=r"^\d{12}$", description="Account id used in card ARNs."
    )
    graphql_max_depth: int = Field(12, ge=1, description="Maximum query depth.")
    graphql_max_tokens: int = Field(4000, ge=10, description="Maximum tokens in one document.")
    graphql_max_aliases: int = Field(20, ge=1, description="Maximum aliases in one document.")
    graphql_max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest accepted HTTP request body (bytes)."
    )
    graphql_introspection: bool = Field(True, description="Allow schema introspection queries.")
    graphql_ide: bool = Field(True, description="Serve the GraphiQL IDE on GET /graphql.")
    page_size_default: int = Field(20, ge=1, le=100, description="Page size when `first` is unset.")
    page_size_max: int = Field(100, ge=1, le=100, description="Largest accepted `first`.")
    worker_concurrency: int = Field(
        1, ge=1, description="Worker processes `cardgraph dev` starts for the Celery worker."
    )
    broker_visibility_timeout_s: int = Field(
        3600, ge=5, description="Seconds before the broker redelivers an unacknowledged task."
    )
    task_time_limit_s: int = Field(
        900, ge=2, description="Hard time limit of one task (below the visibility timeout)."
    )
    log_level: str = Field("INFO", description="Log level for cardgraph and uvicorn.")

    @field_validator("s3_buckets", mode="before")
    @classmethod
    def _split_buckets(cls, value: object) -> object:
        # A comma-separated environment variable, as the README documents.
        if isinstance(value, str):
            return tuple(b.strip() for b in value.split(",") if b.strip())
        return value

    @model_validator(mode="after")
    def _time_limit_below_visibility(self) -> Settings:
        # A task still running when the broker redelivers it would run twice at once.
        if self.task_time_limit_s >= self.broker_visibility_timeout_s:
            raise ValueError("task_time_limit_s must be below broker_visibility_timeout_s")
        return self

    def as_environment(self) -> dict[str, str]:
        """These settings as `CARDGRAPH_*` variables, for child processes."""
        env = {}
        for name, value in self.model_dump().items():
            if isinstance(value, tuple | list):
                env[f"CARDGRAPH_{name.upper()}"] = ",".join(value)
            elif value is not None:
                env[f"CARDGRAPH_{name.upper()}"] = str(value)
        return env

    @property
    def base_url(self) -> str:
        """The public base URL of the API, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def artifacts_dir(self) -> Path:
        """Where the local artifact store keeps files."""
        return self.data_dir / "artifacts"

    @property
    def admin_key_path(self) -> Path:
        """Where `cardgraph dev` keeps the local admin API key."""
        return self.data_dir / "admin.key"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment once."""
    return Settings()
