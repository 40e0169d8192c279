"""Metric pictures as inline SVG, drawn by our own code: bar charts, line graphs, heat maps."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 460, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 40
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
INK, ACCENT, GRID = "#1f2933", "#2f6db5", "#d5dbe1"


def format_number(value: float) -> str:
    """A metric value as printed in tables and on axes (4 significant digits)."""
    return f"{value:.4g}"


def _svg(body: list[str], width: int = WIDTH, height: int = HEIGHT) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans" font-size="9">'
    )
    # Every label below went through html.escape: the markup is ours alone.
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704


def _text(x: float, y: float, label: str, anchor: str = "middle", rotate: bool = False) -> str:
    transform = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{INK}"{transform}>'
        f"{escape(label)}</text>"
    )


def _axes(y_min: float, y_max: float, x_title: str, y_title: str) -> list[str]:
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + PLOT_H}" stroke="{INK}"/>',
        f'<line x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{LEFT + PLOT_W}" y2="{TOP + PLOT_H}" '
        f'stroke="{INK}"/>',
    ]
    for i in range(5):
        value = y_min + (y_max - y_min) * i / 4
        y = TOP + PLOT_H - PLOT_H * i / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
        )
        parts.append(_text(LEFT - 4, y + 3, format_number(value), anchor="end"))
    if x_title:
        parts.append(_text(LEFT + PLOT_W / 2, HEIGHT - 4, x_title))
    if y_title:
        parts.append(_text(10, TOP + PLOT_H / 2, y_title, rotate=True))
    return parts


def _range(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(0.0, *values), max(0.0, *values)
    return (low, high) if high > low else (low, low + 1.0)


def bar_chart(values: Sequence[float], labels: Sequence[str] = (), y_title: str = "") -> Markup:
    """Vertical bars, one per value, labelled below."""
    y_min, y_max = _range(values)
    scale = PLOT_H / (y_max - y_min)
    slot = PLOT_W / len(values)
    zero = TOP + PLOT_H - (0 - y_min) * scale
    parts = _axes(y_min, y_max, "", y_title)
    for i, value in enumerate(values):
        top = TOP + PLOT_H - (value - y_min) * scale
        x = LEFT + slot * i + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{min(top, zero):.1f}" width="{slot * 0.7:.1f}" '
            f'height="{abs(zero - top):.1f}" fill="{ACCENT}"/>'
        )
        label = labels[i] if i < len(labels) else str(i + 1)
        parts.append(_text(LEFT + slot * (i + 0.5), TOP + PLOT_H + 12, label[:14]))
    return _svg(parts)


def line_graph(points: Sequence[Sequence[float]], x_title: str = "", y_title: str = "") -> Markup:
    """A polyline through (x, y) points, with both axes scaled to the data."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_min, x_max = min(xs), max(xs)
    x_span = (x_max - x_min) or 1.0
    y_min, y_max = _range(ys)
    coords = [
        (
            LEFT + (x - x_min) / x_span * PLOT_W,
            TOP + PLOT_H - (y - y_min) / (y_max - y_min) * PLOT_H,
        )
        for x, y in zip(xs, ys, strict=True)
    ]
    parts = _axes(y_min, y_max, x_title, y_title)
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="1.5"/>')
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{ACCENT}"/>' for x, y in coords]
    parts.append(_text(LEFT, TOP + PLOT_H + 12, format_number(x_min), anchor="start"))
    parts.append(_text(LEFT + PLOT_W, TOP + PLOT_H + 12, format_number(x_max), anchor="end"))
    return _svg(parts)


def heat_map(
    rows: Sequence[Sequence[float]], x_labels: Sequence[str] = (), y_labels: Sequence[str] = ()
) -> Markup:
    """A matrix as a grid of cells shaded by value, each cell printed with its value."""
    cell = max(14, min(40, 360 // max(len(rows), max(len(r) for r in rows))))
    values = [v for row in rows for v in row]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    left, top = 70, 16
    parts = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            shade = (value - low) / span
            red, green, blue = (
                int(240 - 200 * shade),
                int(245 - 140 * shade),
                int(250 - 70 * shade),
            )
            x, y = left + c * cell, top + r * cell
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="rgb({red},{green},{blue})" stroke="#ffffff"/>'
            )
            colour = "#ffffff" if shade > 0.6 else INK
            parts.append(
                f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 3:.1f}" '
                f'text-anchor="middle" fill="{colour}">{escape(format_number(value))}</text>'
            )
        label = y_labels[r] if r < len(y_labels) else str(r)
        parts.append(_text(left - 4, top + r * cell + cell / 2 + 3, label[:12], anchor="end"))
    for c in range(max(len(r) for r in rows)):
        label = x_labels[c] if c < len(x_labels) else str(c)
        parts.append(_text(left + c * cell + cell / 2, top - 4, label[:8]))
    width = left + cell * max(len(r) for r in rows) + 8
    return _svg(parts, width=width, height=top + cell * len(rows) + 8)
