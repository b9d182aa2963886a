"""A proposal version's PDF and the links to it: rendered from the version's content
(billing.proposals.content) through the one WeasyPrint adapter (billing.pdf), with the
charts' stylesheets from the static folder and the fonts served locally."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from functools import lru_cache

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from billing.models import ProposalVersion
from billing.pdf import render_pdf
from billing.proposals.content import ProposalContent, proposal_content
from billing.roi.chart import STYLESHEET as ROI_STYLESHEET
from licensing.usage.charts import METER_STYLESHEET

TEMPLATE = "pdf/proposal.html"
COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
SCREEN_ONLY_SELECTORS = (":hover", ".tooltip", ".active", "map-element", "gauge", "bg-lines",
                         ".ci", "max-value", ".bound", "no_data", ".showable", ".dot")  # fmt: skip
SCREEN_ONLY_PROPERTIES = ("-webkit-", "-moz-", "transition", "background-color", "visibility")


def content_day(version: ProposalVersion) -> date:
    """The day a sent version's figures are as of: the day it was sent, so the PDF says
    what the customer was sent whenever it is rendered."""
    return timezone.localdate(version.sent_at)


def _styled(svg: str, css: str) -> SafeString:
    """`svg` with its stylesheet inside it: WeasyPrint styles an inline SVG from its own
    <style> only, not from the document's stylesheets. (The site's pages link the same
    stylesheet instead, for the Content-Security-Policy; a PDF has none.)"""
    head, close, rest = svg.partition(">")
    return mark_safe(f"{head}{close}<style>{css}</style>{rest}")  # our CSS, pygal's SVG


def for_print(css: str) -> str:
    """A chart stylesheet cut to what a printed chart draws with: no comments (WeasyPrint
    ignores a whole SVG stylesheet that starts with pygal's licence comment, and the
    charts come out black), no rules for hovering, tooltips or chart kinds we do not
    draw, and no browser-only properties. WeasyPrint also applies an SVG's stylesheet to
    the whole document, so every rule left out is time saved on every element."""
    rules = []
    for rule in COMMENT.sub("", css).split("}"):
        selector, _, body = rule.partition("{")
        if not body.strip() or any(word in selector for word in SCREEN_ONLY_SELECTORS):
            continue
        declarations = [
            declaration.strip()
            for declaration in body.split(";")
            if declaration.strip() and not declaration.strip().startswith(SCREEN_ONLY_PROPERTIES)
        ]
        if declarations:
            rules.append(f"{' '.join(selector.split())}{{{';'.join(declarations)}}}")
    return "".join(rules)


@lru_cache(maxsize=1)
def _chart_css() -> tuple[str, str]:
    return (
        for_print(METER_STYLESHEET.read_text()),
        for_print(ROI_STYLESHEET.read_text()),
    )


def render_proposal_pdf(content: ProposalContent) -> bytes:
    meter_css, roi_css = _chart_css()
    usage = [replace(metric, chart=_styled(metric.chart, meter_css)) for metric in content.usage]
    roi = content.roi
    if roi is not None:
        roi = replace(
            roi, charts=[replace(chart, svg=_styled(chart.svg, roi_css)) for chart in roi.charts]
        )
    return render_pdf(TEMPLATE, {"content": replace(content, usage=usage, roi=roi)})


def proposal_pdf(version: ProposalVersion) -> bytes:
    """The PDF of a sent version, as of the day it was sent."""
    return render_proposal_pdf(proposal_content(version, content_day(version)))


def customer_path(proposal_id: int) -> str:
    """The customer's page of the proposal (portal.views, URL name `proposal_detail`)."""
    try:
        return reverse("proposal_detail", args=[proposal_id])
    except NoReverseMatch:  # the customer's pages are not routed in this build yet
        return f"/proposals/{proposal_id}/"


def pdf_filename(version: ProposalVersion) -> str:
    """ "P-2026-0042 v2.pdf"."""
    return f"{version.label}.pdf"
