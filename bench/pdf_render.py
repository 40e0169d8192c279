"""PDF render time per card (p50/p95): a small card, and a card with 10 metric groups."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stack import Row, report, summary
from cardgraph.cards.content import canonical_json, chain_sha256, sha256_hex
from cardgraph.cards.models import Card, CardStatus, CardVersion, VersionSource
from cardgraph.rendering.html import render_card_html
from cardgraph.rendering.pdf import html_to_pdf

RUNS = 25
FULL_CARD = json.loads((Path(__file__).parents[1] / "tests/data/full_card.json").read_text())


def _small() -> dict[str, Any]:
    return {
        "model_overview": {"model_description": "A small card."},
        "intended_uses": {"risk_rating": "Low", "intended_uses": "Demo"},
    }


def _ten_groups() -> dict[str, Any]:
    groups = [
        {
            "name": f"group {g}",
            "metric_data": [
                {"name": "accuracy", "type": "number", "value": 0.9 + g / 100},
                {
                    "name": "roc",
                    "type": "linear_graph",
                    "value": [[i / 10, (i / 10) ** 0.5] for i in range(11)],
                },
                {
                    "name": "by segment",
                    "type": "bar_chart",
                    "value": [0.8, 0.85, 0.9, 0.95],
                    "x_axis_name": ["a", "b", "c", "d"],
                },
                {
                    "name": "confusion",
                    "type": "matrix",
                    "value": [[50, 3, 2], [4, 40, 1], [2, 2, 60]],
                },
            ],
        }
        for g in range(10)
    ]
    return {**FULL_CARD, "evaluation_details": [{"name": "evaluation", "metric_groups": groups}]}


def _version(content: dict[str, Any]) -> tuple[Card, CardVersion]:
    now = datetime.now(UTC)
    text = canonical_json(content)
    card = Card(
        "bench", "bench-card", "arn:bench", now, "bench", now, 1, CardStatus.DRAFT, None, None
    )
    version = CardVersion(
        "bench",
        "bench-card",
        1,
        CardStatus.DRAFT,
        text,
        sha256_hex(text),
        chain_sha256(None, sha256_hex(text)),
        None,
        now,
        "bench",
        VersionSource.MANUAL,
    )
    return card, version


def _measure(content: dict[str, Any]) -> tuple[list[float], int]:
    card, version = _version(content)
    html_to_pdf(render_card_html(card, version, datetime.now(UTC)))  # warm fonts and caches
    times, size = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        size = len(html_to_pdf(render_card_html(card, version, datetime.now(UTC))))
        times.append((time.perf_counter() - started) * 1000)
    return times, size


def main() -> None:
    """Measure and print."""
    rows = []
    for label, content in (("small card", _small()), ("10 metric groups", _ten_groups())):
        times, size = _measure(content)
        stats = summary(times)
        rows.append(
            Row(
                f"PDF render, {label}: p50 / p95",
                f"{stats['p50']:.0f} / {stats['p95']:.0f} ms ({size // 1024} KiB PDF)",
            )
        )
    report("pdf_render", rows)


if __name__ == "__main__":
    main()
