"""Field-level diffs: each change's JSONPath, resolved by an RFC 9535 implementation we did not
write, selects exactly the value the change reports, before and after."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonpath_rfc9535 as jsonpath
from hypothesis import given, settings
from hypothesis import strategies as st

from cardgraph.cards.field_diff import ChangeKind, FieldChange, changed_sections, diff_content
from tests.support.factories import full_card


def _selected(document: Any, path: str) -> list[Any]:
    return [node.value for node in jsonpath.find(path, document)]


def _assert_paths_select_the_values(
    before: dict[str, Any], after: dict[str, Any], changes: list[FieldChange]
) -> None:
    for change in changes:
        old, new = _selected(before, change.path), _selected(after, change.path)
        if change.kind is ChangeKind.REORDERED:
            assert [i["name"] for i in old[0] if i["name"] in change.before] == change.before
            assert [i["name"] for i in new[0] if i["name"] in change.after] == change.after
            continue
        assert old == ([] if change.kind is ChangeKind.ADDED else [change.before]), change
        assert new == ([] if change.kind is ChangeKind.REMOVED else [change.after]), change


def _evaluation(name: str, accuracy: float) -> dict[str, Any]:
    return {
        "name": name,
        "metric_groups": [
            {
                "name": "binary classification",
                "metric_data": [
                    {"name": "accuracy", "type": "number", "value": accuracy},
                    {"name": "recall", "type": "number", "value": 0.5},
                ],
            }
        ],
    }


def test_named_items_are_matched_by_name_not_position() -> None:
    before = {"evaluation_details": [_evaluation("nightly", 0.9), _evaluation("weekly", 0.8)]}
    after = {
        "evaluation_details": [
            _evaluation("adhoc", 0.7),  # inserted in front
            _evaluation("nightly", 0.9),
            _evaluation("weekly", 0.85),
        ]
    }
    changes = diff_content(before, after)
    assert [(c.path, c.kind, c.before, c.after) for c in changes] == [
        (
            "$.evaluation_details[?@.name=='weekly'].metric_groups"
            "[?@.name=='binary classification'].metric_data[?@.name=='accuracy'].value",
            ChangeKind.CHANGED,
            0.8,
            0.85,
        ),
        (
            "$.evaluation_details[?@.name=='adhoc']",
            ChangeKind.ADDED,
            None,
            _evaluation("adhoc", 0.7),
        ),
    ]
    assert {c.section for c in changes} == {"evaluation_details"}
    _assert_paths_select_the_values(before, after, changes)


def test_reordered_named_items_are_one_change() -> None:
    before = {"evaluation_details": [_evaluation("a", 0.1), _evaluation("b", 0.2)]}
    after = {"evaluation_details": [_evaluation("b", 0.2), _evaluation("a", 0.1)]}
    assert diff_content(before, after) == [
        FieldChange(
            "$.evaluation_details",
            "evaluation_details",
            ChangeKind.REORDERED,
            ["a", "b"],
            ["b", "a"],
        )
    ]


def test_added_and_removed_sections_fields_and_positional_arrays() -> None:
    before = {
        "model_overview": {"model_description": "old", "algorithm_type": "xgboost"},
        "intended_uses": {"risk_rating": "Low"},
        "training_details": {"training_environment": {"container_image": ["a", "b"]}},
    }
    after = {
        "model_overview": {"model_description": "new", "model_creator": "team"},
        "training_details": {"training_environment": {"container_image": ["a"]}},
        "business_details": {"business_problem": "fraud"},
    }
    changes = diff_content(before, after)
    # Sorted, as canonical JSON is; an array holding no object changes as one value.
    assert [(c.path, c.kind) for c in changes] == [
        ("$.business_details", ChangeKind.ADDED),
        ("$.intended_uses", ChangeKind.REMOVED),
        ("$.model_overview.algorithm_type", ChangeKind.REMOVED),
        ("$.model_overview.model_creator", ChangeKind.ADDED),
        ("$.model_overview.model_description", ChangeKind.CHANGED),
        ("$.training_details.training_environment.container_image", ChangeKind.CHANGED),
    ]
    assert changed_sections(before, after) == [
        "business_details",
        "intended_uses",
        "model_overview",
        "training_details",
    ]
    _assert_paths_select_the_values(before, after, changes)


def test_keys_that_are_not_identifiers_are_quoted() -> None:
    before = {"additional_information": {"custom_details": {"owner's team": "a", 'say "hi"': "x"}}}
    after = {"additional_information": {"custom_details": {"owner's team": "b", 'say "hi"': "y"}}}
    changes = diff_content(before, after)
    assert [c.path for c in changes] == [
        "$.additional_information.custom_details['owner\\'s team']",
        "$.additional_information.custom_details['say \"hi\"']",
    ]
    _assert_paths_select_the_values(before, after, changes)


def test_a_value_of_another_type_is_a_change_and_equal_content_has_none() -> None:
    card = full_card()
    assert diff_content(card, copy.deepcopy(card)) == []
    assert changed_sections(card, copy.deepcopy(card)) == []
    before = {"model_overview": {"model_version": 1, "inference_environment": {"flag": True}}}
    after = {"model_overview": {"model_version": 1.0, "inference_environment": {"flag": 1}}}
    assert [c.path for c in diff_content(before, after)] == [
        "$.model_overview.inference_environment.flag",
        "$.model_overview.model_version",
    ]


def test_a_metric_of_fifty_thousand_numbers_changes_as_one_value() -> None:
    before = {"evaluation_details": [_evaluation("nightly", 0.9)]}
    after = copy.deepcopy(before)
    before["evaluation_details"][0]["metric_groups"][0]["metric_data"].append(
        {"name": "chart", "type": "bar_chart", "value": [1] * 50_000}
    )
    after["evaluation_details"][0]["metric_groups"][0]["metric_data"] += [
        {"name": "chart", "type": "bar_chart", "value": [2] * 50_000},
        {"name": "points", "type": "linear_graph", "value": [[0, 1], [1, 2]]},
    ]
    group = (
        "$.evaluation_details[?@.name=='nightly'].metric_groups[?@.name=='binary classification']"
    )
    changes = diff_content(before, after)
    assert [(c.path, c.kind) for c in changes] == [
        (f"{group}.metric_data[?@.name=='chart'].value", ChangeKind.CHANGED),
        (f"{group}.metric_data[?@.name=='points']", ChangeKind.ADDED),
    ]
    _assert_paths_select_the_values(before, after, changes)


JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
NAMES = st.sampled_from(["a", "b", "c", "it's", 'q"'])
KEYS = st.sampled_from(["x", "y", "two words", "it's", "é"])
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(KEYS, inner, max_size=3)
        | st.lists(st.fixed_dictionaries({"name": NAMES, "v": inner}), max_size=3)
    ),
    max_leaves=12,
)
CONTENT = st.dictionaries(st.sampled_from(["s1", "s2", "s3"]), JSON_VALUES, max_size=3)


@settings(max_examples=300, deadline=None)
@given(CONTENT, CONTENT)
def test_every_path_selects_its_values_in_random_content(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    changes = diff_content(before, after)
    _assert_paths_select_the_values(before, after, changes)
    assert (changes == []) == (
        json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True)
    )
    assert {c.section for c in changes} == set(changed_sections(before, after))
