"""Metric pictures as inline SVG, drawn by our own code: bar charts, line graphs, heat maps."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from cardgraph.rendering.ticks import nice_ticks

# The page's text column is about 670 CSS pixels wide (A4 less 16 mm margins).
WIDTH, HEIGHT = 600, 250
LEFT, RIGHT, TOP, BOTTOM = 62, 16, 12, 44
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
INK, ACCENT, GRID = "#1f2933", "#2f6db5", "#d5dbe1"
CHAR_W = 0.6  # average glyph width of DejaVu Sans, in ems


def format_number(value: float) -> str:
    """A metric value as printed in tables and on axes (4 significant digits)."""
    return f"{value:.4g}"


def _svg(body: list[str], width: float = WIDTH, height: float = HEIGHT) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans" font-size="10">'
    )
    # Every label below went through html.escape: the markup is ours alone.
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704


def _text(
    x: float,
    y: float,
    label: str,
    anchor: str = "middle",
    rotate: bool = False,
    size: float | None = None,
    fill: str = INK,
) -> str:
    transform = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    font = f' font-size="{size:.1f}"' if size else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{font}{transform}>'
        f"{escape(label)}</text>"
    )


def _fit(label: str, width: float, size: float = 10) -> str:
    """`label` cut to what fits in `width` pixels at `size` (an ellipsis marks the cut)."""
    room = max(1, int(width / (size * CHAR_W)))
    return label if len(label) <= room else label[: max(room - 1, 1)] + "…"


class _Scale:
    """Maps data values onto pixels along one axis, over round tick values."""

    def __init__(self, low: float, high: float, start: float, length: float) -> None:
        self.ticks = nice_ticks(low, high)
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.start, self.length = start, length

    def __call__(self, value: float) -> float:
        return self.start + (value - self.low) / (self.high - self.low) * self.length


def _y_axis(scale: _Scale, title: str) -> list[str]:
    parts = [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + PLOT_H}" stroke="{INK}"/>']
    for tick in scale.ticks:
        y = scale(tick)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.6"/>'
        )
        parts.append(_text(LEFT - 5, y + 3.5, format_number(tick), anchor="end"))
    if title:
        parts.append(_text(14, TOP + PLOT_H / 2, _fit(title, PLOT_H), rotate=True))
    return parts


def _x_axis(title: str) -> list[str]:
    parts = [
        f'<line x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{LEFT + PLOT_W}" y2="{TOP + PLOT_H}" '
        f'stroke="{INK}"/>'
    ]
    if title:
        parts.append(_text(LEFT + PLOT_W / 2, HEIGHT - 6, _fit(title, PLOT_W)))
    return parts


def bar_chart(values: Sequence[float], labels: Sequence[str] = (), y_title: str = "") -> Markup:
    """Vertical bars, one per value, labelled below, on a y axis with round ticks."""
    y = _Scale(min(0.0, *values), max(0.0, *values), TOP + PLOT_H, -PLOT_H)
    slot = PLOT_W / len(values)
    zero = y(0.0)
    parts = [*_y_axis(y, y_title), *_x_axis("")]
    for i, value in enumerate(values):
        top = y(value)
        x = LEFT + slot * i + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{min(top, zero):.1f}" width="{slot * 0.7:.1f}" '
            f'height="{abs(zero - top):.1f}" fill="{ACCENT}"/>'
        )
        label = labels[i] if i < len(labels) else str(i + 1)
        parts.append(_text(LEFT + slot * (i + 0.5), TOP + PLOT_H + 14, _fit(label, slot)))
    return _svg(parts)


def line_graph(points: Sequence[Sequence[float]], x_title: str = "", y_title: str = "") -> Markup:
    """A polyline through (x, y) points, both axes with round ticks and grid lines."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x = _Scale(min(xs), max(xs), LEFT, PLOT_W)
    y = _Scale(min(ys), max(ys), TOP + PLOT_H, -PLOT_H)
    parts = [*_y_axis(y, y_title), *_x_axis(x_title)]
    for tick in x.ticks:
        px = x(tick)
        parts.append(
            f'<line x1="{px:.1f}" y1="{TOP}" x2="{px:.1f}" y2="{TOP + PLOT_H}" '
            f'stroke="{GRID}" stroke-width="0.6"/>'
        )
        parts.append(_text(px, TOP + PLOT_H + 14, format_number(tick)))
    path = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(xs, ys, strict=True))
    parts.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="1.8"/>')
    if len(points) <= 60:  # markers only while they stay apart
        parts += [
            f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="2.2" fill="{ACCENT}"/>'
            for a, b in zip(xs, ys, strict=True)
        ]
    return _svg(parts)


def _shade(fraction: float) -> tuple[str, str]:
    """Cell fill from light to dark blue, and a text colour readable on it."""
    red, green, blue = (
        int(240 - 200 * fraction),
        int(245 - 140 * fraction),
        int(250 - 70 * fraction),
    )
    return f"rgb({red},{green},{blue})", "#ffffff" if fraction > 0.55 else INK


def heat_map(
    rows: Sequence[Sequence[float]], x_labels: Sequence[str] = (), y_labels: Sequence[str] = ()
) -> Markup:
    """A matrix as a grid of cells shaded by value, each cell printed with its value."""
    columns = max(len(r) for r in rows)
    left, top, room = 96, 22, WIDTH - 96 - 8
    # As large as the page allows, up to 80 px a cell: a 2x2 matrix is still a picture.
    cell = max(24.0, min(80.0, room / columns, 420 / len(rows)))
    values = [v for row in rows for v in row]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    longest = max(len(format_number(v)) for v in values)
    size = max(6.0, min(12.0, cell * 0.85 / (longest * CHAR_W)))
    parts = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            fill, ink = _shade((value - low) / span)
            x, y = left + c * cell, top + r * cell
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" height="{cell:.1f}" '
                f'fill="{fill}" stroke="#ffffff"/>'
            )
            parts.append(
                _text(
                    x + cell / 2,
                    y + cell / 2 + size * 0.35,
                    format_number(value),
                    size=size,
                    fill=ink,
                )
            )
        label = y_labels[r] if r < len(y_labels) else str(r)
        parts.append(
            _text(left - 5, top + r * cell + cell / 2 + 3.5, _fit(label, left - 8), anchor="end")
        )
    for c in range(columns):
        label = x_labels[c] if c < len(x_labels) else str(c)
        parts.append(_text(left + c * cell + cell / 2, top - 7, _fit(label, cell)))
    return _svg(parts, width=left + cell * columns + 8, height=top + cell * len(rows) + 8)
