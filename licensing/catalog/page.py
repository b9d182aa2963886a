"""The pricing page: what a visitor's request asks for (currency, cycle, locale), the
matrix rendered for it, and the whole page cached for visitors without a session (checked
against the catalog generation, so a publish shows at once on every worker). Without a
cache the page is rendered from the database. The view in portal/views/catalog.py and
the admin's draft preview both render through here."""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe

from billing.locale import preferred_currency, visitor_locale
from billing.pricing import BillingCycle
from licensing.api import fastcache
from licensing.catalog.cache import GENERATION_KEY, PAGE_TIMEOUT, RELEASE, catalog_generation
from licensing.catalog.selectors import ProductMatrix, enabled_currencies, pricing_matrix
from licensing.catalog.standing import CurrentPlan, plan_move
from licensing.models import TierVersion
from portal.unavailable import CACHE_ERRORS

logger = logging.getLogger(__name__)


PRICING_TEMPLATE = "catalog/pricing.html"


@dataclass
class PriceChoice:
    """The currency and cycle a page shows, and what was wrong with the request's own."""

    currency: str
    cycle: str
    locale: str
    currencies: list[str]
    problems: list[str]


def _cached_currencies(generation: str) -> list[str]:
    key = f"catalog:currencies:{generation}"
    currencies = cache.get(key)
    if currencies is None:
        currencies = enabled_currencies()
        cache.set(key, currencies, PAGE_TIMEOUT)
    return currencies


def price_choice(
    request: HttpRequest, currencies: list[str], locale: str | None = None
) -> PriceChoice:
    locale = locale or visitor_locale(request)
    problems = []
    fallback = preferred_currency(locale, currencies) or ""
    currency = request.GET.get("currency", "").strip().upper()
    if "currency" in request.GET and currency not in currencies:
        shown = request.GET["currency"][:12] or "an empty value"
        problems.append(
            f"Prices are not available in {shown}. Showing {fallback}; choose one of "
            f"{', '.join(currencies)}."
        )
    if currency not in currencies:
        currency = fallback
    cycle = request.GET.get("cycle", BillingCycle.MONTHLY)
    if cycle not in BillingCycle.values:
        problems.append(
            f"“{cycle[:20]}” is not a billing cycle. Showing monthly prices; choose monthly "
            "or annual."
        )
        cycle = BillingCycle.MONTHLY
    return PriceChoice(currency, cycle, locale, currencies, problems)


def _matrix_context(choice: PriceChoice, *, substitute: TierVersion | None = None) -> dict:
    return {
        "products": pricing_matrix(
            currency=choice.currency,
            cycle=choice.cycle,
            locale=choice.locale,
            substitute=substitute,
        ),
        "currency": choice.currency,
        "cycle": choice.cycle,
        "currencies": choice.currencies,
        "cycles": BillingCycle.choices,
        "preview": substitute is not None,
    }


# The whole response is cached for the visitors who make up most of the traffic: htmx
# swaps, and first-time visitors with no session (so no messages and no signed-in
# navigation). The CSRF token is the one per-visitor part: the cached page holds this
# placeholder and each response gets the visitor's own token.
CSRF_PLACEHOLDER = "tierwise-csrf-placeholder-5f0c2e"
RESPONSE_PARAMETERS = {"currency": 3, "cycle": 10}


