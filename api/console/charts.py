"""A balance-over-time chart as inline SVG, drawn on the server.

No script and no chart library: the SVG is markup in the page (its text
escaped by the template like everything else). Balances arrive as integer
minor units; only pixel coordinates are fractions.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.kernel.money import format_amount

WIDTH = 720
HEIGHT = 220
MARGIN_LEFT = 90
MARGIN_RIGHT = 16
MARGIN_Y = 20


@dataclass(frozen=True, slots=True)
class Chart:
    """What the template draws: the polyline's points, axis labels, the zero line."""

    width: int
    height: int
    points: str
    dots: list[tuple[float, float, str, str]]
    top_label: str
    bottom_label: str
    first_day: str
    last_day: str
    zero_y: float | None


def balance_chart(
    opening_minor: int, points: list[tuple[str, int]], scale: int, dots_max: int = 60
) -> Chart | None:
    """A step line of the closing balance of each day with postings; None without any."""
    if not points:
        return None
    values = [opening_minor, *(balance for _day, balance in points)]
    low, high = min(values), max(values)
    span = (high - low) or 1
    inner_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    inner_h = HEIGHT - 2 * MARGIN_Y

    def y_of(value: int) -> float:
        return round(MARGIN_Y + inner_h * (high - value) / span, 1)

    steps = max(len(points), 1)
    coordinates = [(float(MARGIN_LEFT), y_of(opening_minor))]
    dots = []
    for index, (day, balance) in enumerate(points, start=1):
        x = round(MARGIN_LEFT + inner_w * index / steps, 1)
        coordinates.append((x, coordinates[-1][1]))
        coordinates.append((x, y_of(balance)))
        if len(points) <= dots_max:
            dots.append((x, y_of(balance), day, format_amount(balance, scale)))
    zero_y = y_of(0) if low < 0 < high else None
    return Chart(
        WIDTH,
        HEIGHT,
        " ".join(f"{x},{y}" for x, y in coordinates),
        dots,
        format_amount(high, scale),
        format_amount(low, scale),
        points[0][0],
        points[-1][0],
        zero_y,
    )
