"""Server-rendered SVG charts of the ROI results, drawn by pygal.

One small chart per tier (small multiples on a shared scale) rather than one chart of
many coloured lines: value is a solid line, cost a dashed one and the payback point a
labelled dot, so nothing depends on telling colours apart. Each chart is an image with
an accessible name; the page beside it carries the same figures as a table.

Floats appear only here, at the drawing boundary: pygal plots floats. Every figure a
visitor reads as text comes from Decimal arithmetic in billing.roi.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pygal
from babel.numbers import format_compact_currency
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from billing.roi.calculator import MONTHS_PER_YEAR, Outcome, Point, TierResult, cumulative_points
from licensing.usage.charts import STATIC_CSS, csp_clean, stylesheet

# The class the charts' styles are scoped to, and the static file that holds them.
SCOPE = "pygal-roi"
STYLESHEET = STATIC_CSS / "roi-chart.css"

VALUE_COLOUR = "#067647"  # --color-success
COST_COLOUR = "#b42318"  # --color-danger
PAYBACK_COLOUR = "#161a23"  # --color-text
# pygal's stroke_style lands on the series group, which its own id-scoped `.reactive`
# rule overrides on the path itself; hence !important.
CHART_CSS = (
    "inline:"
    ".pygal-chart .serie-0 .line, .pygal-chart .serie-1 .line { stroke-width: 3px !important }"
    ".pygal-chart .serie-1 .line { stroke-dasharray: 9 6 }"
    ".pygal-chart .text-overlay text.label { font-weight: 700 }"
)

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#161a23",
    foreground_strong="#0d1017",
    foreground_subtle="#e2e5eb",
    # Guides are solid and faint: dashes in this chart mean "cost".
    guide_stroke_dasharray="none",
    major_guide_stroke_dasharray="none",
    guide_stroke_color="#e2e5eb",
    major_guide_stroke_color="#c9ced8",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    colors=(VALUE_COLOUR, COST_COLOUR, PAYBACK_COLOUR),
    value_colors=(PAYBACK_COLOUR, PAYBACK_COLOUR, PAYBACK_COLOUR),
    label_font_size=18,
    major_label_font_size=18,
    legend_font_size=18,
    title_font_size=20,
    value_label_font_size=17,
    value_font_size=13,
    tooltip_font_size=13,
)


@dataclass(frozen=True)
class TierChart:
    result: TierResult
    svg: SafeString
    description: str
    yearly: list[Point]


def _accessible(label: str):
    """An xml_filter: the chart is one image with a name."""

    def apply(root):
        root.set("role", "img")
        root.set("aria-label", label)
        root.set("focusable", "false")
        return root

    return apply


def payback_text(months: Decimal) -> str:
    return "less than 0.1 months" if months < Decimal("0.1") else f"{months} months"


def describe(result: TierResult, locale: str) -> str:
    name = result.tier.name
    value = result.annual_value.format(locale)
    cost = result.annual_cost.format(locale)
    years = result.horizon_years
    text = (
        f"{name} over {years} year{'s' if years != 1 else ''}: value grows by {value} a year "
        f"against a cost of {cost} a year"
    )
    if result.payback_months is None:
        return f"{text}. It does not pay back."
    if not result.pays_back_within_horizon:
        return (
            f"{text}. It does not pay back within your {years}-year horizon (it would after "
            f"{payback_text(result.payback_months)})."
        )
    return f"{text}. It pays back after {payback_text(result.payback_months)}."


def _config() -> pygal.Config:
    """What every ROI chart shares: size, legend, axes and style."""
    config = pygal.Config()
    config.js = []
    config.disable_xml_declaration = True
    config.style = STYLE
    config.css = [*config.css, CHART_CSS]
    config.width = 560
    config.height = 360
    config.show_legend = True
    config.legend_at_bottom = True
    # One row, the payback named in full ("Payback: 7.4 months"); the page's caption
    # says which line is which (solid, dashed, the dot).
    config.truncate_legend = -1
    config.show_dots = False
    config.print_labels = True
    config.include_x_axis = True
    config.x_title = "Years from now"
    config.truncate_label = -1
    config.truncate_legend = -1
    return config


def roi_stylesheet() -> str:
    """The content of STYLESHEET: the rules pygal would write into each chart, for the
    three series (value, cost, payback)."""
    chart = pygal.XY(_config())
    for name in ("value", "cost", "payback"):
        chart.add(name, [(0, 0), (1, 1)])
    return stylesheet(chart, SCOPE)


def _chart(
    result: TierResult, points: list[Point], *, top: float, locale: str, description: str
) -> str:
    currency = result.annual_cost.currency
    months = result.horizon_years * MONTHS_PER_YEAR

    def money(amount: float) -> str:
        return format_compact_currency(amount, currency, locale=locale, fraction_digits=1)

    config = _config()
    config.title = result.tier.name
    config.x_labels = list(range(0, months + 1, MONTHS_PER_YEAR))
    config.x_value_formatter = lambda month: f"{month / MONTHS_PER_YEAR:g}"
    config.value_formatter = money
    config.range = (0, top)

    chart = pygal.XY(config)
    chart.add_xml_filter(_accessible(description))
    chart.add_xml_filter(csp_clean(SCOPE))
    chart.add(
        "Value",
        [(p.month, float(p.value.amount)) for p in points],
    )
    chart.add(
        "Cost",
        [(p.month, float(p.cost.amount)) for p in points],
    )
    if result.pays_back_within_horizon:
        at = result.payback_months
        value_then = result.annual_value * at / MONTHS_PER_YEAR
        # Named in the legend, not written beside the dot: a label there ran over the
        # axis near the start and off the chart near the horizon's end.
        chart.add(
            f"Payback: {payback_text(at)}",
            [{"value": (float(at), float(value_then.amount))}],
            stroke=False,
            show_dots=True,
            dots_size=7,
        )
    return chart.render(is_unicode=True)


def tier_charts(outcome: Outcome, locale: str) -> list[TierChart]:
    """A chart per result, each paid by its own cycle (a proposal's options may differ)."""
    series = {id(r): cumulative_points(r, r.cycle) for r in outcome.results}
    # One scale for every chart, so the small multiples compare at a glance.
    top = max(
        (float(max(p.value.amount, p.cost.amount)) for points in series.values() for p in points),
        default=1.0,
    )
    top = max(top * 1.05, 1.0)
    charts = []
    for result in outcome.results:
        points = series[id(result)]
        description = describe(result, locale)
        svg = _chart(result, points, top=top, locale=locale, description=description)
        charts.append(
            TierChart(
                result=result,
                # pygal escapes every text it writes; the SVG is our own markup.
                svg=mark_safe(svg),
                description=description,
                yearly=points[::MONTHS_PER_YEAR],
            )
        )
    return charts
