"""The wheel works as the Docker image installs it: non-editable, from the lock, alone.

The image copies pyproject.toml, README.md, requirements.lock, src/ and workers/, then runs
`pip install --require-hashes -r requirements.lock` and `pip install --no-deps .`. This test
does the same in a fresh virtualenv outside the working tree (the locked set through uv, which
reads the same hash-pinned file from its cache in seconds; cardgraph through pip, which builds
the wheel in an isolated environment as the image's `pip install .` does), and then uses the
installed package only: no editable finder, no working tree on sys.path (`python -I`, run
from another folder).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from cardgraph.embedded import EmbeddedServer, free_port
from tests.support.paths import ROOT

# Builds the wheel and installs it in a new virtualenv, then runs the command from it.
pytestmark = pytest.mark.servers

DOCKER_COPIES = ("pyproject.toml", "README.md", "requirements.lock", "src", "workers")
PACKAGES = ("cardgraph", "workers")
UV = Path(sys.executable).parent / "uv"


@dataclass(frozen=True)
class Installed:
    """A virtualenv holding the locked runtime set and cardgraph's wheel."""

    work: Path
    wheel: Path
    venv: Path

    @property
    def python(self) -> Path:
        """The virtualenv's interpreter."""
        return self.venv / "bin" / "python"

    def run(self, *args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a command with nothing of the working tree in reach; fail on a non-zero exit."""
        return _run([str(a) for a in args], cwd=self.work, timeout=timeout)

    def python_script(self, script: str, *args: str) -> str:
        """Run `script` isolated (`-I`) in the virtualenv; its standard output."""
        return self.run(self.python, "-I", "-c", script, *args).stdout


def _clean_env() -> dict[str, str]:
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("CARDGRAPH_")}


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel and install it the Dockerfile's way into a new virtualenv."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # what the Dockerfile copies, without caches or build leftovers
    leftovers = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in DOCKER_COPIES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=leftovers)
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=work)
    python = str(venv / "bin" / "python")
    lock = str(source / "requirements.lock")
    locked = ["pip", "install", "--quiet", "--python", python, "--require-hashes", "-r", lock]
    _run([str(UV), *locked], cwd=work, timeout=300)
    pip = [sys.executable, "-m", "pip", "--python", python, "--disable-pip-version-check"]
    dist = work / "dist"
    build = ["wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(source)]
    _run([*pip, *build], cwd=work, timeout=300)
    (wheel,) = dist.glob("cardgraph-*.whl")
    _run([*pip, "install", "--quiet", "--no-deps", str(wheel)], cwd=work)
    _run([*pip, "check"], cwd=work)
    return Installed(work, wheel, venv)


def _data_files(package: str) -> set[str]:
    """Every file of a source package that is not Python source or bytecode."""
    base = ROOT / ("src" if package == "cardgraph" else "") / package
    return {
        str(path.relative_to(base.parent))
        for path in base.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }


def test_the_wheel_holds_every_file_of_the_packages(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    data = set().union(*(_data_files(package) for package in PACKAGES))
    assert {"cardgraph/py.typed", "cardgraph/rendering/templates/card.html.j2"} <= data
    assert data - names == set(), "files of the source tree the wheel leaves out"
    sources = {
        str(path.relative_to(ROOT / "src" if package == "cardgraph" else ROOT))
        for package in PACKAGES
        for path in (ROOT / ("src" if package == "cardgraph" else "") / package).rglob("*.py")
    }
    assert sources - names == set(), "modules the wheel leaves out"


def test_the_installed_package_is_the_wheel_not_the_working_tree(installed: Installed) -> None:
    found = json.loads(
        installed.python_script(
            "import json, sys, cardgraph, workers\n"
            "from importlib.metadata import distribution\n"
            "print(json.dumps({'cardgraph': cardgraph.__file__, 'workers': workers.__file__,\n"
            "    'path': sys.path, 'direct_url': distribution('cardgraph').read_text("
            "'direct_url.json')}))"
        )
    )
    for package in PACKAGES:
        assert Path(found[package]).is_relative_to(installed.venv), found[package]
    assert not any(str(ROOT) in entry for entry in found["path"]), found["path"]
    # A wheel install, not an editable one (pip records `dir_info.editable` for those).
    assert "editable" not in found["direct_url"]
    site = next((installed.venv / "lib").glob("python3*/site-packages"))
    assert not list(site.glob("__editable__*")), "an editable finder in the new virtualenv"


def test_every_module_imports_from_the_installed_package(installed: Installed) -> None:
    walk = (
        "import importlib, json, pkgutil, sys\n"
        "done, failed = [], {}\n"
        "for top in sys.argv[1:]:\n"
        "    package = importlib.import_module(top)\n"
        "    for module in pkgutil.walk_packages(package.__path__, top + '.'):\n"
        "        try:\n"
        "            importlib.import_module(module.name)\n"
        "            done.append(module.name)\n"
        "        except Exception as error:\n"
        "            failed[module.name] = repr(error)\n"
        "print(json.dumps({'done': done, 'failed': failed}))\n"
    )
    result = json.loads(installed.python_script(walk, *PACKAGES))
    assert result["failed"] == {}
    expected = {
        ".".join(path.relative_to(base).with_suffix("").parts).removesuffix(".__init__")
        for package in PACKAGES
        for base in [ROOT / "src" if package == "cardgraph" else ROOT]
        for path in (base / package).rglob("*.py")
        if path.name != "__init__.py" or path.parent != base / package
    }
    assert expected - set(result["done"]) == set()


def test_the_command_runs(installed: Installed) -> None:
    done = installed.run(installed.venv / "bin" / "cardgraph", "--help")
    assert "create-api-key" in done.stdout and "Traceback" not in done.stderr


def test_a_pdf_renders_from_the_installed_package(installed: Installed) -> None:
    content = (ROOT / "tests" / "data" / "full_card.json").read_text()
    output = installed.work / "card.pdf"
    render = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from cardgraph.hashing import canonical_json\n"
        "from cardgraph.cards.ledger_entries import chained_version\n"
        "from cardgraph.cards.models import Card, CardStatus, VersionSource\n"
        "from cardgraph.rendering.html import render_card_html\n"
        "from cardgraph.rendering.renderer import PdfRenderer\n"
        "import json\n"
        "now = datetime.now(UTC)\n"
        "text = canonical_json(json.loads(open(sys.argv[1]).read()))\n"
        "card = Card(id='c1', name='wheel-card', arn='arn:wheel', created_at=now,\n"
        "    created_by='test', updated_at=now, latest_version=1, status=CardStatus.DRAFT,\n"
        "    risk_rating=None, model_package_group=None)\n"
        "version = chained_version('c1', 'wheel-card', 1, text, CardStatus.DRAFT, None,\n"
        "    'test', now, VersionSource.MANUAL)\n"
        "renderer = PdfRenderer(120.0)\n"
        "pdf = renderer.render_sync(render_card_html(card, version, now))\n"
        "open(sys.argv[2], 'wb').write(pdf)\n"
        "renderer.close()\n"
    )
    source = installed.work / "full_card.json"
    source.write_text(content)
    installed.python_script(render, str(source), str(output))
    pdf = output.read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(output).pages)
    assert "wheel-card" in text
    assert json.loads(content)["model_overview"]["model_description"][:40] in " ".join(text.split())


@pytest.fixture
def installed_api(installed: Installed, mongodb_server: EmbeddedServer) -> Iterator[str]:
    """`cardgraph serve` of the virtualenv, with the IDE on, against the test database."""
    port = free_port()
    env = {
        **_clean_env(),
        "CARDGRAPH_MONGODB_URL": mongodb_server.url,
        "CARDGRAPH_MONGODB_DATABASE": "cardgraph_wheel_test",
        "CARDGRAPH_PORT": str(port),
        "CARDGRAPH_GRAPHQL_IDE": "true",
        "CARDGRAPH_DATA_DIR": str(installed.work / "data"),
    }
    log = (installed.work / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(installed.venv / "bin" / "cardgraph"), "serve"],
        cwd=installed.work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (installed.work / "serve.log").read_text()
            try:
                httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the installed API did not start"
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def test_the_installed_api_serves_the_ide_from_the_package(installed_api: str) -> None:
    page = httpx.get(f"{installed_api}/graphql", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200
    for name in ("graphiql.min.js", "graphiql.min.css", "graphiql-start.js"):
        asset = httpx.get(f"{installed_api}/graphiql/{name}", timeout=30)
        assert asset.status_code == 200, name
        assert name in page.text
