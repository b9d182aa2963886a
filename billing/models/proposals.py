"""Proposals: what an account manager offers one organization, as a PDF the customer
accepts online.

A Proposal is the deal in progress for one license ("P-2026-0042"); it is made of
versions. A ProposalVersion is what one send of it says: one to three options, the
cover note, the validity date, the ROI projection (the customer's numbers, its own copy),
its PDF and the option the PDF recommends. Only the newest version is edited, and only
until it is sent; editing after a send starts the next version (a copy), so what the
customer was sent never changes under them, and every version sent stays downloadable
(`P-2026-0042 v2`). Sending a version supersedes the one sent before it.

A ProposalOption is one choice in a version: a tier version (even one retired since:
the proposal quotes what it offered), seats, cycle, term length (1 to 3 years on an
annual cycle), how the term is invoiced, and an optional negotiated discount with its
reason. The price is never typed in: `price` is the catalog row, and billing.discounts
applies the discount (billing.proposals works out the price path). "Renew as is" is an
option like any other, marked so.

Status of a version, and who moves it (billing.proposals.services, each step in a
transaction with the proposal's row locked, each on record as a ProposalEvent):

    draft ──submit──▶ awaiting_approval ──approve──▶ approved ──send──▶ sent
      ▲                      │ reject, withdraw         │ edit           │ accept / decline
      └──────────────────────┴──────────────────────────┘          accepted / declined
    draft ──send (no discount above the threshold)──▶ sent
    sent ──the next version is sent──▶ superseded;   any open one ──withdraw──▶ withdrawn

A version awaiting approval is frozen as it was submitted: what the admin approves is
what was asked for. To change it, its author withdraws it from approval (back to draft,
on record), edits it and submits it again.

A version whose `valid_until` has passed is expired: not a stored status but a date, read
against portal.clock, so no job has to run for an offer to lapse.

Accepting an option creates a checkout bound to it (Checkout.proposal_option). The
proposal's row is locked first, and a partial unique constraint on Checkout allows one
confirmed checkout per proposal, so two acceptances at once make one change.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from billing.models.subscriptions import Billing
from billing.pricing import BillingCycle
from licensing.models import AppendOnlyModel, License, TierVersion, TierVersionPrice
from portal.models import Organization

MAX_OPTIONS = 3
# A term of one to three years (an annual cycle) or one month (a monthly cycle).
MAX_PROPOSAL_TERM_CYCLES = 3


class Proposal(models.Model):
    # Taken when the proposal is created, from the document sequence's P series: gapless.
    number = models.CharField(max_length=24, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="proposals"
    )
    license = models.ForeignKey(
        License,
        on_delete=models.PROTECT,
        related_name="proposals",
        help_text="The license the proposal renews or changes.",
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="proposals_prepared",
        help_text="The account manager whose contact the proposal gives.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.number


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved, ready to send"
    SENT = "sent", "Sent"
    SUPERSEDED = "superseded", "Superseded by a later version"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


# The statuses of the version being prepared (one at a time per proposal).
IN_PREPARATION = (
    ProposalStatus.DRAFT,
    ProposalStatus.AWAITING_APPROVAL,
    ProposalStatus.APPROVED,
)
# The statuses in which a version may still be edited in place (an approval is undone).
# Not awaiting approval: that version is frozen until it is withdrawn from approval.
EDITABLE = (ProposalStatus.DRAFT, ProposalStatus.APPROVED)
# The one status in which a customer may accept or decline.
OPEN_TO_CUSTOMER = ProposalStatus.SENT


class ProposalVersion(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(
        "version", editable=False, validators=[MinValueValidator(1)]
    )
    status = models.CharField(
        max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    cover_note = models.TextField(blank=True, max_length=4000)
    valid_until = models.DateField(help_text="The last day the customer may accept it.")
    # The ROI projection: the customer's numbers as the calculator's form keeps them (its
    # query), entered with the customer or copied from one of their saved scenarios when
    # the account manager chose it. A copy, not a reference: any member of the customer
    # may delete a saved scenario, and a version awaiting approval, or sent, must keep
    # saying what it said. The scenario's name (for "Saved scenario “Ops team”") and id
    # (which row the numbers came from, a row that may be gone) are kept with them;
    # "" and None when the numbers were entered.
    roi_inputs = models.JSONField(default=dict, blank=True)
    roi_scenario_name = models.CharField(max_length=80, blank=True)
    roi_scenario_id = models.BigIntegerField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    # The approval of this version's discounts, when one was needed.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    # The customer's answer.
    accepted_option = models.ForeignKey(
        "billing.ProposalOption",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True, max_length=2000)
    # The PDF, rendered by a Celery task once the version is sent (NULL until then) and
    # never changed after: the task's bookkeeping is beside it, as on InvoiceDocument.
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_rendered_at = models.DateTimeField(null=True, blank=True)
    pdf_attempts = models.PositiveSmallIntegerField(default=0)
    pdf_last_error = models.TextField(blank=True)
    # The position of the option the PDF and the email mark "recommended", stored with the
    # PDF from the same content (billing.proposals.tasks), so the customer's page marks
    # what they mark, whatever is reported or deleted after the send. NULL: none is
    # recommended, the PDF is not rendered yet, or it was rendered before this was kept.
    pdf_recommended_position = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["proposal", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "number"], name="proposalversion_one_per_number"
            ),
            # One version of a proposal is open to the customer at a time: sending the
            # next supersedes it in the same transaction.
            models.UniqueConstraint(
                fields=["proposal"],
                condition=Q(status="sent"),
                name="proposalversion_one_sent",
            ),
            # One version is being prepared at a time.
            models.UniqueConstraint(
                fields=["proposal"],
                condition=Q(status__in=["draft", "awaiting_approval", "approved"]),
                name="proposalversion_one_in_preparation",
            ),
            # One change per proposal: once a version is accepted no other is
            # (billing.proposals.acceptance checks it under the proposal's lock).
            models.UniqueConstraint(
                fields=["proposal"],
                condition=Q(status="accepted"),
                name="proposalversion_one_accepted",
            ),
            models.CheckConstraint(
                condition=Q(status="accepted", accepted_option__isnull=False)
                | (~Q(status="accepted") & Q(accepted_option__isnull=True)),
                name="proposalversion_accepted_has_option",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal.number} v{self.number}"

    @property
    def label(self) -> str:
        """ "P-2026-0042 v2"."""
        return str(self)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE


class ProposalOption(models.Model):
    proposal_version = models.ForeignKey(
        ProposalVersion, on_delete=models.CASCADE, related_name="options"
    )
    position = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_OPTIONS)]
    )
    tier_version = models.ForeignKey(TierVersion, on_delete=models.PROTECT, related_name="+")
    price = models.ForeignKey(
        TierVersionPrice,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The catalog price of the tier version in the subscription's currency "
        "and the option's cycle.",
    )
    seats = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    cycle = models.CharField(max_length=16, choices=BillingCycle.choices)
    term_cycles = models.PositiveSmallIntegerField(
        "term length in cycles",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PROPOSAL_TERM_CYCLES)],
        help_text="1 to 3 years on an annual cycle; 1 on a monthly cycle.",
    )
    billing = models.CharField(max_length=16, choices=Billing.choices, default=Billing.UPFRONT)
    discount_percent = models.DecimalField(
        "negotiated discount (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    discount_reason = models.CharField(max_length=300, blank=True)
    renew_as_is = models.BooleanField(
        default=False,
        help_text="The license's own tier version, seats and cycle, at its term's end.",
    )
    at_renewal = models.BooleanField(
        "starts at the renewal",
        default=False,
        help_text="The option starts the day after the current term (a change scheduled "
        "for the renewal), not on acceptance: how a lower tier or fewer seats are offered.",
    )

    class Meta:
        ordering = ["proposal_version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal_version", "position"], name="proposaloption_one_per_position"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1) & Q(position__lte=MAX_OPTIONS),
                name="proposaloption_position_in_range",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="proposaloption_discount_in_range",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent=0) | ~Q(discount_reason=""),
                name="proposaloption_discount_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(term_cycles__gte=1)
                & Q(term_cycles__lte=MAX_PROPOSAL_TERM_CYCLES)
                & (Q(cycle=BillingCycle.ANNUAL) | Q(term_cycles=1)),
                name="proposaloption_term_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Option {self.position} of {self.proposal_version}"

    @property
    def starts_at_term_end(self) -> bool:
        """Whether accepting it schedules the option for the renewal (renew as is, or an
        option set to start then) instead of changing the plan at once."""
        return self.renew_as_is or self.at_renewal


class ProposalEventKind(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    SUBMITTED = "submitted", "Submitted for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    APPROVAL_UNDONE = "approval_undone", "Edited after approval: back to approval"
    RECALLED = "recalled", "Withdrawn from approval: back to draft"
    SENT = "sent", "Sent"
    SUPERSEDED = "superseded", "Superseded"
    VIEWED = "viewed", "Viewed by the customer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ProposalEvent(AppendOnlyModel):
    """The proposal's history, appended as it happens: who, when, what, and for an edit
    what changed (`changes`: field → [before, after]); approvals and rejections carry
    the approver's comment."""

    ORGANIZATION_PATH = "proposal__organization"

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="events")
    proposal_version = models.ForeignKey(
        ProposalVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=ProposalEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    happened_at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["happened_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.proposal} by {self.actor_label}"
