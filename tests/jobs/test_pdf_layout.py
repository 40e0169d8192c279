"""What the PDF looks like: the schema's order and titles, rows kept whole, round chart ticks."""

from __future__ import annotations

import io
import itertools
import json
import re
from typing import Any

import httpx
import pypdf
import pytest

from cardgraph.cards.sagemaker_schema import CARD_CONTENT, MODEL_OVERVIEW, TRAINING_DETAILS
from cardgraph.principals import Role
from cardgraph.rendering import charts
from cardgraph.rendering.html import SECTION_TITLES
from cardgraph.rendering.layout import ZERO_WIDTH_SPACE, breakable, title_of
from cardgraph.rendering.ticks import nice_ticks
from tests.support.cards_api import create_card
from tests.support.factories import full_card
from tests.support.jobs_api import export_pdf
from tests.support.long_card import long_card
from tests.support.servers import GraphQLClient

FULL_CARD: dict[str, Any] = full_card()


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0, 0.95, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0, 95, [0, 20, 40, 60, 80, 100]),
        (0.8, 0.95, [0.8, 0.85, 0.9, 0.95]),
        (-0.05, 0, [-0.06, -0.04, -0.02, 0]),
        (0, 1e-5, [0, 2e-6, 4e-6, 6e-6, 8e-6, 1e-5]),
        (5, 5, [2, 4, 6, 8]),
        (0, 0, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (7, 3, [3, 4, 5, 6, 7]),
    ],
)
def test_nice_ticks_are_round_and_cover_the_range(
    low: float, high: float, ticks: list[float]
) -> None:
    assert nice_ticks(low, high) == ticks


@pytest.mark.parametrize(
    ("low", "high"), [(0, 0.95), (-3.7, 12.2), (0.001, 0.0013), (0, 1234567), (-1e300, 1e300)]
)
def test_nice_ticks_print_short(low: float, high: float) -> None:
    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    assert 3 <= len(ticks) <= 12
    steps = {f"{b - a:.6g}" for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1  # evenly spaced
    assert all(float(f"{t:.2g}") == t for t in ticks)  # two digits at most: 0.2, not 0.2375


def _labels(svg: str) -> list[str]:
    return re.findall(r">([^<>]+)</text>", svg)


def test_bar_chart_axis_has_round_ticks() -> None:
    labels = _labels(charts.bar_chart([0.9, 0.95], ["web", "app"], "accuracy"))
    assert labels[:6] == ["0", "0.2", "0.4", "0.6", "0.8", "1"]
    assert "0.2375" not in labels


def test_line_graph_has_several_round_ticks_on_both_axes() -> None:
    labels = _labels(charts.line_graph([[0, 0], [0.1, 0.8], [1, 1]], "FPR", "TPR"))
    # y axis first, then x: six ticks each, not just 0 and 1.
    assert labels.count("0.4") == 2 and labels.count("0.8") == 2
    assert labels.count("0") == 2 and labels.count("1") == 2


def test_a_small_heat_map_is_large_enough_to_read() -> None:
    svg = charts.heat_map([[90, 10], [5, 95]], ["pred 0", "pred 1"], ["true 0", "true 1"])
    cells = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert len(cells) == 4 and min(cells) >= 60
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)[1:]]
    assert sizes and min(sizes) >= 10


def test_titles_are_human() -> None:
    assert title_of("model_id") == "Model ID"
    assert title_of("training_arn") == "Training ARN"
    assert title_of("model_data_url") == "Model data URL"
    assert title_of("factors_affecting_model_efficiency") == "Factors affecting model efficiency"


def test_long_unbroken_runs_get_break_opportunities() -> None:
    assert breakable("Caveats and recommendations, as written") == (
        "Caveats and recommendations, as written"
    )
    token = "f" * 5000
    broken = breakable(token)
    assert broken.replace(ZERO_WIDTH_SPACE, "") == token
    assert max(len(piece) for piece in broken.split(ZERO_WIDTH_SPACE)) <= 24
    # Never between a letter and its combining accent.
    accented = "e\u0301" * 40
    assert f"{ZERO_WIDTH_SPACE}\u0301" not in breakable(accented)


