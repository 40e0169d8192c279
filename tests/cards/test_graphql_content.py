"""Content over GraphQL: the typed mirror and the JSON form carry the same content."""

from __future__ import annotations

import json
from typing import Any

from strawberry.types.base import get_object_definition

from cardgraph.cards.sagemaker_schema import CARD_CONTENT, Arr, Map, Node, Obj, Tagged
from cardgraph.graphql.cards.content_inputs import CardContentInput, MetricInput
from cardgraph.graphql.cards.content_types import CardContent
from tests.support.cards_api import UPDATE_CONTENT, canonical_sha256, create_card, get_card
from tests.support.factories import full_card
from tests.support.servers import GraphQLClient

FULL_CARD: dict[str, Any] = full_card()


def _field_types(cls: Any) -> dict[str, Any]:
    definition = get_object_definition(cls, strict=True)
    return {f.python_name: f.type for f in definition.fields}


def _unwrap(strawberry_type: Any) -> Any:
    while hasattr(strawberry_type, "of_type"):
        strawberry_type = strawberry_type.of_type
    return strawberry_type


def _assert_mirrors(node: Node, cls: Any, path: str) -> None:
    if isinstance(node, Arr):
        _assert_mirrors(node.item, cls, path)
        return
    if not isinstance(node, Obj) or cls in (MetricInput,) or isinstance(node, Tagged | Map):
        return
    fields = _field_types(cls)
    assert set(fields) == set(node.fields), path
    for name, child in node.fields.items():
        if isinstance(child, Obj | Arr) and not isinstance(child, Map):
            target = _unwrap(fields[name])
            if get_object_definition(target) is not None:
                _assert_mirrors(child, target, f"{path}.{name}")


def test_typed_output_and_input_mirror_every_content_field() -> None:
    _assert_mirrors(CARD_CONTENT, CardContent, "$")
    _assert_mirrors(CARD_CONTENT, CardContentInput, "$")


def test_json_content_round_trips_losslessly(editor: GraphQLClient, card_name: str) -> None:
    version = create_card(editor, card_name, FULL_CARD)
    assert version["contentJson"] == FULL_CARD
    assert version["contentSha256"] == canonical_sha256(FULL_CARD)


TYPED_QUERY = """
query($name: String!) { card(name: $name) { latestVersion { content {
  intendedUses { riskRating }
  trainingDetails { objectiveFunction { function { function facet } } }
  additionalInformation { customDetails { key value } }
  modelPackageDetails { modelApprovalStatus inferenceSpecification { containers { image } } }
  evaluationDetails { name metadata { key value } metricGroups { name metricData {
    __typename
    ... on SimpleMetric { name type numberValue stringValue booleanValue }
    ... on LinearGraphMetric { points xAxisName }
    ... on BarChartMetric { bars xAxisNames }
    ... on MatrixMetric { rows yAxisNames }
  } } }
} } } }
"""


def test_typed_view_of_json_content(editor: GraphQLClient, card_name: str) -> None:
    create_card(editor, card_name, FULL_CARD)
    content = editor.data(TYPED_QUERY, {"name": card_name})["card"]["latestVersion"]["content"]
    assert content["intendedUses"]["riskRating"] == "HIGH"
    assert content["trainingDetails"]["objectiveFunction"]["function"] == {
        "function": "MINIMIZE",
        "facet": "logloss",
    }
    assert {"key": "ticket", "value": "RISK-42"} in (
        content["additionalInformation"]["customDetails"]
    )
    assert content["modelPackageDetails"]["modelApprovalStatus"] == "APPROVED"
    metrics = content["evaluationDetails"][0]["metricGroups"][0]["metricData"]
    assert [m["__typename"] for m in metrics] == [
        "SimpleMetric",
        "SimpleMetric",
        "SimpleMetric",
        "LinearGraphMetric",
        "BarChartMetric",
        "MatrixMetric",
    ]
    assert metrics[0]["numberValue"] == 0.97
    assert metrics[1]["stringValue"] == "fraud"
    assert metrics[2]["booleanValue"] is True
    assert metrics[3]["points"][1] == [0.1, 0.8]
    assert metrics[4]["xAxisNames"] == ["web", "app"]
    assert metrics[5]["rows"] == [[90, 10], [5, 95]]


