"""Axis ticks at round numbers (pure): steps of 1, 2 or 5 times a power of ten."""

from __future__ import annotations

import math

_MULTIPLIERS = (1.0, 2.0, 5.0)
MAX_TICKS = 12


def _decimals(step: float) -> int:
    """Decimal places that print every multiple of `step` exactly."""
    return max(0, -math.floor(math.log10(step) + 1e-9))


def _ticks_for(low: float, high: float, step: float) -> list[float]:
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    places = _decimals(step)
    # Rounded to the step's own decimals: 0.30000000000000004 prints as 0.3.
    return [round(i * step, places) + 0.0 for i in range(first, last + 1)]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high], as close to `count` ticks as round steps allow."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("ticks need finite bounds")
    low, high = min(low, high), max(low, high)
    if high == low:  # one value: show a unit around it (or around zero)
        pad = abs(low) * 0.5 or 1.0
        low, high = (low - pad, high + pad) if low else (0.0, 1.0)
    span = high - low
    if not math.isfinite(span) or span < abs(high) * 1e-12:
        # Beyond what a float can step through: the bounds alone, evenly spaced.
        return [low + (high - low) * i / (count - 1) for i in range(count)]
    exponent = math.floor(math.log10(span / max(count - 1, 1)))
    best: list[float] = []
    for power in (exponent - 1, exponent, exponent + 1):
        for multiplier in _MULTIPLIERS:
            step = multiplier * 10.0**power
            ticks = _ticks_for(low, high, step)
            if len(ticks) > MAX_TICKS or len(ticks) < 2:
                continue
            # Closest to the wanted count; on a tie the larger step (fewer, rounder labels).
            if not best or abs(len(ticks) - count) <= abs(len(best) - count):
                best = ticks
    return best or [low, high]