def _pages(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def _export(editor: GraphQLClient, name: str, content: dict[str, Any], key: str) -> bytes:
    create_card(editor, name, content)
    job = export_pdf(editor, name)
    assert job["state"] == "SUCCEEDED", job["error"]
    response = httpx.get(job["result"]["downloadUrl"], headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    return response.content


def _in_order(text: str, titles: list[str]) -> list[int]:
    positions = [text.find(title) for title in titles]
    assert -1 not in positions, [t for t, p in zip(titles, positions, strict=True) if p < 0]
    return positions


@pytest.mark.usefixtures("worker")
def test_sections_and_fields_print_in_the_schemas_order(
    editor: GraphQLClient, keys: dict[Role, str], card_name: str
) -> None:
    text = " ".join(_pages(_export(editor, card_name, FULL_CARD, keys[Role.READER])))
    sections = [SECTION_TITLES[key] for key in CARD_CONTENT.fields]
    positions = _in_order(text, sections)
    assert positions == sorted(positions), "sections are not in SageMaker's order"
    overview = text[positions[0] : positions[1]]
    fields = [title_of(key) for key in MODEL_OVERVIEW.fields if key != "inference_environment"]
    field_positions = _in_order(overview, fields)
    assert field_positions == sorted(field_positions), "fields are not in SageMaker's order"
    training = text[positions[3] : positions[4]]
    nested = ["Objective function", "Training observations", "Training job details"]
    assert list(TRAINING_DETAILS.fields) == [
        "objective_function",
        "training_observations",
        "training_job_details",
    ]
    nested_positions = _in_order(training, nested)
    assert nested_positions == sorted(nested_positions)
    assert "Function · Facet logloss" in training  # a third level folds into labelled rows


@pytest.mark.usefixtures("worker")
def test_a_long_card_keeps_every_row_on_one_page(
    editor: GraphQLClient, keys: dict[Role, str], card_name: str
) -> None:
    content = long_card(90_000)
    notes = content["additional_information"]["custom_details"]
    assert len(json.dumps(content)) > 88_000 and len(notes) > 30
    pages = _pages(_export(editor, card_name, content, keys[Role.READER]))
    assert len(pages) > 20

    def page_of(pattern: str) -> int:
        found = [i for i, page in enumerate(pages) if re.search(pattern, page)]
        assert len(found) == 1, (pattern, found)
        return found[0]

    for index in range(len(notes) - 1):  # each note: its name, its first and last words
        name = page_of(rf"review note {index}(?!\d)")
        assert page_of(rf"start-{index}(?!\d)") == name, f"note {index} split from its name"
        assert page_of(rf"end-{index}(?!\d)") == name, f"note {index} split across pages"


@pytest.mark.usefixtures("worker")
def test_a_5000_character_token_wraps_inside_the_page(
    editor: GraphQLClient, keys: dict[Role, str], card_name: str
) -> None:
    token = "9f86d081884c7d65" * 313
    content = {"model_overview": {"problem_type": token, "model_name": "after the token"}}
    data = _export(editor, card_name, content, keys[Role.READER])
    reader = pypdf.PdfReader(io.BytesIO(data))
    lines = [line for page in reader.pages for line in (page.extract_text() or "").splitlines()]
    token_lines = [line for line in lines if "9f86d0" in line or "884c7d65" in line]
    assert len(token_lines) > 40  # wrapped, not one clipped line
    assert max(len(line) for line in token_lines) <= 110  # a line of the page holds ~95
    assert token in "".join(line.strip() for line in token_lines).replace("Problem type", "")
    assert "after the token" in " ".join(lines)