TYPED_CREATE = """
mutation($name: String!) { createCard(input: { name: $name, content: {
  intendedUses: { riskRating: LOW, intendedUses: "batch scoring" }
  additionalInformation: { customDetails: [{ key: "team", value: "risk" }] }
  evaluationDetails: [{ name: "eval", metadata: [{ key: "k", value: "v" }], metricGroups: [{
    name: "g", metricData: [
      { name: "acc", type: NUMBER, numberValue: 0.5 },
      { name: "ok", type: BOOLEAN, booleanValue: false },
      { name: "roc", type: LINEAR_GRAPH, points: [[0, 0], [1, 1]], xAxisName: "fpr" },
      { name: "bars", type: BAR_CHART, bars: [1, 2], xAxisNames: ["a", "b"], yAxisName: "n" },
      { name: "cm", type: MATRIX, rows: [[1, 2], [3, 4]], xAxisNames: ["p0", "p1"] }
    ] }] }]
} }) { contentJson } }
"""

TYPED_AS_JSON = {
    "intended_uses": {"risk_rating": "Low", "intended_uses": "batch scoring"},
    "additional_information": {"custom_details": {"team": "risk"}},
    "evaluation_details": [
        {
            "name": "eval",
            "metadata": {"k": "v"},
            "metric_groups": [
                {
                    "name": "g",
                    "metric_data": [
                        {"name": "acc", "type": "number", "value": 0.5},
                        {"name": "ok", "type": "boolean", "value": False},
                        {
                            "name": "roc",
                            "type": "linear_graph",
                            "value": [[0, 0], [1, 1]],
                            "x_axis_name": "fpr",
                        },
                        {
                            "name": "bars",
                            "type": "bar_chart",
                            "value": [1, 2],
                            "x_axis_name": ["a", "b"],
                            "y_axis_name": "n",
                        },
                        {
                            "name": "cm",
                            "type": "matrix",
                            "value": [[1, 2], [3, 4]],
                            "x_axis_name": ["p0", "p1"],
                        },
                    ],
                }
            ],
        }
    ],
}


def test_typed_input_equals_json_input(editor: GraphQLClient, card_name: str) -> None:
    typed = editor.data(TYPED_CREATE, {"name": card_name})["createCard"]["contentJson"]
    assert typed == TYPED_AS_JSON
    # The same content sent as JSON is identical: no new version.
    again = editor.data(
        UPDATE_CONTENT, {"input": {"name": card_name, "contentJson": TYPED_AS_JSON}}
    )
    assert again["updateCardContent"]["number"] == 1


def test_typed_metric_with_wrong_value_field(editor: GraphQLClient, card_name: str) -> None:
    query = """mutation($name: String!) { createCard(input: { name: $name, content: {
      evaluationDetails: [{ name: "e", metricGroups: [{ name: "g", metricData: [
        { name: "cm", type: MATRIX, bars: [1] }] }] }] } }) { number } }"""
    error = editor.error(query, {"name": card_name})
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    path = "$.evaluation_details[0].metric_groups[0].metric_data[0].value"
    reasons = [f["reason"] for f in error["extensions"]["fields"] if f["path"] == path]
    assert reasons == ["MATRIX metrics take `rows`, not `bars`", "MATRIX metrics need `rows`"]
    assert get_card(editor, card_name) is None


def test_content_json_may_be_sagemaker_text(editor: GraphQLClient, card_name: str) -> None:
    # SageMaker's API carries content as a JSON string; the same text is accepted here.
    version = create_card(editor, card_name, None, contentJson=json.dumps(FULL_CARD))
    assert version["contentJson"] == FULL_CARD


def test_invalid_update_lists_every_problem_and_writes_nothing(
    editor: GraphQLClient, card_name: str
) -> None:
    create_card(editor, card_name, {"business_details": {}})
    bad = {
        "intended_uses": {"risk_rating": "Severe"},
        "model_overview": {"model_artifact": 3},
        "extra": True,
    }
    error = editor.error(UPDATE_CONTENT, {"input": {"name": card_name, "contentJson": bad}})
    assert error["extensions"]["code"] == "VALIDATION_FAILED"
    assert {f["path"] for f in error["extensions"]["fields"]} == {
        "$.intended_uses.risk_rating",
        "$.model_overview.model_artifact",
        "$.extra",
    }
    assert "Traceback" not in json.dumps(error)
    card = get_card(editor, card_name)
    assert card is not None
    assert card["versions"]["totalCount"] == 1
    assert card["latestVersion"]["contentJson"] == {"business_details": {}}


def test_both_content_forms_at_once_is_a_bad_request(editor: GraphQLClient, card_name: str) -> None:
    query = """mutation($name: String!) { createCard(input: {
      name: $name, content: {}, contentJson: {} }) { number } }"""
    assert editor.error(query, {"name": card_name})["extensions"]["code"] == "BAD_REQUEST"
    assert get_card(editor, card_name) is None
