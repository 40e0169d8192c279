"""Fixtures of the tests that run an API on a stack of their own (each defines `isolated`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cardgraph.principals import Role
from cardgraph.settings import Settings
from tests.support.isolated_stack import database_of, issue_key


@pytest.fixture
def isolated_editor_key(isolated: tuple[Settings, str]) -> str:
    """An editor key in the isolated stack's own database."""
    return issue_key(isolated[0], Role.EDITOR)


@pytest.fixture
def isolated_db(isolated: tuple[Settings, str]) -> Iterator[Any]:
    """A sync handle on the isolated stack's own database."""
    with database_of(isolated[0]) as database:
        yield database
