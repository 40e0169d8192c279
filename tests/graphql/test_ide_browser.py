"""GraphiQL in a real browser, offline: it renders, runs a query and a subscription.

Chromium comes from Debian (`make test` installs it: deploy/system_packages.sh); without it
these tests fail, saying so, rather than pass unseen. The browser runs with background
networking off and the page's own policy allows same-origin loads only, so a file the IDE
fetched from anywhere else would break it here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardgraph.principals import Role
from tests.support.browser import CHROMIUM, Page, chromium_page
from tests.support.servers import GraphQLClient


@pytest.fixture(autouse=True)
def _chromium_is_installed() -> None:
    if CHROMIUM is None:
        pytest.fail("needs Debian's chromium: run deploy/system_packages.sh test", pytrace=False)


# GraphiQL 3's editors are CodeMirror 5 instances, reachable from their wrapper elements.
EDITOR = "document.querySelector('{} .CodeMirror').CodeMirror"
QUERY = EDITOR.format(".graphiql-query-editor")
# The Headers tab is the one open (the page opens it): its editor is the visible one.
HEADERS = (
    "Array.from(document.querySelectorAll('.graphiql-editor-tool .graphiql-editor'))"
    ".find(e => !e.classList.contains('hidden')).querySelector('.CodeMirror').CodeMirror"
)
RESULT = EDITOR.format(".result-window")


def _ready(page: Page) -> None:
    page.wait_for(
        "!!document.querySelector('.graphiql-query-editor .CodeMirror')"
        " && !!document.querySelector('.graphiql-execute-button')"
    )


def _run(page: Page, query: str, key: str) -> None:
    page.evaluate(
        f"{HEADERS}.setValue({json.dumps(json.dumps({'Authorization': f'Bearer {key}'}))})"
    )
    page.evaluate(f"{QUERY}.setValue({json.dumps(query)})")
    # GraphiQL parses the edited document a moment after the change (a debounce); clicking
    # before that would run the previous document (for a subscription: over HTTP).
    page.evaluate("new Promise(done => setTimeout(done, 1000))")
    page.evaluate(f"{RESULT}.setValue('')")
    page.evaluate("document.querySelector('.graphiql-execute-button').click()")


def _console_errors(page: Page) -> list[str]:
    """Errors the page logged, except the 401s of the introspection GraphiQL sends at load,
    before a key is in the Headers pane."""
    errors = []
    for event in page.events:
        params = event.get("params", {})
        if event.get("method") == "Runtime.exceptionThrown":
            errors.append(str(params))
        elif event.get("method") == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            if not (entry.get("url", "").endswith("/graphql") and "401" in entry["text"]):
                errors.append(str(entry))
    return errors


def test_graphiql_renders_offline_and_runs_a_query(
    api_url: str, keys: dict[Role, str], tmp_path: Path
) -> None:
    with chromium_page(f"{api_url}/", tmp_path / "profile") as page:
        _ready(page)
        assert page.evaluate("location.pathname") == "/graphql"  # `/` led here
        _run(page, "{ viewer { name role } }", keys[Role.EDITOR])
        shown = page.wait_for(f"{RESULT}.getValue().includes('role') && {RESULT}.getValue()")
        page.screenshot(tmp_path / "graphiql-query.png")
        assert json.loads(shown) == {"data": {"viewer": {"name": "test-editor", "role": "EDITOR"}}}
        assert _console_errors(page) == []


def test_graphiql_subscribes_over_websocket(
    api_url: str, keys: dict[Role, str], card_name: str, tmp_path: Path
) -> None:
    with chromium_page(f"{api_url}/graphql", tmp_path / "profile") as page:
        _ready(page)
        subscription = (
            f'subscription {{ cardEvents(name: "{card_name}") {{ kind cardName version }} }}'
        )
        _run(page, subscription, keys[Role.READER])
        editor = GraphQLClient(api_url, keys[Role.EDITOR])
        try:
            shown = ""
            for attempt in range(30):  # until the subscription is live, one card version each
                editor.data(
                    "mutation($n: String!) { createCard(input: {name: $n}) { number } }"
                    if attempt == 0
                    else "mutation($n: String!, $d: String!) { updateCardContent(input: "
                    "{name: $n, contentJson: {model_overview: {model_description: $d}}}) "
                    "{ number } }",
                    {"n": card_name, **({"d": f"attempt {attempt}"} if attempt else {})},
                )
                try:
                    shown = page.wait_for(
                        f"{RESULT}.getValue().includes('VERSION_CREATED') && {RESULT}.getValue()",
                        timeout=2,
                    )
                    break
                except AssertionError:
                    continue
        finally:
            editor.close()
        page.screenshot(tmp_path / "graphiql-subscription.png")
        event = json.loads(shown)["data"]["cardEvents"]
        assert event["kind"] == "VERSION_CREATED" and event["cardName"] == card_name
        assert _console_errors(page) == []
