"""First contact over HTTP: `GET /` leads somewhere, and the IDE page is whole and offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from cardgraph.embedded import free_port
from cardgraph.graphql.ide import ASSET_TYPES
from cardgraph.settings import Settings
from tests.support.servers import running_app

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


class _References(HTMLParser):
    """Every URL an HTML document refers to, and every inline script's text."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "data", "poster") and value is not None:
                self.urls.append((tag, value))
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def _ide_page(api_url: str) -> tuple[httpx.Response, _References]:
    page = httpx.get(f"{api_url}/graphql", headers=BROWSER, timeout=30)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    references = _References()
    references.feed(page.text)
    return page, references


def test_the_ide_page_refers_to_same_origin_files_only(api_url: str) -> None:
    page, references = _ide_page(api_url)
    assert references.urls, "the page loads no files at all"
    for tag, url in references.urls:
        if url.startswith("data:"):
            continue
        resolved = urlsplit(urljoin(f"{api_url}/graphql", url))
        assert (resolved.scheme, resolved.netloc) == tuple(urlsplit(api_url)[:2]), (tag, url)
    # Nothing external anywhere in the text either (a CDN address in a script or style).
    external = re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page.text, flags=re.I)
    assert external == []
    assert references.inline_scripts == []  # the policy allows scripts from this origin only
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy


def test_every_file_of_the_ide_page_answers_with_its_type(api_url: str) -> None:
    _, references = _ide_page(api_url)
    expected = {"script": "text/javascript", "link": "text/css"}
    loaded = []
    for tag, url in references.urls:
        if url.startswith("data:"):
            continue
        response = httpx.get(urljoin(f"{api_url}/graphql", url), timeout=30)
        assert response.status_code == 200, url
        assert response.headers["content-type"].split(";")[0] == expected[tag], url
        assert response.headers["x-content-type-options"] == "nosniff"
        assert len(response.content) > 100, url
        loaded.append(url.rsplit("/", 1)[-1])
    # GraphiQL itself, React, and the start-up script: the page is complete.
    assert {"graphiql.min.js", "react.production.min.js", "graphiql-start.js"} <= set(loaded)
    assert set(loaded) <= set(ASSET_TYPES)


def test_only_the_ide_files_are_served(api_url: str) -> None:
    for name in ("../app.py", "ide.py", "%2e%2e%2fide.py", "missing.js", "__init__.py"):
        response = httpx.get(f"{api_url}/graphiql/{name}", timeout=30)
        assert response.status_code == 404, name
        assert "import" not in response.text
    licences = httpx.get(f"{api_url}/graphiql/THIRD_PARTY_LICENSES.txt", timeout=30)
    assert licences.status_code == 200 and "MIT License" in licences.text


def test_the_root_leads_a_browser_to_the_ide(api_url: str) -> None:
    response = httpx.get(f"{api_url}/", headers=BROWSER, timeout=30, follow_redirects=True)
    assert response.status_code == 200
    assert response.url.path == "/graphql"
    assert "graphiql-start.js" in response.text


def test_without_the_ide_the_root_lists_the_endpoints(settings: Settings) -> None:
    production = settings.model_copy(update={"graphql_ide": False, "port": free_port()})
    with running_app(production) as (url, _):
        root = httpx.get(f"{url}/", timeout=30)
        assert root.status_code == 200
        assert root.json()["graphql"] == "/graphql" and root.json()["health"] == "/healthz"
        assert httpx.get(f"{url}/graphiql/graphiql.min.js", timeout=30).status_code == 404
        page = httpx.get(f"{url}/graphql", headers=BROWSER, timeout=30)
        assert "graphiql" not in page.text.lower()
