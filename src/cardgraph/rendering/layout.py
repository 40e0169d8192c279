"""Card content → printable blocks (pure), in the schema's order with human titles.

A section prints as a table of name/value rows. An object inside a section starts a titled
group of rows; objects deeper than that fold into their parent's rows ("Function · Facet"), so
nothing nests more than one level. Lists of objects (metrics, hyper-parameters, containers)
print as tables of their own, and lists of strings one item a line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from cardgraph.cards.sagemaker_schema import Arr, Map, Node, Obj

# Words printed in capitals (or a fixed spelling) wherever they appear in a field name.
_WORDS = {"arn": "ARN", "id": "ID", "url": "URL", "uri": "URI", "kms": "KMS", "auc": "AUC"}
SEPARATOR = " · "
# Runs of text longer than this get a break opportunity every CHUNK characters (`breakable`).
LONG_RUN = 24
CHUNK = 12
_LONG_RUN = re.compile(rf"\S{{{LONG_RUN + 1},}}")
KEEP_WHOLE_CHARS = 1500
ZERO_WIDTH_SPACE = "\u200b"


def title_of(key: str) -> str:
    """`model_description` → `Model description`, `training_arn` → `Training ARN`."""
    words = [_WORDS.get(word, word) for word in key.split("_")]
    first = words[0] if words[0] in _WORDS.values() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def _can_break_before(text: str, index: int) -> bool:
    # Never inside a grapheme: before a combining mark, a joiner or a variation selector.
    if unicodedata.category(text[index]) in ("Mn", "Mc", "Me", "Cf"):
        return False
    return text[index - 1] != "\u200d"


def _chunked(run: str) -> str:
    out: list[str] = []
    since = 0
    for index, char in enumerate(run):
        if since >= CHUNK and _can_break_before(run, index):
            out.append(ZERO_WIDTH_SPACE)
            since = 0
        out.append(char)
        since += 1
    return "".join(out)


def breakable(text: str) -> str:
    """`text` with a zero-width space every few characters of each long unbroken run.

    Hashes, URLs and other unbroken runs must wrap inside their column; WeasyPrint's own
    `overflow-wrap` wrapping of such a run costs time quadratic in its length.
    """
    if len(text) <= LONG_RUN:
        return text
    return _LONG_RUN.sub(lambda match: _chunked(match.group()), text)


def fits_a_page(texts: Iterable[str]) -> bool:
    """Whether a row of these texts is short enough to keep whole (never split by a page).

    A row taller than a page must split; asking WeasyPrint to keep one whole leaves blank
    pages behind it. About 1,500 characters fill a third of a page in the value column.
    """
    return sum(len(text) for text in texts) <= KEEP_WHOLE_CHARS


def shown(value: Any) -> str:
    """A scalar as printed: yes/no for booleans, numbers as JSON writes them."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


@dataclass(frozen=True, slots=True)
class Row:
    """One name/value row; `group` rows title the rows below them, `indent` ones belong."""

    label: str
    lines: tuple[str, ...] = ()
    group: bool = False
    indent: bool = False

    @property
    def keep(self) -> bool:
        """Whether the row is kept whole on one page."""
        return fits_a_page((self.label, *self.lines))


@dataclass(frozen=True, slots=True)
class Fields:
    """A table of name/value rows."""

    rows: tuple[Row, ...]
    kind: str = "fields"

    @property
    def bodies(self) -> list[tuple[tuple[Row, ...], bool]]:
        """Rows as table bodies: a group row with its rows, else one row; each with its keep."""
        out: list[list[Row]] = []
        for row in self.rows:
            if row.group or not row.indent or not out:
                out.append([row])
            else:
                out[-1].append(row)
        return [
            (tuple(body), fits_a_page(t for row in body for t in (row.label, *row.lines)))
            for body in out
        ]


