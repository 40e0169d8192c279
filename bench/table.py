"""One table of every benchmark's figures (run last by `make bench`), saved as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stack import RESULTS, Row, print_table

ORDER = (
    "http_load",
    "pdf_render",
    "batch_export",
    "subscription_fanout",
    "revocation_latency",
    "event_loop_hold",
    "cold_list",
    "list_fields",
    "history",
)


def main() -> None:
    """Combine bench/results/*.json into bench/results/all.json and print it."""
    rows: list[Row] = []
    for name in ORDER:
        path = RESULTS / f"{name}.json"
        if path.exists():
            rows.extend(Row(**row) for row in json.loads(path.read_text()))
    print_table("cardgraph benchmarks (one run, one machine)", rows)
    (RESULTS / "all.json").write_text(json.dumps([row.__dict__ for row in rows], indent=2))


if __name__ == "__main__":
    main()
