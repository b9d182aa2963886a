"""The builder's services: each step's rules, each refusal (nothing written), the
approval rules and the versions."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from billing.models import (
    DocumentSequence,
    Proposal,
    ProposalEvent,
    ProposalEventKind,
    ProposalOption,
    ProposalStatus,
    RoiScenario,
)
from billing.proposals.options import (
    OptionInput,
    ProposalRefused,
    renew_as_is,
)
from billing.proposals.services import (
    Edit,
    proposal_approve,
    proposal_create,
    proposal_edit,
    proposal_option_remove,
    proposal_option_set,
    proposal_recall,
    proposal_reject,
    proposal_submit,
    proposal_withdraw,
)
from licensing.models import VersionStatus
from portal.models import ADMINS_GROUP
from tests.factories import (
    FeatureFactory,
    OrganizationFactory,
    ProductFactory,
    TierFactory,
    UserFactory,
    build_published,
)
from tests.factories.proposals import actor, approver, proposal_in, published, upgrade
from tests.helpers.checkout import subscribed

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(account_manager):
    return account_manager


def add(proposal, option, now, user, position=None):
    return proposal_option_set(
        proposal=proposal, position=position, option=option, actor=actor(user), at=now
    )


def refused(call, **kwargs) -> dict:
    with pytest.raises(ProposalRefused) as caught:
        call(**kwargs)
    return caught.value.errors


def newest(proposal):
    return proposal.versions.order_by("-number").first()


def test_it_creates_a_numbered_draft_valid_for_thirty_days(license, manager, now):
    first = proposal_create(license=license, actor=actor(manager), at=now)
    second = proposal_create(license=license, actor=actor(manager), at=now)

    assert (first.number, second.number) == ("P-2026-0001", "P-2026-0002")
    [version] = first.versions.all()
    assert version.status == ProposalStatus.DRAFT
    assert version.valid_until == date(2026, 4, 13)
    assert not version.options.exists()
    assert first.prepared_by == manager
    assert first.events.get().kind == ProposalEventKind.CREATED


def test_it_refuses_a_license_without_a_subscription(organization, catalog, manager, now):
    from tests.helpers.licenses import issue

    bare = issue(organization, catalog, "team").license
    assert (
        "subscription" in refused(proposal_create, license=bare, actor=actor(manager), at=now)[""]
    )
    assert not Proposal.objects.exists()
    assert not DocumentSequence.objects.filter(series="P").exists()


def test_it_prices_options_from_the_catalog_in_the_subscriptions_currency(license, manager, now):
    proposal = proposal_create(license=license, actor=actor(manager), at=now)
    option = add(proposal, upgrade("business", 12, discount="20", term_cycles=3), now, manager)

    assert option.position == 1
    assert option.price.version == published("business")
    assert (option.price.currency_id, option.price.cycle) == ("USD", "annual")
    assert option.price.amount == Decimal("390.00")
    event = proposal.events.get(kind=ProposalEventKind.EDITED)
    assert event.changes["option 1"][0] == ""
    assert "20% off (Three-year commitment)" in event.changes["option 1"][1]


def _on_retired_team_v1(catalog):
    """Another organization on Team v1 (retired), 4 seats, annual, for 2026."""
    return subscribed(
        OrganizationFactory(),
        catalog,
        "team",
        number=1,
        seats=4,
        cycle="annual",
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
    )


def test_keeping_a_retired_price_past_its_lock_needs_an_admins_approval(
    organization, catalog, manager, now
):
    """Renewing a retired version as is for two more years keeps a price the catalog no
    longer sells past the day it stops holding: an ad-hoc price, approved by an admin as
    a discount above the threshold is (staff walker: it was sent as "the catalog price")."""
    from django.core.exceptions import ValidationError

    from billing.proposals.content import approval_reasons
    from billing.proposals.sending import proposal_send, send_refusal
    from billing.proposals.services import version_needs_approval
    from billing.renewals.selectors import lock_holds_until

    old = _on_retired_team_v1(catalog)
    holds = lock_holds_until(old.subscription, old.version)
    assert holds < date(2028, 12, 31)
    proposal = proposal_create(license=old, actor=actor(manager), at=now)
    add(proposal, renew_as_is(old, term_cycles=2, billing="per_cycle"), now, manager)
    version = proposal.versions.get()

    assert version_needs_approval(version)
    (reason,) = approval_reasons(version.options.all(), today=now.date())
    assert reason == (
        f"Option 1 keeps Team v1, retired, at its price past {holds:%-d %B %Y}, when that "
        "price stops holding: a price the catalog no longer sells."
    )
    assert send_refusal(version, today=now.date()).startswith("An admin approves")
    with pytest.raises(ValidationError, match=r"An admin approves P-\S+ v1 before it is sent"):
        proposal_send(version=version, actor=actor(manager), at=now)


def test_it_offers_renewing_as_is_on_a_retired_version(organization, catalog, manager, now):
    old = _on_retired_team_v1(catalog)
    assert old.version.status == VersionStatus.RETIRED
    proposal = proposal_create(license=old, actor=actor(manager), at=now)

    option = add(proposal, renew_as_is(old, term_cycles=2, billing="per_cycle"), now, manager)

    assert option.renew_as_is and option.tier_version == old.version
    assert (option.seats, option.cycle, option.term_cycles) == (4, "annual", 2)
    # A retired version is not on sale as anything but the license's own.
    other = subscribed(
        organization,
        catalog,
        "business",
        seats=12,
        cycle="annual",
        term_start=date(2026, 1, 1),
        term_end=date(2026, 12, 31),
    )
    theirs = proposal_create(license=other, actor=actor(manager), at=now)
    errors = refused(
        proposal_option_set,
        proposal=theirs,
        position=None,
        actor=actor(manager),
        at=now,
        option=OptionInput(tier_version=old.version, seats=4, cycle="annual"),
    )
    assert "not on sale" in errors["tier_version"]


BAD_OPTIONS = [
    ({"seats": 16}, "seats", "Team allows at most 15 seats."),
    ({"seats": 2}, "seats", "Team is sold from 3 seats."),
    ({"seats": 0}, "seats", "Choose at least one seat."),
    ({"term_cycles": 4}, "term_cycles", "An annual option's term is 1 to 3 years."),
    ({"term_cycles": 0}, "term_cycles", "An annual option's term is 1 to 3 years."),
    (
        {"cycle": "monthly", "term_cycles": 2},
        "term_cycles",
        "A monthly option's term is one month.",
    ),
    ({"cycle": "weekly"}, "cycle", "Choose monthly or annual billing."),
    ({"billing": "later"}, "billing", "Choose up front or per cycle."),
    ({"billing": "per_cycle"}, "billing", "A one-cycle term is one invoice: bill it up front."),
    (
        {"discount_percent": Decimal("100.01"), "discount_reason": "x"},
        "discount_percent",
        "A discount is 0 to 100%.",
    ),
    (
        {"discount_percent": Decimal("-1"), "discount_reason": "x"},
        "discount_percent",
        "A discount is 0 to 100%.",
    ),
    (
        {"discount_percent": Decimal("10.005"), "discount_reason": "x"},
        "discount_percent",
        "Use at most two decimal places.",
    ),
    ({"discount_percent": Decimal("10")}, "discount_reason", "Say why the discount is given."),
    (
        {"discount_percent": Decimal("10"), "discount_reason": "   "},
        "discount_reason",
        "Say why the discount is given.",
    ),
    (
        {"renew_as_is": True, "seats": 6},
        "renew_as_is",
        "Renewing as is keeps the license's seats and billing cycle.",
    ),
]


@pytest.mark.parametrize(("fields", "field", "message"), BAD_OPTIONS)
def test_it_refuses_a_bad_option_and_writes_nothing(license, manager, now, fields, field, message):
    proposal = proposal_create(license=license, actor=actor(manager), at=now)
    values = {"tier_version": license.version, "seats": 5, "cycle": "annual", **fields}
    errors = refused(
        proposal_option_set,
        proposal=proposal,
        position=None,
        actor=actor(manager),
        at=now,
        option=OptionInput(**values),
    )
    assert errors[field] == message
    assert not ProposalOption.objects.exists()
    assert proposal.events.count() == 1


def test_it_refuses_another_products_tier(license, manager, now):
    product = ProductFactory(name="Widget", slug="widget")
    widget = build_published(
        TierFactory(product=product), features=[FeatureFactory(product=product)]
    )
    proposal = proposal_create(license=license, actor=actor(manager), at=now)
    errors = refused(
        proposal_option_set,
        proposal=proposal,
        position=None,
        actor=actor(manager),
        at=now,
        option=OptionInput(tier_version=widget, seats=5, cycle="annual"),
    )
    assert errors["tier_version"] == "Choose a tier of the license's own product."


def test_it_keeps_one_to_three_options_and_closes_gaps(license, manager, now):
    proposal = proposal_create(license=license, actor=actor(manager), at=now)
    for seats in (5, 8, 10):
        add(proposal, upgrade("team", seats), now, manager)
    errors = refused(
        proposal_option_set,
        proposal=proposal,
        position=None,
        actor=actor(manager),
        at=now,
        option=upgrade("team", 12),
    )
    assert "at most 3 options" in errors[""]

    add(proposal, upgrade("business", 12), now, manager, position=2)  # replaces option 2
    proposal_option_remove(proposal=proposal, position=1, actor=actor(manager), at=now)

    rows = list(
        newest(proposal).options.values_list("position", "tier_version__tier__slug", "seats")
    )
    assert rows == [(1, "business", 12), (2, "team", 10)]
    assert refused(
        proposal_option_remove, proposal=proposal, position=3, actor=actor(manager), at=now
    ) == {"position": "There is no option 3."}


def test_it_edits_the_cover_note_validity_and_roi(license, manager, now):
    proposal = proposal_create(license=license, actor=actor(manager), at=now)
    scenario = RoiScenario.objects.create(
        organization=license.organization, name="Ops team", query={"team_size": "40"}
    )
    proposal_edit(
        proposal=proposal,
        actor=actor(manager),
        at=now,
        edit=Edit(
            cover_note="  Dear Olivia,  ", valid_until=date(2026, 5, 1), roi_scenario=scenario
        ),
    )

    version = newest(proposal)
    assert (version.cover_note, version.valid_until) == ("Dear Olivia,", date(2026, 5, 1))
    # The scenario's numbers are copied into the version, with its name and id.
    assert (version.roi_inputs, version.roi_scenario_name, version.roi_scenario_id) == (
        {"team_size": "40"},
        "Ops team",
        scenario.pk,
    )
    event = proposal.events.get(kind=ProposalEventKind.EDITED)
    assert event.changes["valid until"] == ["2026-04-13", "2026-05-01"]
    assert event.changes["cover note"] == ["", "Dear Olivia,"]
    assert event.changes["ROI scenario"] == ["", "Ops team"]
    assert event.changes["ROI inputs"] == ["", "team_size=40"]


def test_it_takes_roi_inputs_through_the_calculators_form(license, manager, now):
    proposal = proposal_create(license=license, actor=actor(manager), at=now)
    errors = refused(
        proposal_edit,
        proposal=proposal,
        actor=actor(manager),
        at=now,
        edit=Edit(roi_inputs={"team_size": "lots"}),
    )
    assert errors["roi_team_size"] == "Enter a whole number of people, e.g. 25."

    proposal_edit(
        proposal=proposal,
        actor=actor(manager),
        at=now,
        edit=Edit(roi_inputs={"team_size": "50", "hourly_cost": "75"}),
    )
    inputs = newest(proposal).roi_inputs
    assert (inputs["team_size"], inputs["hourly_cost"]) == ("50", "75")


@pytest.mark.parametrize(
    ("valid_until", "message"),
    [
        (date(2026, 3, 14), "The offer must stay open after today."),
        (date(2026, 3, 1), "The offer must stay open after today."),
        (date(2026, 3, 14) + timedelta(days=91), "An offer stays open at most 90 days."),
    ],
)
def test_it_refuses_a_bad_validity(license, manager, now, valid_until, message):
    proposal = proposal_create(license=license, actor=actor(manager), at=now)
    errors = refused(
        proposal_edit,
        proposal=proposal,
        actor=actor(manager),
        at=now,
        edit=Edit(valid_until=valid_until),
    )
    assert errors == {"valid_until": message}
    assert newest(proposal).valid_until == date(2026, 4, 13)


def test_it_accepts_the_last_day_of_the_validity_window(license, manager, now):
    proposal = proposal_create(license=license, actor=actor(manager), at=now)
    last = date(2026, 3, 14) + timedelta(days=90)
    assert (
        proposal_edit(
            proposal=proposal, actor=actor(manager), at=now, edit=Edit(valid_until=last)
        ).valid_until
        == last
    )


def test_it_refuses_another_organizations_scenario(license, manager, now):
    proposal = proposal_create(license=license, actor=actor(manager), at=now)
    theirs = RoiScenario.objects.create(organization=OrganizationFactory(), name="x", query={})
    errors = refused(
        proposal_edit,
        proposal=proposal,
        actor=actor(manager),
        at=now,
        edit=Edit(roi_scenario=theirs),
    )
    assert errors == {"roi_scenario": "Choose one of the organization's saved scenarios."}


@pytest.mark.parametrize(("percent", "needs"), [("15", False), ("15.01", True), ("0", False)])
def test_it_asks_for_approval_only_above_the_threshold(license, manager, now, percent, needs):
    proposal = proposal_create(license=license, actor=actor(manager), at=now)
    add(proposal, upgrade("business", 12, discount=percent), now, manager)
    if needs:
        assert proposal_submit(proposal=proposal, actor=actor(manager), at=now).status == (
            ProposalStatus.AWAITING_APPROVAL
        )
    else:
        errors = refused(proposal_submit, proposal=proposal, actor=actor(manager), at=now)
        assert errors[""] == (
            "No discount is above 15% and no retired price is kept past its lock: it needs "
            "no approval, send it as it is."
        )
        assert newest(proposal).status == ProposalStatus.DRAFT


def test_it_refuses_to_submit_an_empty_version(license, manager, now):
    proposal = proposal_create(license=license, actor=actor(manager), at=now)
    assert refused(proposal_submit, proposal=proposal, actor=actor(manager), at=now) == {
        "": "Add at least one option first."
    }


def test_an_admin_approves_with_a_comment(license, manager, now):
    proposal = proposal_in(license, manager, ProposalStatus.AWAITING_APPROVAL)
    admin = approver()
    proposal_approve(proposal=proposal, actor=actor(admin), comment=" Worth it. ", at=now)

    version = newest(proposal)
    assert (version.status, version.approved_by, version.approved_at) == (
        ProposalStatus.APPROVED,
        admin,
        now,
    )
    event = proposal.events.get(kind=ProposalEventKind.APPROVED)
    assert (event.actor, event.comment) == (admin, "Worth it.")


def test_an_account_manager_cannot_approve(license, manager, now):
    proposal = proposal_in(license, manager, ProposalStatus.AWAITING_APPROVAL)
    errors = refused(proposal_approve, proposal=proposal, actor=actor(manager), comment="", at=now)
    assert errors == {"": "Only an admin approves or rejects a proposal."}
    assert newest(proposal).status == ProposalStatus.AWAITING_APPROVAL


def test_an_admin_cannot_approve_what_they_submitted_unless_superuser(license, now):
    admin = UserFactory(is_staff=True)
    admin.groups.add(Group.objects.get(name=ADMINS_GROUP))
    proposal = proposal_in(license, admin, ProposalStatus.AWAITING_APPROVAL)
    errors = refused(proposal_approve, proposal=proposal, actor=actor(admin), comment="", at=now)
    assert errors == {"": "Another admin approves what you submitted."}

    boss = UserFactory(is_staff=True, is_superuser=True)
    own = proposal_in(license, boss, ProposalStatus.AWAITING_APPROVAL)
    assert refused(proposal_approve, proposal=own, actor=actor(boss), comment=" ", at=now) == {
        "comment": "Say why it is approved: the approval and its reason are kept."
    }
    assert newest(own).status == ProposalStatus.AWAITING_APPROVAL
    proposal_approve(proposal=own, actor=actor(boss), comment="Within budget.", at=now)
    assert newest(own).status == ProposalStatus.APPROVED


def test_an_admin_cannot_approve_a_version_they_changed(license, manager, now):
    # The manager's 20 % was approved; another admin raises it to 90 %, which sends it
    # back to approval, and would approve it: four eyes would be two.
    proposal = proposal_in(license, manager, ProposalStatus.APPROVED)
    admin = UserFactory(is_staff=True)
    admin.groups.add(Group.objects.get(name=ADMINS_GROUP))
    add(proposal, upgrade("business", 12, discount="90", term_cycles=3), now, admin, position=2)
    assert newest(proposal).status == ProposalStatus.AWAITING_APPROVAL

    errors = refused(proposal_approve, proposal=proposal, actor=actor(admin), comment="", at=now)
    assert errors == {"": "Another admin approves a version you changed."}
    assert newest(proposal).status == ProposalStatus.AWAITING_APPROVAL

    proposal_approve(proposal=proposal, actor=actor(approver()), comment="90 %: fine.", at=now)
    assert newest(proposal).status == ProposalStatus.APPROVED


def test_a_version_awaiting_approval_is_frozen_as_submitted(license, manager, now):
    """What an admin approves is what was submitted: while it waits, no option, note,
    validity or ROI changes, whoever asks (its author or an admin), and nothing is
    written."""
    proposal = proposal_in(license, manager, ProposalStatus.AWAITING_APPROVAL)
    fields = ("position", "tier_version", "seats", "discount_percent")
    options = list(newest(proposal).options.values_list(*fields))
    events = proposal.events.count()
    frozen = {
        "": "P-2026-0001 v1 is awaiting approval: it stays as submitted. "
        "Take it back to draft to change it."
    }

    for user in (manager, approver()):
        by = actor(user)
        raised = upgrade("business", 12, discount="60", term_cycles=3)
        assert (
            refused(
                proposal_option_set, proposal=proposal, position=2, option=raised, actor=by, at=now
            )
            == frozen
        )
        third = upgrade("enterprise", 25)
        assert (
            refused(
                proposal_option_set,
                proposal=proposal,
                position=None,
                option=third,
                actor=by,
                at=now,
            )
            == frozen
        )
        assert (
            refused(proposal_option_remove, proposal=proposal, position=1, actor=by, at=now)
            == frozen
        )
        for edit in (
            Edit(cover_note="Changed while it waits"),
            Edit(valid_until=date(2026, 4, 30)),
            Edit(valid_until=date(2026, 3, 1)),  # a bad date too: the freeze refuses it
            Edit(roi_inputs={"team_size": "40"}),
        ):
            assert refused(proposal_edit, proposal=proposal, edit=edit, actor=by, at=now) == frozen

    version = newest(proposal)
    assert version.status == ProposalStatus.AWAITING_APPROVAL
    assert (version.cover_note, version.valid_until, version.roi_inputs) == (
        "",
        date(2026, 4, 13),
        {},
    )
    assert list(version.options.values_list(*fields)) == options
    assert proposal.events.count() == events


def test_withdrawing_from_approval_makes_it_a_draft_to_change_and_submit_again(
    license, manager, now
):
    proposal = proposal_in(license, manager, ProposalStatus.AWAITING_APPROVAL)
    later = now + timedelta(hours=1)

    version = proposal_recall(proposal=proposal, actor=actor(manager), at=later)

    assert (version.status, version.number) == (ProposalStatus.DRAFT, 1)
    assert newest(proposal).status == ProposalStatus.DRAFT
    recalled = proposal.events.order_by("-pk").first()
    assert (recalled.kind, recalled.actor, recalled.happened_at, recalled.proposal_version) == (
        ProposalEventKind.RECALLED,
        manager,
        later,
        version,
    )
    # A draft again: changed in place, submitted as it now is, and approved so.
    add(proposal, upgrade("business", 12, discount="25", term_cycles=3), later, manager, position=2)
    proposal_submit(proposal=proposal, actor=actor(manager), at=later)
    assert newest(proposal).status == ProposalStatus.AWAITING_APPROVAL
    proposal_approve(proposal=proposal, actor=actor(approver()), comment="25 %: fine.", at=later)
    assert proposal.versions.count() == 1
    assert newest(proposal).status == ProposalStatus.APPROVED
    assert newest(proposal).options.get(position=2).discount_percent == Decimal(25)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ProposalStatus.DRAFT, "P-2026-0001 v1 is not awaiting approval (Draft)."),
        (
            ProposalStatus.APPROVED,
            "P-2026-0001 v1 is not awaiting approval (Approved, ready to send).",
        ),
        (ProposalStatus.WITHDRAWN, "P-2026-0001 v1 is withdrawn: it is closed."),
    ],
)
def test_only_a_version_awaiting_approval_is_withdrawn_from_approval(
    license, manager, now, status, message
):
    proposal = proposal_in(license, manager, status)
    events = proposal.events.count()

    assert refused(proposal_recall, proposal=proposal, actor=actor(manager), at=now) == {
        "": message
    }
    assert newest(proposal).status == status
    assert proposal.events.count() == events


def test_a_rejection_needs_a_comment_and_goes_back_to_draft(license, manager, now):
    proposal = proposal_in(license, manager, ProposalStatus.AWAITING_APPROVAL)
    admin = approver()
    assert refused(
        proposal_reject, proposal=proposal, actor=actor(admin), comment="  ", at=now
    ) == {"comment": "Say why it is rejected: the account manager reads it."}
    assert newest(proposal).status == ProposalStatus.AWAITING_APPROVAL

    proposal_reject(proposal=proposal, actor=actor(admin), comment="15% at most.", at=now)
    assert newest(proposal).status == ProposalStatus.DRAFT
    assert proposal.events.get(kind=ProposalEventKind.REJECTED).comment == "15% at most."
    assert (
        "not awaiting approval"
        in refused(proposal_approve, proposal=proposal, actor=actor(admin), comment="", at=now)[""]
    )


def test_editing_an_approved_version_undoes_the_approval(license, manager, now):
    proposal = proposal_in(license, manager, ProposalStatus.APPROVED)
    proposal_edit(proposal=proposal, actor=actor(manager), at=now, edit=Edit(cover_note="Hi"))

    version = newest(proposal)
    assert version.number == 1
    assert version.status == ProposalStatus.AWAITING_APPROVAL  # the 20% still needs it
    assert (version.approved_by, version.approved_at) == (None, None)
    undone = proposal.events.get(kind=ProposalEventKind.APPROVAL_UNDONE)
    assert undone.changes == {"cover note": ["", "Hi"]}


def test_lowering_the_discount_of_an_approved_version_makes_it_a_draft(license, manager, now):
    proposal = proposal_in(license, manager, ProposalStatus.APPROVED)
    add(proposal, upgrade("business", 12, discount="15"), now, manager, position=2)
    assert newest(proposal).status == ProposalStatus.DRAFT


def test_editing_a_sent_version_starts_the_next_one(license, manager, now):
    proposal = proposal_in(license, manager, ProposalStatus.APPROVED)
    # Sending is billing.proposals.sending's (another branch): the status it leaves.
    proposal.versions.update(status=ProposalStatus.SENT, sent_at=now)

    add(proposal, upgrade("business", 14, discount="20", term_cycles=3), now, manager, position=2)

    first, second = proposal.versions.order_by("number")
    assert (first.status, second.status, second.number) == (
        ProposalStatus.SENT,
        ProposalStatus.DRAFT,
        2,
    )
    assert list(first.options.values_list("seats", flat=True)) == [5, 12]
    assert list(second.options.values_list("seats", flat=True)) == [5, 14]
    assert second.valid_until == first.valid_until
    event = proposal.events.order_by("-pk").first()
    assert event.proposal_version == second
    assert event.comment == "Started P-2026-0001 v2 from the version sent."

    # The next edit changes v2 in place.
    proposal_edit(proposal=proposal, actor=actor(manager), at=now, edit=Edit(cover_note="v2"))
    assert proposal.versions.count() == 2


def test_accepting_a_version_closes_the_proposal(license, manager, now):
    # v2 was started from the sent v1; then the customer accepted v1.
    proposal = proposal_in(license, manager, ProposalStatus.APPROVED)
    proposal.versions.update(status=ProposalStatus.SENT, sent_at=now)
    add(proposal, upgrade("business", 14, discount="20", term_cycles=3), now, manager, position=2)
    first = proposal.versions.get(number=1)
    first.status, first.accepted_option = ProposalStatus.ACCEPTED, first.options.get(position=2)
    first.save()
    events = proposal.events.count()

    closed = {"": "P-2026-0001 v1 was accepted: the proposal is closed."}
    by = actor(manager)
    assert refused(proposal_edit, proposal=proposal, actor=by, at=now, edit=Edit("x")) == closed
    assert refused(proposal_option_remove, proposal=proposal, position=1, actor=by, at=now) == (
        closed
    )
    assert refused(proposal_submit, proposal=proposal, actor=by, at=now) == closed
    assert proposal.events.count() == events
    assert newest(proposal).cover_note == ""


def test_withdrawing_closes_the_proposal(license, manager, now):
    proposal = proposal_in(license, manager, ProposalStatus.AWAITING_APPROVAL)
    proposal_withdraw(proposal=proposal, actor=actor(manager), at=now, comment="Lost it.")
    assert newest(proposal).status == ProposalStatus.WITHDRAWN
    assert refused(
        proposal_edit, proposal=proposal, actor=actor(manager), at=now, edit=Edit(cover_note="x")
    ) == {"": "P-2026-0001 v1 is withdrawn: it is closed."}
    assert (
        "nothing to withdraw"
        in refused(proposal_withdraw, proposal=proposal, actor=actor(manager), at=now)[""]
    )


def test_every_step_is_on_record(license, manager, now):
    proposal = proposal_in(license, manager, ProposalStatus.APPROVED)
    kinds = list(ProposalEvent.objects.filter(proposal=proposal).values_list("kind", flat=True))
    assert kinds == ["created", "edited", "edited", "submitted", "approved"]
