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
    chart = pygal.Bar(
        js=[],
        style=STYLE,
        width=640,
        height=220,
        margin=8,
        show_legend=limit is not None,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        disable_xml_declaration=True,
        show_y_guides=True,
        y_title=unit,
        print_values=False,
        min_scale=3,
        max_scale=6,
    )
    chart.x_labels = [period.strftime("%b %y") for period, _ in history]
    chart.add(f"Used ({unit})", [value for _, value in history])
    if limit is not None:
        # A bar per month for the limit too, so over-limit months stand out side by side.
        chart.add(f"Limit ({limit:,})", [limit] * len(history))
    return chart.render(is_unicode=True)


def chart_label(*, name: str, unit: str, history: list[tuple[date, int]], limit) -> str:
    peak_period, peak = max(history, key=lambda item: item[1])
    limit_text = "unlimited" if limit is None else f"a limit of {limit:,} {unit}"
    return (
        f"{name} over the last {len(history)} months against {limit_text}: "
        f"the highest was {peak:,} {unit} in {peak_period:%B %Y}, this month {history[-1][1]:,}."
    )
