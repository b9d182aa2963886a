"""The meter history chart: an SVG drawn on the server by pygal, with no JavaScript (and
so nothing loaded from elsewhere). The page wraps it with role="img", a label that says
what it shows, and a table with the same figures."""

from __future__ import annotations

from datetime import date

import pygal
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#525a69",
    foreground_strong="#161a23",
    foreground_subtle="#e2e5eb",
    opacity="0.85",
    opacity_hover="1",
    colors=("#4338ca", "#b42318"),
    font_family='system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=11,
)


def meter_history_svg(*, unit: str, history: list[tuple[date, int]], limit: int | None) -> str:
    """Bars per month; a month over the limit is red, and the limit is the one emphasised
    guide line, labelled with its value."""
    chart = pygal.Bar(
        js=[],
        style=STYLE,
        width=480,
        height=160,
        margin=4,
        spacing=6,
        show_legend=False,
        disable_xml_declaration=True,
        show_y_guides=True,
        truncate_label=-1,
        print_values=False,
        min_scale=3,
        max_scale=5,
    )
    values = [value for _, value in history]
    chart.x_labels = [period.strftime("%b") for period, _ in history]
    if limit is not None:
        top = max([limit, *values]) or 1
        step = top / 4
        chart.y_labels = sorted({round(step * n) for n in range(5)} | {limit})
        chart.y_labels_major = [limit]
        chart.range = (0, top * 1.05)
    over = {"color": STYLE.colors[1]}
    chart.add(
        f"Used ({unit})",
        [
            {"value": value, **(over if limit is not None and value > limit else {})}
            for value in values
        ],
    )
    return chart.render(is_unicode=True)


def chart_label(*, name: str, unit: str, history: list[tuple[date, int]], limit) -> str:
    peak_period, peak = max(history, key=lambda item: item[1])
    limit_text = "unlimited" if limit is None else f"a limit of {limit:,} {unit}"
    return (
        f"{name} over the last {len(history)} months against {limit_text}: "
        f"the highest was {peak:,} {unit} in {peak_period:%B %Y}, this month {history[-1][1]:,}."
    )
