"""Where the checkout, the test data and the Node.js project are, wherever a test file sits."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
DATA = TESTS / "data"
REFERENCE = DATA / "reference"
METRIC_EXAMPLES = REFERENCE / "metric_examples"
NODE_PROJECT = TESTS / "node"
