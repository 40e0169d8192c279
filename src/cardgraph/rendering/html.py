"""Card version → printable HTML (pure): Jinja2 with autoescape, charts as inline SVG."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from cardgraph.cards.models import Card, CardVersion, SectionProvenance, VersionSource
from cardgraph.cards.provenance import shown_provenance
from cardgraph.cards.sagemaker_schema import CARD_CONTENT, EVALUATION_DETAIL, Arr, Obj
from cardgraph.ledger.signing import Checkpoint
from cardgraph.rendering import charts
from cardgraph.rendering.layout import Block, blocks, breakable, fits_a_page, title_of

# Bump when the template or charts change. Artifacts are keyed by the printed HTML itself as
# well (`PrintedCard.sha256`), so this only matters for changes the HTML does not show (CSS
# handled differently by a new WeasyPrint, say).
TEMPLATE_VERSION = "card-pdf-4"

# Section titles in the schema's order (SageMaker's), which is also the order they print in.
SECTION_TITLES = {
    "model_overview": "Model overview",
    "intended_uses": "Intended uses",
    "business_details": "Business details",
    "training_details": "Training details",
    "evaluation_details": "Evaluation details",
    "additional_information": "Additional information",
    "model_package_details": "Model package details",
}
assert list(SECTION_TITLES) == list(CARD_CONTENT.fields), "sections print in the schema's order"

# Stands in for the generation time until a render: the only part of a page that may differ
# between two renders of the same facts. Card text cannot produce it (autoescape turns `<`
# into `&lt;`), so exactly one occurrence is ours.
_GENERATED_AT = "<!--cardgraph:generated-at-->"

_environment = Environment(
    loader=PackageLoader("cardgraph.rendering", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["breakable"] = breakable
_environment.globals["zip"] = zip


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One metric as a table row, with its picture when it is a chart."""

    name: str
    kind: str
    value: str
    notes: str
    picture: Markup | None

    @property
    def keep(self) -> bool:
        """Whether the row is kept whole on one page."""
        return fits_a_page((self.name, self.value, self.notes))


@dataclass(frozen=True, slots=True)
class MetricGroup:
    """A named group of metrics: a table, then the pictures of its charts."""

    name: str
    rows: tuple[MetricRow, ...]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One evaluation: its fields, then its metric groups."""

    name: str
    blocks: tuple[Block, ...]
    groups: tuple[MetricGroup, ...]


@dataclass(frozen=True, slots=True)
class Section:
    """One top-level section; evaluation details have evaluations instead of blocks."""

    key: str
    title: str
    blocks: tuple[Block, ...] = ()
    evaluations: tuple[Evaluation, ...] = ()


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
        cells = sum(len(row) for row in value)
        shown = (
            " / ".join(" ".join(charts.format_number(v) for v in row) for row in value)
            if cells <= 16  # a larger matrix is read from its heat map
            else f"{len(value)} x {max(len(row) for row in value)} matrix"
        )
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, int | float):
        shown = charts.format_number(value)
    else:
        shown = str(value)
    return MetricRow(metric["name"], kind, shown, metric.get("notes", ""), picture)


def _evaluation(evaluation: dict[str, Any]) -> Evaluation:
    groups = tuple(
        MetricGroup(group["name"], tuple(_metric_row(m) for m in group["metric_data"]))
        for group in evaluation.get("metric_groups", [])
    )
    fields = blocks(EVALUATION_DETAIL, evaluation, skip=("name", "metric_groups"))
    return Evaluation(evaluation["name"], tuple(fields), groups)


def sections_of(content: dict[str, Any]) -> list[Section]:
    """The sections with content, in the schema's order."""
    out = []
    for key, node in CARD_CONTENT.fields.items():
        value = content.get(key)
        if not value:
            continue
        title = SECTION_TITLES.get(key) or title_of(key)
        if isinstance(node, Arr):  # evaluation details
            out.append(Section(key, title, evaluations=tuple(_evaluation(e) for e in value)))
        elif isinstance(node, Obj):
            out.append(Section(key, title, tuple(blocks(node, value))))
    return out


@dataclass(frozen=True, slots=True)
class PrintedCard:
    """A version's HTML with the generation time left out: what every page will show."""

    template: str

    @property
    def sha256(self) -> str:
        """Hash of everything the PDF shows but its generation time (its reuse key)."""
        return hashlib.sha256(self.template.encode()).hexdigest()

    def html(self, generated_at: datetime) -> str:
        """The document, generated at `generated_at`."""
        return self.template.replace(
            _GENERATED_AT, generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"), 1
        )


_SOURCE_WORDS = {
    VersionSource.MANUAL: "typed by hand",
    VersionSource.AUTOPOPULATE: "autopopulated from SageMaker",
    VersionSource.METRICS: "ingested from a metrics file",
    VersionSource.PACKAGE_SYNC: "written by model package sync",
}
# What a write read, in the words a reader of the PDF needs, in this order.
_DETAIL_WORDS = (
    ("sagemakerArn", "described"),
    ("describedAt", "at"),
    ("modelPackageArn", "package"),
    ("copiedFrom", "copied from"),
    ("s3Uri", "file"),
    ("etag", "ETag"),
    ("sha256", "SHA-256"),
)


def provenance_line(entry: SectionProvenance) -> str:
    """One section's provenance as a sentence: how, by whom, when, in which version, from what."""
    words = [
        f"{_SOURCE_WORDS[entry.source].capitalize()} by {entry.actor}",
        f"in version {entry.version}, {entry.at.strftime('%Y-%m-%d %H:%M UTC')}",
    ]
    details = dict(entry.details)
    if details.get("describedAt"):
        described = datetime.fromisoformat(details["describedAt"])
        details["describedAt"] = described.strftime("%Y-%m-%d %H:%M:%S UTC")
    words += [f"{label} {details[key]}" for key, label in _DETAIL_WORDS if details.get(key)]
    if not entry.recorded:
        words.append("inferred: written before provenance was recorded")
    return " · ".join(words)


def printed_card(
    card: Card, version: CardVersion, checkpoint: Checkpoint | None = None
) -> PrintedCard:
    """The card version as one self-contained HTML document (generation time left out), with
    the card's signed checkpoint if given."""
    content = version.content
    risk = (content.get("intended_uses") or {}).get("risk_rating")
    html = _environment.get_template("card.html.j2").render(
        card=card,
        version=version,
        sections=sections_of(content),
        risk=risk,
        checkpoint=checkpoint,
        provenance={p.section: provenance_line(p) for p in shown_provenance(version)},
        generated_at=Markup(_GENERATED_AT),  # noqa: S704 - our own constant
    )
    return PrintedCard(html)


def render_card_html(
    card: Card, version: CardVersion, generated_at: datetime, checkpoint: Checkpoint | None = None
) -> str:
    """The card version as one self-contained HTML document."""
    return printed_card(card, version, checkpoint).html(generated_at)
