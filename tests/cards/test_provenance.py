"""Provenance rules (pure): changed sections are the write's, unchanged ones keep theirs; and
what the printed card says of each section and of a stale approval."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from cardgraph.cards.ledger_entries import chained_version
from cardgraph.cards.models import Card, CardStatus, CardVersion, Staleness, VersionSource
from cardgraph.cards.provenance import shown_provenance, with_provenance
from cardgraph.hashing import canonical_json
from cardgraph.rendering.html import render_card_html

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/1"


def _version(
    number: int,
    content: dict[str, Any],
    previous: CardVersion | None,
    source: VersionSource = VersionSource.MANUAL,
    actor: str = "apikey:alice",
    origin: dict[str, dict[str, str]] | None = None,
    changed: list[str] | None = None,
) -> CardVersion:
    version = chained_version(
        "card-id",
        "fraud",
        number,
        canonical_json(content),
        CardStatus.DRAFT,
        previous.chain_sha256 if previous else None,
        actor,
        T0 + timedelta(hours=number),
        source,
        f"job-{number}" if source is not VersionSource.MANUAL else None,
    )
    return with_provenance(
        version, previous, changed if changed is not None else content, origin or {}
    )


def test_a_section_keeps_the_provenance_of_the_write_that_last_changed_it() -> None:
    v1 = _version(1, {"intended_uses": {"risk_rating": "Low"}, "business_details": {"a": 1}}, None)
    metrics = {"s3Uri": "s3://metrics/q.json", "etag": '"e"', "sha256": "ab" * 32}
    v2_content = {**v1.content, "evaluation_details": [{"name": "holdout"}]}
    v2 = _version(
        2,
        v2_content,
        v1,
        VersionSource.METRICS,
        "apikey:bob",
        {"evaluation_details": metrics},
        ["evaluation_details"],
    )
    v3_content = {**v2_content, "business_details": {"a": 2}}
    v3 = _version(3, v3_content, v2, actor="apikey:carol", changed=["business_details"])
    by_section = {p.section: p for p in v3.provenance}
    assert [p.section for p in v3.provenance] == sorted(v3_content)
    assert (by_section["intended_uses"].version, by_section["intended_uses"].actor) == (
        1,
        "apikey:alice",
    )
    evaluation = by_section["evaluation_details"]
    assert (evaluation.version, evaluation.source, evaluation.job_id) == (
        2,
        VersionSource.METRICS,
        "job-2",
    )
    assert dict(evaluation.details) == metrics
    assert (by_section["business_details"].version, by_section["business_details"].actor) == (
        3,
        "apikey:carol",
    )
    # A removed section has no provenance: it is not in the content any more.
    v4 = _version(4, {"intended_uses": {"risk_rating": "Low"}}, v3, changed=["business_details"])
    assert [p.section for p in v4.provenance] == ["intended_uses"]


def test_a_version_from_before_provenance_is_inferred_and_says_so() -> None:
    legacy = chained_version(
        "card-id",
        "fraud",
        1,
        canonical_json({"model_overview": {"model_name": "m"}}),
        CardStatus.DRAFT,
        None,
        "apikey:old",
        T0,
        VersionSource.MANUAL,
    )
    (entry,) = shown_provenance(legacy)
    assert (entry.section, entry.version, entry.actor, entry.recorded) == (
        "model_overview",
        1,
        "apikey:old",
        False,
    )
    # The next write inherits the inferred entry for what it leaves alone.
    v2 = with_provenance(
        chained_version(
            "card-id",
            "fraud",
            2,
            canonical_json({"model_overview": {"model_name": "m"}, "business_details": {}}),
            CardStatus.DRAFT,
            legacy.chain_sha256,
            "apikey:new",
            T0,
            VersionSource.MANUAL,
        ),
        legacy,
        ["business_details"],
        {},
    )
    assert {p.section: p.recorded for p in v2.provenance} == {
        "business_details": True,
        "model_overview": False,
    }


def test_the_printed_card_names_each_section_s_origin_and_a_stale_approval() -> None:
    v1 = _version(1, {"intended_uses": {"risk_rating": "Low"}}, None)
    origin = {"*": {"modelPackageArn": ARN, "describedAt": "2026-03-01T11:00:00+00:00"}}
    v2 = _version(
        2,
        {**v1.content, "model_package_details": {"model_package_arn": ARN}},
        v1,
        VersionSource.PACKAGE_SYNC,
        "apikey:sync",
        origin,
        ["model_package_details"],
    )
    card = Card(
        id="card-id",
        name="fraud",
        arn="arn:card",
        created_at=T0,
        created_by="apikey:alice",
        updated_at=T0,
        latest_version=2,
        status=CardStatus.APPROVED,
        risk_rating="Low",
        model_package_group=None,
        stale=Staleness("Model package X changed after version 2 was approved", T0, ARN, 2),
    )
    html = render_card_html(card, v2, T0)
    assert "Typed by hand by apikey:alice · in version 1, 2026-03-01 10:00 UTC" in html
    assert "Written by model package sync by apikey:sync · in version 2" in html
    assert "at 2026-03-01 11:00:00 UTC" in html
    assert "Stale approval.</b> Model package X changed after version 2 was approved" in html
    fresh = render_card_html(dataclasses.replace(card, stale=None), v2, T0)
    assert "Stale approval" not in fresh
