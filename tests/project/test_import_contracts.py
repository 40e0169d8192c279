"""The layer rules in pyproject.toml hold, and a change that breaks one fails `lint-imports`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_of_the_code(target: Path) -> Path:
    """The packages and the contracts, copied where an edit cannot touch the checkout."""
    ignore = shutil.ignore_patterns("__pycache__", "ide_assets", "templates")
    shutil.copytree(ROOT / "src", target / "src", ignore=ignore)
    shutil.copytree(ROOT / "workers", target / "workers", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # The copy comes first on the path: grimp must read it, not the installed checkout.
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{tree}"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _add_import(module: Path, line: str) -> None:
    text = module.read_text()
    head, marker, rest = text.partition("from __future__ import annotations\n")
    module.write_text(head + marker + line + "\n" + rest)


def test_the_checkout_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint_imports(_copy_of_the_code(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "src/cardgraph/cards/content_changes.py",
            "from cardgraph.audit import service as _audit_service",
            "Pure modules",
        ),
        (
            "src/cardgraph/rendering/html.py",
            "import pymongo as _pymongo",
            "Pure modules",
        ),
        (
            "src/cardgraph/graphql/cards/types.py",
            "from cardgraph.cards import repository as _repository",
            "GraphQL calls services",
        ),
        (
            "src/cardgraph/cards/models.py",
            "from cardgraph.graphql import context as _context",
            "Packages are layered",
        ),
        (
            "src/cardgraph/events/publisher.py",
            "from cardgraph.jobs import models as _jobs",
            "Packages are layered",
        ),
        (
            "src/cardgraph/jobs/models.py",
            "from workers import celery_app as _celery_app",
            "cardgraph never imports workers",
        ),
        (
            "src/cardgraph/graphql/jobs/types.py",
            "from cardgraph.graphql.cards import inputs as _inputs",
            "No import cycle",
        ),
    ],
)
def test_a_broken_rule_fails(tmp_path: Path, module: str, line: str, contract: str) -> None:
    tree = _copy_of_the_code(tmp_path)
    _add_import(tree / module, line)
    result = _lint_imports(tree)
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
