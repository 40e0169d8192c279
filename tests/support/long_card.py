"""Long, legal model cards (every section full, prose in its text fields) for tests and bench."""

from __future__ import annotations

import random
from typing import Any

from cardgraph.cards.content import validate_content
from cardgraph.hashing import canonical_json

_TEXT = (
    "the model scores card payments for fraud risk using transaction history merchant data and "
    "device signals; thresholds were tuned on holdout data from three regions, and reviewers "
    "checked calibration, drift, fairness across customer segments and the cost of false "
    "declines before approving the release for online and in-store traffic"
)
_WORDS = _TEXT.split()


def prose(chars: int, seed: int = 0) -> str:
    """Readable English-like text of exactly `chars` characters."""
    rng = random.Random(seed)
    words: list[str] = []
    length = 0
    while length < chars:
        word = rng.choice(_WORDS)
        words.append(word)
        length += len(word) + 1
    return (" ".join(words)[: chars - 1].rstrip() + ".").ljust(chars, ".")


def long_card(total_chars: int = 90_000) -> dict[str, Any]:
    """A valid card whose canonical JSON is close to `total_chars` (at most 100,000)."""
    metric_groups = [
        {
            "name": f"segment {g}",
            "metric_data": [
                {
                    "name": "accuracy",
                    "type": "number",
                    "value": 0.9 + g / 100,
                    "notes": prose(200, g),
                },
                {
                    "name": "roc",
                    "type": "linear_graph",
                    "value": [[i / 20, (i / 20) ** 0.4] for i in range(21)],
                    "x_axis_name": "false positive rate",
                    "y_axis_name": "true positive rate",
                },
                {
                    "name": "recall by region",
                    "type": "bar_chart",
                    "value": [0.81, 0.86, 0.9, 0.93, 0.77],
                    "x_axis_name": ["north", "south", "east", "west", "online"],
                    "y_axis_name": "recall",
                },
                {
                    "name": "confusion",
                    "type": "matrix",
                    "value": [[812, 31, 7], [25, 640, 12], [9, 14, 702]],
                    "x_axis_name": ["legit", "review", "fraud"],
                    "y_axis_name": ["legit", "review", "fraud"],
                },
            ],
        }
        for g in range(3)
    ]
    content: dict[str, Any] = {
        "model_overview": {
            "model_description": prose(1024, 1),
            "model_owner": "risk-ml",
            "model_creator": "Ada Lovelace",
            "problem_type": "Binary classification",
            "algorithm_type": "XGBoost",
            "model_id": "arn:aws:sagemaker:us-east-1:123456789012:model/fraud",
            "model_artifact": [f"s3://models/fraud/v{i}/model.tar.gz" for i in range(15)],
            "model_name": "fraud",
            "model_version": 3,
        },
        "intended_uses": {
            "purpose_of_model": prose(2048, 2),
            "intended_uses": prose(2048, 3),
            "factors_affecting_model_efficiency": prose(2048, 4),
            "risk_rating": "High",
            "explanations_for_risk_rating": prose(2048, 5),
        },
        "business_details": {
            "business_problem": prose(2048, 6),
            "business_stakeholders": prose(2048, 7),
            "line_of_business": prose(2048, 8),
        },
        "training_details": {
            "objective_function": {
                "function": {"function": "Minimize", "facet": "logloss", "condition": "valid"},
                "notes": prose(1024, 9),
            },
            "training_observations": prose(1024, 10),
            "training_job_details": {
                "training_arn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/fraud",
                "training_datasets": [f"s3://data/train-{i}.csv" for i in range(5)],
                "training_metrics": [
                    {"name": f"train:metric{i}", "value": i / 50, "notes": prose(120, i)}
                    for i in range(50)
                ],
                "hyper_parameters": [
                    {"name": f"param_{i}", "value": prose(60, 100 + i)} for i in range(100)
                ],
            },
        },
        "evaluation_details": [
            {
                "name": f"holdout-2026-{e + 1:02d}",
                "evaluation_observation": prose(2000, 20 + e),
                "datasets": [f"s3://data/holdout-{e}.csv"],
                "metadata": {"owner": "risk-ml", "region": "eu"},
                "metric_groups": metric_groups,
            }
            for e in range(2)
        ],
        "additional_information": {
            "ethical_considerations": prose(2048, 30),
            "caveats_and_recommendations": prose(2048, 31),
            "custom_details": {},
        },
    }
    details = content["additional_information"]["custom_details"]
    index = 0
    while len(canonical_json(content)) < total_chars - 1100:
        # Marked at both ends, so a test can find where each note starts and ends.
        details[f"review note {index}"] = f"start-{index} {prose(970, 40 + index)} end-{index}"
        index += 1
    missing = total_chars - len(canonical_json(content)) - 40
    if missing > 0:
        details["last note"] = prose(min(missing, 1000), 99)
    return validate_content(content)
