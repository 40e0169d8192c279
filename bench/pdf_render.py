"""PDF render time: scaling with text (it must be linear), a 90,000-character card, small cards.

Each text size is one legal card rendered in-process (WeasyPrint alone); the small card is also
rendered through `PdfRenderer`, the budgeted child process the workers use.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stack import Row, report, summary
from cardgraph.cards.content import validate_content
from cardgraph.cards.models import Card, CardStatus, CardVersion, VersionSource
from cardgraph.hashing import canonical_json, chain_sha256, sha256_hex
from cardgraph.rendering.html import render_card_html
from cardgraph.rendering.pdf import html_to_pdf
from cardgraph.rendering.renderer import PdfRenderer
from tests.support.long_card import long_card, prose

SMALL_RUNS = 25
FULL_CARD = json.loads((Path(__file__).parents[1] / "tests/data/full_card.json").read_text())
TEXT_SIZES = (400, 1_600, 3_200, 12_800, 51_200)


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
    text = canonical_json(validate_content(content))
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


def _html(content: dict[str, Any]) -> str:
    card, version = _version(content)
    return render_card_html(card, version, datetime.now(UTC))


def _seconds(content: dict[str, Any], runs: int) -> float:
    """Median seconds of `runs` renders (HTML and PDF)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        html_to_pdf(_html(content))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _scaling_rows() -> list[Row]:
    html_to_pdf(_html(_small()))  # warm fonts and caches
    base = _seconds({"model_overview": {"model_name": "x"}}, 7)
    rows, seconds = [], {}
    for size in TEXT_SIZES:
        seconds[size] = _seconds({"model_overview": {"problem_type": prose(size, size)}}, 5)
        rows.append(
            Row(
                f"PDF render, one {size:,}-character field",
                f"{seconds[size]:.2f} s ({(seconds[size] - base) * 1000:+.0f} ms over no text)",
            )
        )
    low, mid, high = 3_200, 12_800, 51_200
    first = (seconds[mid] - seconds[low]) / (mid - low) * 10_000
    second = (seconds[high] - seconds[mid]) / (high - mid) * 10_000
    rows.append(
        Row(
            "PDF render time per 10k more chars: 3.2k→12.8k / 12.8k→51.2k",
            f"{first:.2f} / {second:.2f} s",
            ratio=f"{second / first:.2f}" if first > 0 else "",
            target="ratio ≈ 1 (linear; quadratic: 4)",
        )
    )
    eight = {
        "additional_information": {"custom_details": {f"f{i}": prose(1000, i) for i in range(8)}}
    }
    rows.append(Row("PDF render, eight 1,000-character fields", f"{_seconds(eight, 3):.2f} s"))
    token = {"model_overview": {"problem_type": "9f86d081884c7d65" * 313}}
    rows.append(
        Row("PDF render, one 5,008-character unbroken token", f"{_seconds(token, 3):.2f} s")
    )
    card = long_card(90_000)
    size = len(canonical_json(card))
    rows.append(
        Row(f"PDF render, a {size:,}-character card", f"{_seconds(card, 3):.2f} s", target="≤ 5 s")
    )
    return rows


def _small_rows() -> list[Row]:
    html = _html(_small())
    html_to_pdf(html)  # warm fonts and caches
    times = []
    for _ in range(SMALL_RUNS):
        started = time.perf_counter()
        html_to_pdf(_html(_small()))
        times.append((time.perf_counter() - started) * 1000)
    renderer = PdfRenderer(budget_s=60)
    try:
        renderer.render_sync(html)  # starts the render process
        through_child = []
        for _ in range(SMALL_RUNS):
            started = time.perf_counter()
            renderer.render_sync(_html(_small()))
            through_child.append((time.perf_counter() - started) * 1000)
    finally:
        renderer.close()
    ten = _seconds(_ten_groups(), 5)
    return [
        Row(
            "PDF render, small card: p50 / p95",
            f"{summary(times)['p50']:.0f} / {summary(times)['p95']:.0f} ms",
            target="p50 ≤ 200 ms",
        ),
        Row(
            "PDF render, small card via the render process: p50 / p95",
            f"{summary(through_child)['p50']:.0f} / {summary(through_child)['p95']:.0f} ms",
            target="p50 ≤ 200 ms",
        ),
        Row("PDF render, 10 metric groups (40 metrics, 30 charts)", f"{ten * 1000:.0f} ms"),
    ]


def main() -> None:
    """Measure and print."""
    report("pdf_render", [*_scaling_rows(), *_small_rows()])


if __name__ == "__main__":
    main()
