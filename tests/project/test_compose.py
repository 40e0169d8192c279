"""docker-compose.yml without Docker: every variable a real setting, every command a real
command line, every health check aimed at something that exists, the scaled services
scalable, the artifacts shared, beat once."""

from __future__ import annotations

import re
from typing import Any

import click
import pytest
import yaml
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_cli

from cardgraph.app import create_app
from cardgraph.cli import build_parser
from cardgraph.jobs.names import QUEUES
from cardgraph.settings import Settings
from tests.support.paths import ROOT
from workers.celery_app import celery_app

SCALED = ("api", "worker", "worker-io")  # the services docker-compose.yml says may scale
_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as compose gives it (`${VAR:-default}` with VAR unset)."""
    env = service.get("environment") or {}
    return {name: _DEFAULTED.sub(r"\2", str(value)) for name, value in env.items()}


def _settings(service: dict[str, Any]) -> Settings:
    """The Settings a service's process reads: the image's variables, then the service's."""
    image_env = dict(re.findall(r"(CARDGRAPH_\w+)=(\S+)", (ROOT / "Dockerfile").read_text()))
    env = {**image_env, **_environment(service)}
    return Settings(**{name.removeprefix("CARDGRAPH_").lower(): v for name, v in env.items()})


def _argv(command: Any) -> list[str]:
    assert isinstance(command, list), "exec form, no shell in between"
    return [str(part) for part in command]


def _celery_params(argv: list[str]) -> tuple[str, dict[str, Any]]:
    """Parse a `celery -A workers.celery_app <command> ...` line with Celery's own parser."""
    assert argv[:3] == ["celery", "-A", "workers.celery_app"], argv
    command = celery_cli.commands[argv[3]]
    context = command.make_context(
        argv[3], argv[4:], obj=CLIContext(app=celery_app, no_color=True, workdir=None)
    )
    return argv[3], context.params


def _workers() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in _services().items()
        if service.get("command", [None])[:4] == ["celery", "-A", "workers.celery_app", "worker"]
    }


def test_every_variable_is_a_setting_and_every_environment_is_valid() -> None:
    fields = set(Settings.model_fields)
    for name, service in _services().items():
        for variable in _environment(service):
            assert variable.startswith("CARDGRAPH_"), (name, variable)
            assert variable.removeprefix("CARDGRAPH_").lower() in fields, (name, variable)
        if service.get("build") == ".":
            _settings(service)  # validates every value


def test_links_point_at_the_proxy() -> None:
    for name, service in _services().items():
        if service.get("build") == "." and name != "proxy-cert":
            assert _settings(service).base_url == "https://localhost", name


def test_every_command_parses() -> None:
    subcommands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, service in _services().items():
        if service.get("build") != ".":
            continue
        argv = _argv(service["command"])
        if argv[0] == "cardgraph":
            assert argv[1] in subcommands, name
            build_parser().parse_args(argv[1:])
        elif argv[0] == "celery":
            try:
                _celery_params(argv)
            except click.UsageError as error:
                pytest.fail(f"{name}: {error}")
        else:
            assert argv[:2] == ["python", "/deploy/self_signed_cert.py"], name
            assert (ROOT / "deploy" / "self_signed_cert.py").is_file()


def test_io_and_render_run_in_separate_workers_covering_every_queue() -> None:
    consumed: list[str] = []
    for name, service in _workers().items():
        _, params = _celery_params(_argv(service["command"]))
        assert len(params["queues"]) == 1, f"{name} consumes one queue"
        consumed += params["queues"]
        assert not params.get("beat"), f"{name} runs no scheduler"
    assert sorted(consumed) == sorted(QUEUES)


def test_beat_runs_once() -> None:
    schedulers = []
    for name, service in _services().items():
        command = service.get("command") or []
        if command[:4] == ["celery", "-A", "workers.celery_app", "beat"] or "-B" in command:
            schedulers.append(name)
    assert schedulers == ["beat"]
    assert "beat" not in SCALED
    assert "deploy" not in _services()["beat"]  # no replicas setting either


def test_scaled_services_have_no_fixed_name_or_port() -> None:
    compose_text = (ROOT / "docker-compose.yml").read_text()
    assert "--scale api=3 --scale worker=4" in compose_text
    for name, service in _services().items():
        assert "container_name" not in service, name
        if name in SCALED:
            assert "ports" not in service, name
    published = [name for name, service in _services().items() if "ports" in service]
    assert published == ["proxy"]
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    # Balanced across every replica: `api` re-resolved on Docker's DNS, not once at start.
    assert re.search(r"^\s*resolver 127\.0\.0\.11 valid=\d+s", conf, re.M)
    assert "server api:8000 resolve;" in conf
    assert re.search(r"upstream cardgraph_api \{\s*zone ", conf)


def test_artifacts_are_shared_by_the_api_and_every_worker() -> None:
    compose = _compose()
    mounts = {}
    for name in ("api", *_workers()):
        service = compose["services"][name]
        artifacts_dir = str(_settings(service).artifacts_dir)
        mounted = [v.split(":") for v in service["volumes"] if v.split(":")[1] == artifacts_dir]
        assert len(mounted) == 1, f"{name} mounts nothing at {artifacts_dir}"
        mounts[name] = mounted[0][0]
        assert _settings(service).artifact_bucket is None  # the volume is the store
    assert len(set(mounts.values())) == 1, mounts
    assert next(iter(mounts.values())) in compose["volumes"]  # a named volume
    # The image makes that directory for its user, so the fresh volume is writable.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"mkdir -p {_settings(compose['services']['api']).artifacts_dir}" in dockerfile
    assert "chown -R cardgraph /var/lib/cardgraph" in dockerfile


def test_every_service_has_a_health_check_aimed_at_something_real() -> None:
    services = _services()
    for name, service in services.items():
        assert "healthcheck" in service, name
    # The API's check reads a route the app serves, on the port it listens on.
    api_check = " ".join(services["api"]["healthcheck"]["test"])
    found = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", api_check)
    assert found is not None
    assert int(found.group(1)) == _settings(services["api"]).port
    routes = {getattr(r, "path", None) for r in create_app(Settings()).routes}
    assert found.group(2) in routes
    # Each worker's check pings that worker by its node name, over the broker.
    for name, service in _workers().items():
        argv = _argv(service["command"])
        node = argv[argv.index("-n") + 1]
        assert node.endswith("@%h"), name
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD-SHELL", name
        check = test[1].split()
        _, params = _celery_params(check)
        assert check[3:5] == ["inspect", "ping"], name
        assert params["destination"] == [node.replace("%h", "$$HOSTNAME")], name
    # Beat's check looks at the schedule file beat writes.
    beat = _argv(services["beat"]["command"])
    schedule = beat[beat.index("--schedule") + 1]
    assert f"glob.glob('{schedule}*')" in " ".join(services["beat"]["healthcheck"]["test"])
    # The proxy's check is a location of its plain-HTTP server.
    proxy_check = " ".join(services["proxy"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1(/[\w-]+)", proxy_check)
    assert path is not None
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(rf"listen 80;\s*#[^\n]*\n\s*location = {path.group(1)} \{{", conf)


def test_metrics_reach_prometheus_only_inside() -> None:
    services = _services()
    for name in _workers():
        settings = _settings(services[name])
        assert settings.worker_metrics_port is not None, name
        assert str(settings.worker_metrics_port) in services[name]["expose"], name
        assert settings.host == "0.0.0.0"  # reachable on the compose network  # noqa: S104
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"location = /metrics \{[^}]*return 404", conf)
