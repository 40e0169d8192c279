"""Project files that must stay true to the code: schema.graphql, descriptions, compose file."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from cardgraph.cli import build_parser
from cardgraph.graphql.schema import build_schema
from cardgraph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_schema_graphql_is_current() -> None:
    exported = build_schema(Settings()).as_str() + "\n"
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == exported, "schema.graphql is stale: run `make schema`"


def test_every_type_and_field_is_described() -> None:
    schema = build_schema(Settings())._schema
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
    assert not missing


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_file_parses_and_runs_mongodb_as_a_replica_set() -> None:
    services = _compose()["services"]
    assert set(services) >= {"mongodb", "redis", "api", "worker"}
    assert "--replSet" in services["mongodb"]["command"]
    assert "rs.initiate" in " ".join(services["mongodb"]["healthcheck"]["test"])
    for name in ("api", "worker"):
        assert services[name]["build"] == "."
        assert services[name]["depends_on"]["mongodb"]["condition"] == "service_healthy"
    assert (ROOT / "Dockerfile").is_file()


def test_every_command_the_compose_file_names_exists() -> None:
    services = _compose()["services"]
    subcommands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    dockerfile_cmd = re.search(r"^CMD (.+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert dockerfile_cmd is not None
    commands = [services[s]["command"] for s in ("api", "worker", "beat")]
    commands.append(yaml.safe_load(dockerfile_cmd.group(1)))
    for command in commands:
        argv = command if isinstance(command, list) else shlex.split(command)
        if argv[0] == "cardgraph":
            assert argv[1] in subcommands, argv
        else:
            assert argv[:2] == ["celery", "-A"], argv
            module = importlib.import_module(argv[2])
            assert module.celery_app.main == "cardgraph"
            assert argv[3] in ("worker", "beat"), argv
            if "-Q" in argv:
                queues = argv[argv.index("-Q") + 1].split(",")
                assert {q.name for q in module.celery_app.conf.task_queues} >= set(queues)
            else:
                assert module.celery_app.conf.beat_schedule


def test_compose_environment_uses_only_real_settings() -> None:
    env = _compose()["x-cardgraph-env"]
    fields = set(Settings.model_fields)
    for variable in env:
        assert variable.startswith("CARDGRAPH_")
        assert variable.removeprefix("CARDGRAPH_").lower() in fields, variable


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for field in Settings.model_fields:
        assert f"CARDGRAPH_{field.upper()}" in readme, field


@pytest.mark.parametrize(
    "name", ["README.md", "CHANGELOG.md", "schema.graphql", "Makefile", ".ci/run", "pyproject.toml"]
)
def test_required_files_exist(name: str) -> None:
    assert (ROOT / name).is_file()


def test_make_bench_runs_every_benchmark_script() -> None:
    makefile = (ROOT / "Makefile").read_text()
    line = re.search(r"^BENCHMARKS := (.+)$", makefile, re.M)
    assert line is not None
    listed = set(line.group(1).split())
    runnable = {
        f"bench/{path.name}"
        for path in (ROOT / "bench").glob("*.py")
        if 'if __name__ == "__main__":' in path.read_text() and path.name != "table.py"
    }
    assert listed == runnable
    assert "bench/table.py" in makefile
