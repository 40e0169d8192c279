"""Wiring: repositories and services over one database and one Redis, for the API and workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import redis.asyncio as aioredis
from pymongo import AsyncMongoClient

from cardgraph.access.authenticator import Authenticator
from cardgraph.access.oidc import OidcVerifier
from cardgraph.access.rate_limit import RateLimiter
from cardgraph.access.repository import ApiKeyRepository
from cardgraph.access.service import ApiKeyService
from cardgraph.artifacts.repository import ArtifactRepository
from cardgraph.artifacts.store import ArtifactStore, LocalArtifactStore, S3ArtifactStore
from cardgraph.artifacts.writer import ArtifactWriter
from cardgraph.audit.repository import AuditRepository
from cardgraph.audit.service import AuditLog
from cardgraph.autopopulate.service import Autopopulation
from cardgraph.aws.clients import AwsClients
from cardgraph.aws.s3 import S3
from cardgraph.aws.sagemaker import SageMaker
from cardgraph.caching.freshness import Freshness
from cardgraph.cards.checkpoints import s3_publisher
from cardgraph.cards.ledger_migration import LedgerMigration
from cardgraph.cards.repository import CardRepository
from cardgraph.cards.service import CardService
from cardgraph.cursor_secret import CursorSigning
from cardgraph.events.publisher import EventPublisher
from cardgraph.export.pdf_export import PdfExport
from cardgraph.export.service import BatchExport
from cardgraph.jobs.heartbeat import LeaseKeeper
from cardgraph.jobs.queue import JobQueue
from cardgraph.jobs.reconciler import JobReconciler
from cardgraph.jobs.runner import JobRunner
from cardgraph.jobs.service import JobService
from cardgraph.ledger.key_file import load_retired_keys, load_signing_key
from cardgraph.metrics.service import MetricsIngestion
from cardgraph.monitoring.jobs import ObservedJobRepository
from cardgraph.packages.repository import ModelPackageRepository
from cardgraph.packages.service import PackageService
from cardgraph.rendering.renderer import PdfRenderer
from cardgraph.settings import Settings
from cardgraph.storage.mongo import DEPLOYMENT_SECRETS, Document
from cardgraph.storage.ordered_writes import OrderedWrites


@dataclass(frozen=True, slots=True)
class Services:
    """Every service of one process."""

    settings: Settings
    cards: CardService
    api_keys: ApiKeyService
    authenticator: Authenticator
    audit: AuditLog
    jobs: JobService
    job_runner: JobRunner
    reconciler: JobReconciler
    artifacts: ArtifactWriter
    pdf_export: PdfExport
    batch_export: BatchExport
    metrics: MetricsIngestion
    autopopulation: Autopopulation
    packages: PackageService
    events: EventPublisher
    freshness: Freshness
    queue: JobQueue | None
    rate_limiter: RateLimiter
    cursors: CursorSigning
    ledger_migration: LedgerMigration


def build_services(
    settings: Settings, mongo: AsyncMongoClient[Document], redis: aioredis.Redis | None
) -> Services:
    """Wire repositories into services."""
    db = mongo[settings.mongodb_database]
    arn_prefix = f"arn:aws:sagemaker:{settings.aws_region}:{settings.aws_account_id}:model-card/"
    # Fed by the API's event hub; in workers nothing feeds it, so they never read a cache.
    freshness = Freshness(settings.cache_max_age_s)
    events = EventPublisher(redis, freshness.origin)
    audit = AuditLog(AuditRepository(db))
    aws = AwsClients(settings)
    s3 = S3(aws)
    cards = CardService(
        CardRepository(db),
        arn_prefix=arn_prefix,
        audit=audit,
        events=events,
        freshness=freshness,
        signing_key=load_signing_key(settings),
        retired_keys=load_retired_keys(settings),
        publish_checkpoint=(
            s3_publisher(s3, settings.checkpoint_bucket, settings.checkpoint_prefix)
            if settings.checkpoint_bucket
            else None
        ),
        writes=OrderedWrites(mongo) if settings.mongodb_bulk_write else None,
        high_risk_policy=settings.policy_high_risk_needs_evidence,
    )
    # Counts job transitions for /metrics as its conditional writes make them (exactly once).
    jobs_repository = ObservedJobRepository(db)
    queue = JobQueue(settings) if settings.redis_url else None
    sagemaker = SageMaker(aws)
    store: ArtifactStore = (
        S3ArtifactStore(
            s3, settings.artifact_bucket, settings.artifact_prefix, settings.download_url_expiry_s
        )
        if settings.artifact_bucket
        else LocalArtifactStore(settings.artifacts_dir)
    )
    artifacts = ArtifactWriter(ArtifactRepository(db), store, settings.base_url)
    # Its render process starts with the first render (only workers render).
    renderer = PdfRenderer(settings.render_time_budget_s)
    # The heartbeat thread starts only in a process that runs a job (a worker).
    job_runner = JobRunner(jobs_repository, events, audit, LeaseKeeper(settings))
    jobs = JobService(jobs_repository, queue, events, audit)
    metrics = MetricsIngestion(
        cards, s3, artifacts, settings.s3_buckets, settings.metrics_max_bytes
    )
    api_keys = ApiKeyService(ApiKeyRepository(db), audit, events, freshness)
    oidc = None
    if settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url:
        oidc = OidcVerifier(
            settings.oidc_issuer,
            settings.oidc_audience,
            settings.oidc_jwks_url,
            settings.oidc_role_claim,
        )
    return Services(
        settings=settings,
        cards=cards,
        api_keys=api_keys,
        authenticator=Authenticator(api_keys, oidc),
        jobs=jobs,
        audit=audit,
        job_runner=job_runner,
        reconciler=JobReconciler(
            jobs_repository,
            jobs,
            job_runner,
            queue,
            resend_after=timedelta(seconds=settings.job_resend_after_s),
            max_attempts=settings.job_max_attempts,
        ),
        artifacts=artifacts,
        pdf_export=PdfExport(cards, artifacts, events, s3, settings.s3_buckets, renderer),
        batch_export=BatchExport(
            cards,
            job_runner,
            artifacts,
            queue,
            settings.export_part_size,
            renderer,
        ),
        metrics=metrics,
        autopopulation=Autopopulation(cards, sagemaker),
        packages=PackageService(
            cards,
            ModelPackageRepository(db),
            sagemaker,
            metrics,
            audit,
            settings.package_auto_create_cards,
        ),
        events=events,
        freshness=freshness,
        queue=queue,
        rate_limiter=RateLimiter(redis, settings.rate_limit_per_minute, settings.rate_limit_burst),
        cursors=CursorSigning(settings.cursor_secret, db[DEPLOYMENT_SECRETS]),
        ledger_migration=LedgerMigration(db, audit, cards.checkpoints),
    )
