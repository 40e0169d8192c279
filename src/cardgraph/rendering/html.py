"""Card version → printable HTML (pure): Jinja2 with autoescape, charts as inline SVG."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from cardgraph.cards.models import Card, CardVersion
from cardgraph.cards.schema import CARD_CONTENT, Arr, Node, Obj, Tagged
from cardgraph.rendering import charts

# Bump when the template or charts change: artifacts are keyed by it, so old renders are reused
# only while they would come out the same.
TEMPLATE_VERSION = "card-pdf-1"

SECTION_TITLES = {
    "model_overview": "Model overview",
    "intended_uses": "Intended uses",
    "business_details": "Business details",
    "training_details": "Training details",
    "evaluation_details": "Evaluation details",
    "additional_information": "Additional information",
    "model_package_details": "Model package details",
}

_environment = Environment(
    loader=PackageLoader("cardgraph.rendering", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _field_names(node: Node) -> set[str]:
    if isinstance(node, Arr):
        return _field_names(node.item)
    if isinstance(node, Tagged):
        return set().union(*(_field_names(v) for v in node.variants.values()))
    if isinstance(node, Obj):
        return set(node.fields).union(*(_field_names(v) for v in node.fields.values()))
    return set()


_SCHEMA_FIELDS = frozenset(_field_names(CARD_CONTENT))


def humanize(key: str) -> str:
    """`model_description` → `Model description`; user keys (custom properties) stay as typed."""
    return key.replace("_", " ").capitalize() if key in _SCHEMA_FIELDS else key


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One metric as a table row, with its picture when it is a chart."""

    name: str
    kind: str
    value: str
    notes: str
    picture: Markup | None


def _metric_row(metric: dict[str, Any]) -> MetricRow:
    kind, value = metric["type"], metric["value"]
    picture = None
    if kind == "bar_chart":
        picture = charts.bar_chart(
            value, metric.get("x_axis_name") or (), metric.get("y_axis_name") or ""
        )
        shown = ", ".join(charts.format_number(v) for v in value)
    elif kind == "linear_graph":
        picture = charts.line_graph(
            value, metric.get("x_axis_name") or "", metric.get("y_axis_name") or ""
        )
        shown = f"{len(value)} points"
    elif kind == "matrix":
        picture = charts.heat_map(
            value, metric.get("x_axis_name") or (), metric.get("y_axis_name") or ()
        )
        shown = " / ".join(" ".join(charts.format_number(v) for v in row) for row in value)
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, int | float):
        shown = charts.format_number(value)
    else:
        shown = str(value)
    return MetricRow(metric["name"], kind, shown, metric.get("notes", ""), picture)


def render_card_html(card: Card, version: CardVersion, generated_at: datetime) -> str:
    """The card version as one self-contained HTML document."""
    content = version.content
    sections = [
        (key, title, content[key])
        for key, title in SECTION_TITLES.items()
        if key in content and key != "evaluation_details"
    ]
    evaluations = [
        {
            **evaluation,
            "groups": [
                {"name": group["name"], "rows": [_metric_row(m) for m in group["metric_data"]]}
                for group in evaluation.get("metric_groups", [])
            ],
        }
        for evaluation in content.get("evaluation_details", [])
    ]
    risk = (content.get("intended_uses") or {}).get("risk_rating")
    return _environment.get_template("card.html.j2").render(
        card=card,
        version=version,
        sections=sections,
        evaluations=evaluations,
        evaluation_title=SECTION_TITLES["evaluation_details"],
        risk=risk,
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        humanize=humanize,
        template_version=TEMPLATE_VERSION,
    )
