"""The ROI calculator (public, personalised for members) and its saved scenarios.

The calculator is a GET form: its inputs live in the query string, so any result can be
shared or bookmarked. htmx swaps only the results region as the visitor types; without
JavaScript the same form submits and the whole page comes back."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.locale import preferred_currency, visitor_locale
from billing.models import RoiScenario
from billing.roi.calculator import Outcome, TierOutlook, TierResult, evaluate, tier_outlook
from billing.roi.chart import tier_charts
from billing.roi.forms import RoiForm, ScenarioForm, initial_query
from billing.roi.selectors import (
    CatalogTier,
    OrganizationFacts,
    RoiCatalog,
    organization_facts,
    roi_catalog,
)
from billing.roi.services import roi_scenario_create, roi_scenario_delete
from portal.access import current_membership, get_membership, get_roi_scenario_for_member
from portal.models import Membership

TEMPLATE = "roi/calculator.html"
# A plausible team for a visitor we know nothing about.
DEFAULT_TEAM_SIZE = 10


def _result_cards(
    outcome: Outcome, facts: OrganizationFacts | None, product: str
) -> list[tuple[TierResult, TierOutlook | None]]:
    """Each tier's result beside what it would have meant for the organization's recent
    usage of this product (None when there is no usage to go on)."""
    usage = facts.usage if facts and facts.product_slug == product else []
    return [
        (result, tier_outlook(usage, result.tier.limits) if usage else None)
        for result in outcome.results
    ]


def _product_param(params: QueryDict, catalog: RoiCatalog) -> str | None:
    product = params.get("product", "")
    return product if product in dict(catalog.products) else None


def _bind_form(
    request: HttpRequest, catalog: RoiCatalog, params: QueryDict, facts: OrganizationFacts | None
) -> tuple[RoiForm, str, list[CatalogTier]]:
    """The calculator form bound to the catalog's defaults (or the organization's own
    seats, product and currency), overridden by whatever the query string says; the
    product's tiers decide which tier fields it has."""
    products = catalog.products
    product = _product_param(params, catalog)
    if product is None and facts and facts.product_slug in dict(products):
        product = facts.product_slug
    if product is None:
        product = products[0][0] if products else ""
    tiers = catalog.tiers_of(product)
    currency = preferred_currency(visitor_locale(request), catalog.currencies) or ""
    data = initial_query(
        tiers,
        product=product,
        currency=facts.currency(currency, catalog.currencies) if facts else currency,
        team_size=facts.seats if facts else DEFAULT_TEAM_SIZE,
    )
    if facts and facts.cycle and facts.product_slug == product:
        data["cycle"] = facts.cycle  # billed as the organization is billed today
    data.update({key: params[key] for key in params if key in data})
    form = RoiForm(data, tiers=tiers, currencies=catalog.currencies, products=products)
    return form, product, tiers


def _calculator(
    request: HttpRequest,
    params: QueryDict,
    *,
    scenario_form: ScenarioForm | None = None,
) -> HttpResponse:
    catalog = roi_catalog()
    membership: Membership | None = current_membership(request)
    # Only ever the user's own organization: current_membership checks the session's
    # choice against their memberships.
    facts = (
        organization_facts(membership.organization, product_slug=_product_param(params, catalog))
        if membership
        else None
    )
    locale = visitor_locale(request)
    products = catalog.products
    form, product, tiers = _bind_form(request, catalog, params, facts)

    context = {
        "form": form,
        "tiers": tiers,
        "products": products,
        "product": product,
        "facts": facts,
        "current_tier": facts.current_tier_slug
        if facts and facts.product_slug == product
        else None,
        "membership": membership,
        "locale": locale,
    }
    if tiers and form.is_valid():
        assumptions = form.assumptions()
        outcome = evaluate(assumptions, form.tier_inputs())
        query = form.query()
        context.update(
            assumptions=assumptions,
            outcome=outcome,
            charts=tier_charts(outcome, locale),
            cards=_result_cards(outcome, facts, product),
            query_string=urlencode(query),
            share_url=request.build_absolute_uri(f"{reverse('roi')}?{urlencode(query)}"),
        )
        if membership and scenario_form is None:
            scenario_form = ScenarioForm(
                initial={"query": urlencode(query)}, organization=membership.organization
            )
    context["scenario_form"] = scenario_form
    invalid = (bool(tiers) and not form.is_valid()) or (
        scenario_form is not None and scenario_form.is_bound
    )
    template = f"{TEMPLATE}#results" if request.htmx else TEMPLATE
    response = render(request, template, context, status=422 if invalid else 200)
    patch_vary_headers(response, ["Accept-Language", "HX-Request", "Cookie"])
    return response


@require_GET
def calculator(request: HttpRequest) -> HttpResponse:
    return _calculator(request, request.GET)


@login_required
@require_http_methods(["GET", "POST"])
def scenarios(request: HttpRequest, slug: str) -> HttpResponse:
    """GET lists the organization's scenarios; POST saves the calculator's inputs."""
    membership = get_membership(request, slug)
    organization = membership.organization
    if request.method == "POST":
        form = ScenarioForm(request.POST, organization=organization)
        if form.is_valid():
            calculator_form = _validated_inputs(request, form)
            if calculator_form is not None:
                try:
                    scenario = roi_scenario_create(
                        organization=organization,
                        created_by=request.user,
                        name=form.cleaned_data["name"],
                        query=calculator_form.query(),
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(request, f"Saved the scenario “{scenario.name}”.")
                    return redirect(f"{reverse('roi')}?{urlencode(scenario.query)}")
        return _calculator(request, QueryDict(form.data.get("query", "")), scenario_form=form)
    return render(
        request,
        "roi/scenarios.html",
        {
            "organization": organization,
            "scenarios": RoiScenario.objects.filter(organization=organization).select_related(
                "created_by"
            ),
        },
    )


def _validated_inputs(request: HttpRequest, form: ScenarioForm) -> RoiForm | None:
    """The calculator inputs a save carries, validated exactly as a visit would be."""
    calculator_form, _product, tiers = _bind_form(request, roi_catalog(), form.inputs(), None)
    if not tiers or not calculator_form.is_valid():
        form.add_error(None, "These inputs have errors; fix them in the calculator first.")
        return None
    return calculator_form


@login_required
@require_GET
def scenario_open(request: HttpRequest, slug: str, scenario_id: int) -> HttpResponse:
    _, scenario = get_roi_scenario_for_member(request, slug, scenario_id)
    return redirect(f"{reverse('roi')}?{urlencode(scenario.query)}")


@login_required
@require_POST
def scenario_delete(request: HttpRequest, slug: str, scenario_id: int) -> HttpResponse:
    _, scenario = get_roi_scenario_for_member(request, slug, scenario_id)
    roi_scenario_delete(scenario=scenario)
    messages.success(request, f"Deleted the scenario “{scenario.name}”.")
    return redirect("roi_scenarios", slug)
