"""The README tells the truth: every error code is listed, and its examples run as written."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

from cardgraph.principals import Role
from tests.support.paths import ROOT
from tests.support.servers import GraphQLClient

README = (ROOT / "README.md").read_text()
SOURCE_DIRS = (ROOT / "src" / "cardgraph", ROOT / "workers")
README_URL = "http://127.0.0.1:8000"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)


def _code_constants(node: ast.AST, names: dict[str, str] | None = None) -> set[str]:
    """Code-like strings in `node`, literal or through a module constant (`X = "X"`)."""
    found_values = (
        found.value if isinstance(found, ast.Constant) else (names or {}).get(found.id)
        for found in ast.walk(node)
        if isinstance(found, ast.Constant | ast.Name)
    )
    return {
        value
        for value in found_values
        if isinstance(value, str) and re.fullmatch(r"[A-Z][A-Z_]{2,}", value)
    }


def _module_constants(tree: ast.Module) -> dict[str, str]:
    return {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _codes_in(tree: ast.Module) -> set[str]:
    """Codes a client can see: `code = "…"` on error classes, `JobError("…", …)`, `code="…"`."""
    names = _module_constants(tree)
    codes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "code" for t in targets) and node.value:
                codes |= _code_constants(node.value)
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name == "JobError" and node.args:
                codes |= _code_constants(node.args[0], names)
            codes |= {
                code
                for keyword in node.keywords
                if keyword.arg == "code"
                for code in _code_constants(keyword.value)
            }
    return codes


def source_error_codes() -> set[str]:
    """Every error code the service's source can put in front of a client."""
    codes: set[str] = set()
    for directory in SOURCE_DIRS:
        for path in directory.rglob("*.py"):
            codes |= _codes_in(ast.parse(path.read_text(), filename=str(path)))
    return codes


def readme_error_codes() -> set[str]:
    """The codes of the README's error table."""
    table = README[README.index("| code | meaning |") :].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))


def test_the_source_scan_finds_the_codes_it_is_meant_to() -> None:
    # The scan itself must see class attributes, job errors and keywords, or the next test is empty.
    codes = source_error_codes()
    expected = {"VALIDATION_FAILED", "POLICY_VIOLATION", "TIMEOUT", "WORKER_LOST", "NOT_FOUND"}
    assert expected <= codes


def test_every_error_code_is_in_the_readme_and_no_other() -> None:
    source, readme = source_error_codes(), readme_error_codes()
    assert source - readme == set(), "codes the README's error table does not list"
    assert readme - source == set(), "codes the README lists that nothing returns"


def test_no_example_has_a_placeholder() -> None:
    for block in _blocks("graphql") + _blocks("sh"):
        assert "..." not in block and not re.search(r"<[a-z][a-z -]*>", block), block


@pytest.mark.usefixtures("worker")
def test_the_examples_run_as_written(
    api_url: str, keys: dict[Role, str], admin: GraphQLClient, tmp_path: Path
) -> None:
    """The `curl` block, then every `graphql` block in order, each without an error."""
    if admin.data('{ card(name: "fraud-detector") { name } }')["card"] is not None:
        pytest.fail("another test made the README's card; the examples need a fresh name")
    (tmp_path / ".cardgraph").mkdir()
    (tmp_path / ".cardgraph" / "admin.key").write_text(keys[Role.ADMIN])
    shell_blocks = [block for block in _blocks("sh") if "curl" in block]
    assert shell_blocks, "the README's curl example is gone"
    for block in shell_blocks:
        script = block.replace(README_URL, api_url)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert '"errors"' not in done.stdout and '"data"' in done.stdout, done.stdout
    graphql_blocks = _blocks("graphql")
    assert len(graphql_blocks) >= 2
    for block in graphql_blocks:
        body = admin.execute(block)
        assert "errors" not in body, (block, body)
    card = admin.data('{ card(name: "fraud-detector") { status latestVersion { number } } }')
    assert card["card"] == {"status": "PENDING_REVIEW", "latestVersion": {"number": 2}}