class _RecentResponses:
    """This process's copies of the most requested cached pages. The shared cache still
    decides: a copy is used only while its catalog generation is the current one, so a
    publish reaches every worker at once; this only saves fetching 30 kB per request."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self.lock = Lock()

    def get(self, key: str) -> tuple[str, str] | None:
        with self.lock:
            return self.entries.get(key)

    def put(self, key: str, value: tuple[str, str]) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_recent_responses = _RecentResponses(size=64)


def _response_key(request: HttpRequest, locale: str) -> str | None:
    cookies = request.COOKIES
    if not request.htmx and (
        settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies
    ):
        return None
    # Only the parameters the page understands, and only short ones: anything else
    # (tracking tags, junk) is served without filling the cache with variants.
    if any(
        name not in RESPONSE_PARAMETERS or len(value) > RESPONSE_PARAMETERS[name]
        for name, value in request.GET.items()
    ):
        return None
    kind = "partial" if request.htmx else "page"
    currency = request.GET.get("currency", "").upper()
    return f"pricing:{RELEASE}:{kind}:{currency}:{request.GET.get('cycle', '')}:{locale}"


def _pricing_response(request: HttpRequest, html: str, *, status: int) -> HttpResponse:
    response = HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)), status=status)
    patch_vary_headers(response, ["Accept-Language", "HX-Request"])
    return response


def _pricing_html(request: HttpRequest, choice: PriceChoice, matrix_html: str) -> str:
    if request.htmx and not choice.problems:
        return matrix_html
    return render_to_string(
        PRICING_TEMPLATE,
        {
            # Rendered by our own template with autoescaping; the cache returns text.
            "matrix_html": mark_safe(matrix_html),
            "problems": choice.problems,
            "choice": choice,
            "csrf_token": CSRF_PLACEHOLDER,
        },
        request=request,
    )


def _render_matrix(
    choice: PriceChoice,
    plans: dict[int, CurrentPlan] | None = None,
    trial_tiers: frozenset[str] | None = None,
) -> str:
    context = _matrix_context(choice)
    # A signed-in customer is offered the trials their organization may start only.
    context["trial_tiers"] = trial_tiers
    if plans:
        _mark_plans(context["products"], plans, choice.cycle)
    return str(render_to_string(f"{PRICING_TEMPLATE}#matrix", context))


def _mark_plans(products: list[ProductMatrix], plans: dict[int, CurrentPlan], cycle: str) -> None:
    """Each tier of a product the customer has a plan of, named from where they stand:
    their plan, an upgrade, a switch or a downgrade."""
    cycle_label = BillingCycle(cycle).label
    for matrix in products:
        plan = plans.get(matrix.product.pk)
        if plan is None:
            continue
        matrix.plan = plan
        for column in matrix.columns:
            tier = column.version.tier
            column.move = plan_move(
                plan,
                tier_slug=tier.slug,
                tier_name=tier.name,
                tier_order=tier.order,
                cycle=cycle,
                cycle_label=cycle_label,
            )


def _cached_pricing(request: HttpRequest, locale: str) -> HttpResponse:
    response_key = _response_key(request, locale)
    if response_key:
        stored = _recent_responses.get(response_key)
        # The one round trip a cached page costs: is this copy still the current one?
        generation = fastcache.get(GENERATION_KEY)
        if stored is None or stored[0] != generation:
            stored = cache.get(response_key)
        if stored and generation and stored[0] == generation:
            _recent_responses.put(response_key, stored)
            return _pricing_response(request, stored[1], status=200)

    generation = catalog_generation()
    choice = price_choice(request, _cached_currencies(generation), locale)
    key = f"pricing:{RELEASE}:matrix:{generation}:{choice.currency}:{choice.cycle}:{choice.locale}"
    matrix_html = cache.get(key)
    if matrix_html is None:
        matrix_html = _render_matrix(choice)
        cache.set(key, matrix_html, PAGE_TIMEOUT)
    html = _pricing_html(request, choice, matrix_html)
    if response_key and not choice.problems:
        cache.set(response_key, (generation, html), PAGE_TIMEOUT)
    return _pricing_response(request, html, status=400 if choice.problems else 200)


def pricing_page(
    request: HttpRequest,
    plans: dict[int, CurrentPlan] | None = None,
    trial_tiers: frozenset[str] | None = None,
) -> HttpResponse:
    """The pricing page for this request: from the cache when it can be, else rendered.
    `plans` (product id -> the signed-in customer's plan of it) marks their plan and
    names the other tiers from it; `trial_tiers` (the slugs their organization may try;
    None: a visitor, offered every trial) limits the trials offered. Such a page is
    theirs alone and never cached."""
    locale = visitor_locale(request)
    if plans or trial_tiers is not None:
        choice = price_choice(request, enabled_currencies(), locale)
        html = _pricing_html(request, choice, _render_matrix(choice, plans, trial_tiers))
        return _pricing_response(request, html, status=400 if choice.problems else 200)
    try:
        return _cached_pricing(request, locale)
    except CACHE_ERRORS as exc:
        # The cache only makes this page faster: without it, render it from the database.
        logger.warning("Pricing page rendered without the cache: %r", exc)
    choice = price_choice(request, enabled_currencies(), locale)
    html = _pricing_html(request, choice, _render_matrix(choice))
    return _pricing_response(request, html, status=400 if choice.problems else 200)


def render_pricing_preview(request: HttpRequest, draft: TierVersion) -> HttpResponse:
    """The pricing page as it will look once `draft` is published. Staff only (the admin
    wraps it); never cached."""
    choice = price_choice(request, enabled_currencies())
    matrix_html = render_to_string(
        f"{PRICING_TEMPLATE}#matrix", _matrix_context(choice, substitute=draft), request=request
    )
    return render(
        request,
        PRICING_TEMPLATE,
        {
            "matrix_html": matrix_html,
            "problems": choice.problems,
            "choice": choice,
            "preview_of": draft,
        },
        status=400 if choice.problems else 200,
    )