@dataclass(frozen=True, slots=True)
class Grid:
    """A list of objects as a table: a title, column titles, one row of cells per item."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    kind: str = "grid"

    @property
    def kept(self) -> tuple[bool, ...]:
        """For each row, whether it is kept whole on one page."""
        return tuple(fits_a_page(cells) for cells in self.rows)


Block = Fields | Grid


def ordered(node: Obj, value: dict[str, Any]) -> Iterator[tuple[str, Node | None]]:
    """The keys of `value` in the schema's order; keys it does not declare last, sorted."""
    for key, child in node.fields.items():
        if key in value:
            yield key, child
    for key in sorted(set(value) - set(node.fields)):
        yield key, None


def _lines(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(shown(item) for item in value)
    if isinstance(value, dict):  # not in the schema (a damaged record): still printed
        return tuple(f"{k}: {shown(v)}" for k, v in sorted(value.items()))
    return (shown(value),)


def _folded(node: Obj, value: dict[str, Any], prefix: str, parent: str) -> Iterator[Row]:
    """Rows of an object nested two levels deep, labelled with their parent's title."""
    for key, child in ordered(node, value):
        label = prefix if key == parent else f"{prefix}{SEPARATOR}{title_of(key)}"
        if isinstance(child, Obj) and isinstance(value[key], dict):
            yield from _folded(child, value[key], label, key)
        elif isinstance(child, Map) and isinstance(value[key], dict):
            for name, item in value[key].items():
                yield Row(f"{label}{SEPARATOR}{name}", (shown(item),), indent=True)
        else:
            yield Row(label, _lines(value[key]), indent=True)


def _grid(title: str, item: Obj, values: list[Any]) -> Grid:
    present = {key for value in values if isinstance(value, dict) for key in value}
    keys = [key for key in item.fields if key in present]
    keys += sorted(present - set(keys))
    return Grid(
        title,
        tuple(title_of(key) for key in keys),
        tuple(
            tuple(shown(value.get(key, "")) if isinstance(value, dict) else "" for key in keys)
            for value in values
        ),
    )


def _items(node: Obj, value: dict[str, Any], skip: tuple[str, ...]) -> Iterator[Row | Grid]:
    """Rows and grids of a section in order; an object's rows follow a group row."""
    for key, child in ordered(node, value):
        item, title = value[key], title_of(key)
        if key in skip:
            continue
        if isinstance(child, Arr) and isinstance(child.item, Obj) and isinstance(item, list):
            yield _grid(title, child.item, item)
        elif isinstance(child, Obj) and isinstance(item, dict):
            yield Row(title, group=True)
            for inner, inner_node in ordered(child, item):
                inner_value = item[inner]
                if isinstance(inner_node, Arr) and isinstance(inner_node.item, Obj):
                    inner_title = f"{title}{SEPARATOR}{title_of(inner)}"
                    yield _grid(inner_title, inner_node.item, inner_value)
                elif isinstance(inner_node, Obj | Map):
                    yield from _folded(child, {inner: inner_value}, title_of(inner), inner)
                else:
                    yield Row(title_of(inner), _lines(inner_value), indent=True)
        elif isinstance(child, Map) and isinstance(item, dict):
            yield Row(title, group=True)
            yield from (Row(name, (shown(text),), indent=True) for name, text in item.items())
        else:
            yield Row(title, _lines(item))


def blocks(node: Obj, value: dict[str, Any], skip: tuple[str, ...] = ()) -> list[Block]:
    """The blocks of one section (or of one evaluation), leaving out the keys in `skip`."""
    out: list[Block] = []
    rows: list[Row] = []
    for item in _items(node, value, skip):
        if isinstance(item, Row):
            rows.append(item)
            continue
        if rows and rows[-1].group:  # a group whose only content is this grid: its title says it
            rows.pop()
        if rows:
            out.append(Fields(tuple(rows)))
            rows = []
        out.append(item)
    if rows and rows[-1].group:
        rows.pop()
    if rows:
        out.append(Fields(tuple(rows)))
    return out
