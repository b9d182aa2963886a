"""Reads the staff pages need: an option's price path from its stored terms (the one
rule: billing.proposals.content.option_path), what the license costs a year now, and
the proposals a person sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from billing.models import Proposal, ProposalOption, ProposalVersion
from billing.money import Money
from billing.proposals import content
from billing.proposals.content import option_path
from billing.proposals.pricing import PricePath, saving_against
from billing.proposals.services import newest_version, subscription_of
from licensing.models import License


def current_year_cost(license: License, today: date) -> Money | None:
    """What the license's subscription costs for a year now (before tax, less its
    negotiated discount: billing.proposals.content), or None."""
    subscription = subscription_of(license)
    if subscription is None:
        return None
    return content.current_year_cost(subscription, today)


@dataclass(frozen=True)
class PricedOption:
    option: ProposalOption
    path: PricePath
    # Against keeping the current plan as many years (positive: the option costs less).
    saving: Money | None

    @property
    def starts_on(self) -> date:
        return self.path.terms.starts_on

    @property
    def difference(self) -> Money | None:
        """The saving or the extra cost, as a positive amount."""
        return abs(self.saving) if self.saving is not None else None


def priced_options(version: ProposalVersion, today: date) -> list[PricedOption]:
    """Each option of `version` with its price path from the day it starts
    (billing.proposals.content.option_path) and what it saves against the plan now."""
    license = version.proposal.license
    current = current_year_cost(license, today)
    result = []
    for option in version.options.select_related("price", "tier_version__tier"):
        path = option_path(option, license, today)
        saving = (
            saving_against(path, current)
            if current is not None and current.currency == path.terms.currency
            else None
        )
        result.append(PricedOption(option=option, path=path, saving=saving))
    return result


def proposals_for(user) -> QuerySet[Proposal]:
    """Every proposal for an admin; an account manager's organizations' otherwise."""
    proposals = Proposal.objects.select_related(
        "organization", "license", "license__version__tier", "prepared_by"
    )
    if user.is_admin:
        return proposals
    return proposals.filter(organization__account_manager=user)


@dataclass(frozen=True)
class Row:
    proposal: Proposal
    version: ProposalVersion


def rows(proposals) -> list[Row]:
    return [Row(proposal, newest_version(proposal)) for proposal in proposals]
