"""What the customer's proposal pages read: the organization's proposals as sent, the
version open to them, and each option side by side (its price path per year, the first
invoice, the discount and why, and what it gains, keeps and loses against the license's
current tier), and the option it recommends. Reads only; the answers are
billing.proposals.acceptance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q
from django.utils import timezone

from billing.discounts import negotiated
from billing.models import Proposal, ProposalOption, ProposalStatus, ProposalVersion
from billing.pricing import BillingCycle
from billing.proposals.acceptance import refusal
from billing.proposals.content import option_comparison, option_path
from billing.proposals.pricing import PricePath
from licensing.catalog.diff import Comparison
from licensing.catalog.selectors import version_snapshot
from portal.models import Organization

# The statuses a customer sees: a version reaches them when it is sent.
SHOWN = (
    ProposalStatus.SENT,
    ProposalStatus.SUPERSEDED,
    ProposalStatus.ACCEPTED,
    ProposalStatus.DECLINED,
    ProposalStatus.WITHDRAWN,
)


def _shown_versions():
    return ProposalVersion.objects.filter(
        Q(status__in=SHOWN) & (Q(sent_at__isnull=False) | ~Q(status=ProposalStatus.WITHDRAWN))
    ).order_by("-number")


def customer_proposals(organization: Organization):
    """The organization's proposals that were sent to it, newest first, each with its
    versions as sent (`shown_versions`, newest first). A proposal withdrawn before any
    version was sent never reached the customer: it is not among them."""
    return (
        Proposal.objects.filter(
            organization=organization, versions__status__in=SHOWN, versions__sent_at__isnull=False
        )
        .distinct()
        .select_related("license__version__tier", "prepared_by")
        .prefetch_related(Prefetch("versions", _shown_versions(), to_attr="shown_versions"))
    )


def open_proposals(organization: Organization, today: date) -> list[ProposalVersion]:
    """The versions the organization may still answer: sent and not expired."""
    return list(
        ProposalVersion.objects.filter(
            proposal__organization=organization,
            status=ProposalStatus.SENT,
            valid_until__gte=today,
        ).select_related("proposal", "sent_by")
    )


def current_version(proposal: Proposal) -> ProposalVersion | None:
    """The version the customer answers: the one sent (at most one), else the newest
    they were shown (answered, withdrawn or superseded)."""
    versions = getattr(proposal, "shown_versions", None)
    if versions is None:
        versions = list(_shown_versions().filter(proposal=proposal))
    sent = [version for version in versions if version.status == ProposalStatus.SENT]
    return sent[0] if sent else (versions[0] if versions else None)


@dataclass(frozen=True)
class OptionView:
    option: ProposalOption
    path: PricePath
    starts_on: date
    comparison: Comparison | None  # against the current plan (None: the same)
    # Why the customer can no longer accept it ("" while they can): the page says so.
    refusal: str = ""

    @property
    def term_phrase(self) -> str:
        option = self.option
        if option.cycle == BillingCycle.MONTHLY:
            return "1 month, renewing monthly"
        years = option.term_cycles
        return f"{years} year{'s' if years != 1 else ''}"

    @property
    def billing_phrase(self) -> str:
        option = self.option
        if option.cycle == BillingCycle.MONTHLY:
            return "Invoiced monthly"
        if option.term_cycles == 1:
            return "Invoiced yearly"
        if option.billing == "per_cycle":
            return "Invoiced once a year"
        return "Invoiced up front for the whole term"

    @property
    def discount_phrase(self) -> str:
        discounts = negotiated(self.option.discount_percent, self.option.discount_reason)
        return discounts[0].describe() if discounts else ""


def option_views(version: ProposalVersion, today: date) -> list[OptionView]:
    """Each option with its price path and start (billing.proposals.content's one rule)
    and, when it changes the tier version or the seats, its comparison with the current
    plan (the seats row: today's against the option's)."""
    license = version.proposal.license
    current = license.version
    snapshot = None
    views = []
    for option in version.options.select_related("tier_version__tier", "price"):
        path = option_path(option, license, today)
        comparison = None
        if option.tier_version_id != current.pk or option.seats != license.seats:
            snapshot = snapshot or version_snapshot(current)
            comparison = option_comparison(
                snapshot, option, option.tier_version, seats_now=license.seats
            )
        views.append(OptionView(option, path, path.terms.starts_on, comparison))
    return views


def recommendation(version: ProposalVersion) -> int | None:
    """The position of the option `version` recommends, None for none: the one its PDF
    and its email marked, stored with the PDF when it was rendered
    (billing.proposals.tasks), never worked out again from the usage or the scenarios as
    they are now. None too until the PDF is rendered, and for a version rendered before
    the position was kept (its PDF still marks one; the page shows no badge)."""
    return version.pdf_recommended_position


def as_of(version: ProposalVersion, today: date) -> date:
    """The day a version's options are dated from: the day it was answered (accepted
    or declined), else `today`."""
    if version.answered_at is None:
        return today
    return timezone.localdate(version.answered_at)


def state_message(version: ProposalVersion, today: date) -> str:
    """What the page says about a version that can no longer be answered ("" while it
    can)."""
    return refusal(version, today=today)
