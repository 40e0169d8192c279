"""Batch export of 200 cards (PDF) with 1 and with 2 worker processes: time and ratio."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stack import Row, report, stack, worker_process
from cardgraph.cards.models import CardFilter
from cardgraph.export.formats import filter_to_json
from cardgraph.jobs.models import JobKind
from cardgraph.principals import Principal, Role
from cardgraph.services import build_services
from cardgraph.settings import Settings
from cardgraph.storage.mongo import create_async_client, ensure_indexes

CARDS = 200
ADMIN = Principal(key_id="bench", name="bench", role=Role.ADMIN)


async def _create_cards(settings: Settings, prefix: str) -> None:
    mongo = create_async_client(settings)
    services = build_services(settings, mongo, None)
    await ensure_indexes(mongo[settings.mongodb_database])
    for i in range(CARDS):
        await services.cards.create_card(
            f"{prefix}-{i:03d}",
            {
                "model_overview": {"model_description": f"Card {i} of the batch benchmark."},
                "intended_uses": {"risk_rating": "Low", "intended_uses": "Benchmarking"},
                "evaluation_details": [
                    {
                        "name": "eval",
                        "metric_groups": [
                            {
                                "name": "g",
                                "metric_data": [
                                    {"name": "accuracy", "type": "number", "value": 0.9},
                                    {
                                        "name": "by segment",
                                        "type": "bar_chart",
                                        "value": [0.8, 0.9, 0.95],
                                    },
                                ],
                            }
                        ],
                    }
                ],
            },
            ADMIN,
        )
    await mongo.close()


async def _export(settings: Settings, prefix: str) -> float:
    mongo = create_async_client(settings)
    services = build_services(settings, mongo, None)
    started = time.perf_counter()
    job = await services.jobs.start(
        JobKind.EXPORT_CARDS,
        {"filter": filter_to_json(CardFilter(name_contains=prefix)), "format": "PDF"},
        ADMIN,
    )
    while True:
        current = await services.jobs.get(job.id)
        assert current is not None
        if current.state.terminal:
            break
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - started
    assert current.state.value == "SUCCEEDED", current.error
    assert current.result is not None and current.result["cards"] == CARDS
    if services.queue is not None:
        services.queue.close()
    await mongo.close()
    return elapsed


def main() -> None:
    """Measure and print."""
    with stack() as running:
        settings = running.settings.model_copy(update={"export_part_size": 10})
        times = {}
        for processes in (1, 2):
            prefix = f"batch{processes}"
            asyncio.run(_create_cards(settings, prefix))
            with worker_process(settings, processes):
                times[processes] = asyncio.run(_export(settings, prefix))
    report(
        "batch_export",
        [
            Row(f"batch export, {CARDS} cards, 1 worker process", f"{times[1]:.1f} s"),
            Row(
                f"batch export, {CARDS} cards, 2 worker processes",
                f"{times[2]:.1f} s",
                f"{times[1]:.1f} s (1 process)",
                f"{times[1] / times[2]:.2f}x faster",
            ),
        ],
    )


if __name__ == "__main__":
    main()
