"""Checkpoints published to S3 (moto on loopback), where a database writer cannot reach: one
object per signed head, each verifying with the service's public key; a failing bucket never
fails a write."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import boto3
import pytest

from cardgraph.cards.models import CardStatus
from cardgraph.ledger.signing import Checkpoint
from cardgraph.principals import Principal, Role
from cardgraph.settings import Settings
from tests.support.monitoring import services_with_log
from tests.support.servers import run_async

EDITOR = Principal(key_id="anchor", name="anchor", role=Role.EDITOR)


def test_every_signed_head_is_published_and_verifies(
    settings: Settings, moto_url: str, card_name: str
) -> None:
    bucket = f"checkpoints-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    anchored = settings.model_copy(update={"checkpoint_bucket": bucket})

    async def scenario() -> tuple[str, Any]:
        async with services_with_log(anchored) as (services, _):
            await services.cards.create_card(card_name, {}, EDITOR)
            await services.cards.update_content(card_name, {"model_overview": {}}, EDITOR)
            await services.cards.set_status(card_name, CardStatus.PENDING_REVIEW, EDITOR)
            card = await services.cards.require_card(card_name)
            return card.id, services.cards.checkpoints.public_key

    card_id, key = run_async(scenario())
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"checkpoints/{card_id}/")
    keys = [item["Key"] for item in listed.get("Contents", [])]
    assert keys == [f"checkpoints/{card_id}/{n:012d}.json" for n in (1, 2, 3)]
    published = [
        Checkpoint.from_json(json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()))
        for k in keys
    ]
    assert [(c.versions, c.events) for c in published] == [(1, 1), (2, 2), (2, 3)]
    assert all(c.signed_by(key) for c in published)


def test_a_failing_anchor_is_logged_and_the_write_stands(
    settings: Settings, card_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    missing = settings.model_copy(update={"checkpoint_bucket": f"absent-{uuid.uuid4().hex[:8]}"})

    async def scenario() -> int:
        async with services_with_log(missing) as (services, _):
            written = await services.cards.create_card(card_name, {}, EDITOR)
            verified = await services.cards.verify(card_name)
            assert verified.valid, verified.result.findings
            return written.number

    with caplog.at_level(logging.ERROR, logger="cardgraph.cards.checkpoints"):
        assert run_async(scenario()) == 1
    assert any("publishing the checkpoint" in r.getMessage() for r in caplog.records)
