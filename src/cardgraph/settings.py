"""The one configuration object: every setting comes from a `CARDGRAPH_*` environment variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cardgraph import settings_checks as checks


class Settings(BaseSettings):
    """cardgraph configuration, read once from the environment (prefix `CARDGRAPH_`)."""

    model_config = SettingsConfigDict(
        env_prefix="CARDGRAPH_", extra="ignore", frozen=True, enable_decoding=False
    )

    host: str = Field(
        "127.0.0.1", description="Interface the API (and a worker's metrics server) listens on."
    )
    port: int = Field(8000, ge=0, le=65535, description="Port the API listens on.")
    data_dir: Path = Field(
        Path(".cardgraph"), description="Local state: embedded server data, logs and the admin key."
    )
    mongodb_url: str | None = Field(
        None, description="MongoDB URL; unset means `cardgraph dev` starts embedded SecantusDB."
    )
    mongodb_database: str = Field("cardgraph", description="Database name.")
    mongodb_timeout_ms: int = Field(
        5000,
        ge=100,
        description="Connect timeout for MongoDB (ms); server selection waits up to "
        "`mongodb_operation_timeout_ms`, as PyMongo's timeoutMS makes it.",
    )
    mongodb_operation_timeout_ms: int = Field(
        5000,
        ge=100,
        description="Longest one MongoDB operation may take, server selection, connection and "
        "server time included (PyMongo's timeoutMS); past it the request is UNAVAILABLE (ms).",
    )
    mongodb_bulk_write: bool = Field(
        True,
        description="Send a content write (versions, summary, audit) as one bulkWrite when the "
        "server takes it (MongoDB 8.0+); false sends one command per collection.",
    )
    redis_url: str | None = Field(
        None, description="Redis URL; unset means `cardgraph dev` starts an embedded Valkey."
    )
    redis_timeout_s: float = Field(
        2.0,
        gt=0,
        le=60,
        description="Connect and read timeout of every Redis command, the Celery broker's too "
        "(s); a silent event subscription is probed and reconnected after about twice this.",
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
        10, ge=1, description="How often the reconciler looks for lost jobs and lapsed leases."
    )
    job_lease_s: int = Field(
        20,
        ge=2,
        description="A running task's lease on its job lapses this long after its last "
        "heartbeat; the reconciler then re-sends the task.",
    )
    job_heartbeat_s: float = Field(
        5.0, gt=0, description="How often a worker process renews the leases of its tasks."
    )
    job_max_attempts: int = Field(
        3, ge=1, description="Attempts whose worker died before a job fails with WORKER_LOST."
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
    graphql_max_tokens: int = Field(
        1500,
        ge=10,
        description="Maximum tokens in one document (parsing and validating 4,000 held the "
        "event loop ~80 ms; send large values as variables).",
    )
    graphql_max_aliases: int = Field(20, ge=1, description="Maximum aliases in one document.")
    graphql_max_fields: int = Field(
        250,
        ge=1,
        description="Most fields in one document, a fragment counted wherever it is spread; "
        "checked before validation.",
    )
    graphql_max_field_repeats: int = Field(
        3,
        ge=1,
        description="Most fields sharing one response name in one selection set, fragments "
        "included; checked before validation.",
    )
    graphql_max_cost: int = Field(
        4000,
        ge=1,
        description="Most estimated work of one operation: a field 1 (introspection 1/8), a "
        "version's `content` or `contentJson` 10 more, times the page size of each connection "
        "and 3 for the first plain list above it.",
    )
    graphql_max_typed_values: int = Field(
        3000,
        ge=1,
        description="Most values handled one by one in one operation: in its variables (JSON "
        "and Upload values count once) and in a version's typed `content` (larger content "
        "is read and written as contentJson).",
    )
    graphql_max_response_bytes: int = Field(
        4 * 1024 * 1024,
        ge=1024,
        description="Largest response body or WebSocket result (bytes); a larger one is "
        "replaced by a RESPONSE_TOO_LARGE error.",
    )
    rate_limit_per_minute: int = Field(
        0,
        ge=0,
        description="GraphQL operations one key (or OIDC user) may run per minute, counted in "
        "Redis across API processes (0: no limit).",
    )
    rate_limit_burst: int = Field(
        0,
        ge=0,
        description="Operations one key may run at once above that rate (0: a minute's worth).",
    )
    graphql_max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest accepted HTTP request body (bytes)."
    )
    # Off unless asked for: `cardgraph dev` turns both on (unless set), `serve` leaves them off.
    graphql_introspection: bool = Field(
        False, description="Allow schema introspection queries (`cardgraph dev`: on)."
    )
    graphql_ide: bool = Field(
        False, description="Serve the GraphiQL IDE on GET /graphql (`cardgraph dev`: on)."
    )
    ws_max_connections_per_key: int = Field(
        20, ge=1, description="Open WebSockets one key (or OIDC user) may hold per API process."
    )
    ws_max_operations: int = Field(
        20, ge=1, description="Operations (subscriptions included) in flight on one WebSocket."
    )
    ws_connection_init_timeout_s: float = Field(
        5.0, gt=0, description="Seconds a WebSocket may stay open without connection_init."
    )
    ws_recheck_interval_s: float = Field(
        30.0,
        gt=0,
        description="How often every open WebSocket is re-authorised (revocations close "
        "sockets at once; this covers a lost revocation event).",
    )
    page_size_default: int = Field(20, ge=1, le=100, description="Page size when `first` is unset.")
    page_size_max: int = Field(100, ge=1, le=100, description="Largest accepted `first`.")
    cursor_secret: SecretStr | None = Field(
        None,
        min_length=32,
        description="Secret signing pagination cursors (32+ characters, the same in every API "
        "process); unset: a random one created once in MongoDB (`deployment_secrets`).",
    )
    signing_key: SecretStr | None = Field(
        None,
        description="Ed25519 key signing each card's history checkpoints: base64 of its "
        "32-byte seed, or a PEM private key. Keep it out of the database's reach (a secret "
        "store); unset: a key created once in `signing_key_file`.",
    )
    signing_keys_retired: tuple[str, ...] = Field(
        (),
        description="Public keys (base64, comma-separated) of signing keys rotated out: "
        "checkpoints they signed still verify; they sign nothing new.",
    )
    signing_key_file: Path | None = Field(
        None,
        description="Where the signing key is kept when `signing_key` is unset (created on "
        "first use, mode 0600); unset: `data_dir/signing.key`.",
    )
    checkpoint_bucket: str | None = Field(
        None,
        description="S3 bucket every signed checkpoint is also written to (unset: none), "
        "for an anchor a database writer cannot rewrite (use Object Lock).",
    )
    checkpoint_prefix: str = Field(
        "checkpoints/", description="Key prefix of checkpoints in `checkpoint_bucket`."
    )
    worker_concurrency: int = Field(
        1, ge=1, description="Worker processes `cardgraph dev` starts for the Celery worker."
    )
    broker_visibility_timeout_s: int = Field(
        3600, ge=5, description="Seconds before the broker redelivers an unacknowledged task."
    )
    task_time_limit_s: int = Field(
        900, ge=2, description="Hard time limit of one task (below the visibility timeout)."
    )
    render_time_budget_s: float = Field(
        60.0,
        gt=0,
        description="Longest one PDF render may take; past it the render process is killed "
        "and the job fails with RENDER_TIMEOUT (a 90,000-character card takes a few seconds).",
    )
    http_keep_alive_s: int = Field(
        5, ge=1, le=300, description="Seconds `cardgraph serve` keeps an idle connection open."
    )
    http_max_concurrency: int = Field(
        2048,
        ge=16,
        description="Connections plus requests in flight one `cardgraph serve` process takes; "
        "past it new ones get 503.",
    )
    log_level: str = Field("INFO", description="Log level for cardgraph and uvicorn.")
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines as text, or as one JSON object per line (time, level, logger, "
        "message, request_id / job_id where known), for the API and the workers.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        min_length=16,
        description="Bearer token /metrics requires (the API's and the workers'); unset: "
        "/metrics refuses every request.",
    )
    worker_metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port a Celery worker serves /metrics on (every pool process added up), "
        "on `host`; unset: none.",
    )

    @field_validator(
        "metrics_token",
        "worker_metrics_port",
        "signing_key",
        "signing_key_file",
        "checkpoint_bucket",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return checks.blank_as_unset(value)

    @field_validator("s3_buckets", "signing_keys_retired", mode="before")
    @classmethod
    def _split_buckets(cls, value: object) -> object:
        return checks.split_comma_list(value)

    @model_validator(mode="after")
    def _time_limit_below_visibility(self) -> Settings:
        checks.check_task_timing(self)
        return self

    def as_environment(self) -> dict[str, str]:
        """These settings as `CARDGRAPH_*` variables, for child processes."""
        return checks.environment_variables(self.model_dump())

    @property
    def base_url(self) -> str:
        """The public base URL of the API, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def artifacts_dir(self) -> Path:
        """Where the local artifact store keeps files."""
        return self.data_dir / "artifacts"

    @property
    def signing_key_path(self) -> Path:
        """Where the signing key is kept when it is not configured."""
        return self.signing_key_file or self.data_dir / "signing.key"

    @property
    def admin_key_path(self) -> Path:
        """Where `cardgraph dev` keeps the local admin API key."""
        return self.data_dir / "admin.key"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment once."""
    return Settings()
