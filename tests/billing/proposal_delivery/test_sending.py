"""Sending a version: who may, what it supersedes, and the delivery it starts (the PDF
rendered once, each recipient emailed once, the PDF attached, a link to the proposal)."""

from datetime import datetime, timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils.html import escape
from kombu.exceptions import OperationalError as BrokerError

from billing.models import ProposalEvent, ProposalEventKind, ProposalStatus, ProposalVersion
from billing.proposals.sending import proposal_send
from billing.proposals.tasks import MAX_ATTEMPTS, deliver_proposal, deliver_stalled_proposals
from licensing.licenses.services import Actor
from portal.models import OutboundEmail
from tests.billing.proposal_delivery.data import OptionSpec, make_version
from tests.factories.proposals import sent

AT = datetime.fromisoformat("2026-03-14T09:30:00+00:00")
SMALL_DISCOUNT = (OptionSpec("business", 20, discount_percent="10", discount_reason="Loyalty"),)


def send(version, user, capture):
    with capture(execute=True):
        return proposal_send(version=version, actor=Actor.of(user), at=AT)


def test_a_discount_above_the_threshold_is_not_sent_until_approved(version, manager):
    with pytest.raises(ValidationError, match="above the approval threshold"):
        proposal_send(version=version, actor=Actor.of(manager), at=AT)

    version.refresh_from_db()
    assert version.status == ProposalStatus.DRAFT
    assert not ProposalEvent.objects.filter(kind=ProposalEventKind.SENT).exists()


@pytest.mark.parametrize(
    "status",
    [
        ProposalStatus.AWAITING_APPROVAL,
        ProposalStatus.SENT,
        ProposalStatus.SUPERSEDED,
        ProposalStatus.DECLINED,
        ProposalStatus.WITHDRAWN,
    ],
)
def test_only_a_draft_or_an_approved_version_is_sent(proposal, catalog, manager, status):
    version = make_version(proposal, catalog, options=SMALL_DISCOUNT, status=status)

    with pytest.raises(ValidationError, match="cannot be sent"):
        proposal_send(version=version, actor=Actor.of(manager), at=AT)


def test_an_expired_version_is_not_sent(proposal, catalog, manager):
    # A draft left past its validity would reach the customer already expired.
    version = make_version(proposal, catalog, options=SMALL_DISCOUNT)
    late = datetime.combine(version.valid_until + timedelta(days=1), AT.timetz())

    with pytest.raises(ValidationError, match=r"expired on 13 April 2026: set a new validity date"):
        proposal_send(version=version, actor=Actor.of(manager), at=late)

    version.refresh_from_db()
    assert (version.status, version.sent_at) == (ProposalStatus.DRAFT, None)
    assert not ProposalEvent.objects.filter(kind=ProposalEventKind.SENT).exists()


def test_nothing_more_is_sent_once_a_version_was_accepted(proposal, catalog, manager):
    first = make_version(proposal, catalog, options=SMALL_DISCOUNT, status=ProposalStatus.SENT)
    # v2 was started from v1 before the customer accepted v1.
    following = make_version(proposal, catalog, number=2, options=SMALL_DISCOUNT)
    ProposalVersion.objects.filter(pk=first.pk).update(
        status=ProposalStatus.ACCEPTED, accepted_option=first.options.get()
    )

    with pytest.raises(ValidationError, match="v1 was accepted: the proposal is closed"):
        proposal_send(version=following, actor=Actor.of(manager), at=AT)

    following.refresh_from_db()
    assert following.status == ProposalStatus.DRAFT
    assert not ProposalEvent.objects.filter(kind=ProposalEventKind.SENT).exists()


def test_sending_an_approved_version_renders_the_pdf_and_emails_every_billing_recipient(
    version,
    manager,
    owner,
    billing_admin,
    teammate,
    billing_address,
    django_capture_on_commit_callbacks,
):
    ProposalVersion.objects.filter(pk=version.pk).update(status=ProposalStatus.APPROVED)

    send(version, manager, django_capture_on_commit_callbacks)

    version.refresh_from_db()
    assert (version.status, version.sent_by, version.sent_at) == (ProposalStatus.SENT, manager, AT)
    assert version.pdf is not None and bytes(version.pdf).startswith(b"%PDF")
    assert version.pdf_attempts == 1
    event = ProposalEvent.objects.get(kind=ProposalEventKind.SENT)
    assert (event.proposal_version, event.actor, event.happened_at) == (version, manager, AT)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([owner.email, billing_admin.email, billing_address])
    assert teammate.email not in recipients  # a member who does not handle billing

    message = mail.outbox[0]
    assert message.subject == ("Proposal P-2026-0042 v1 for Northwind, valid until 13 April 2026")
    link = f"http://testserver/proposals/{version.proposal_id}/"
    # The text part.
    assert link in message.body
    assert "Option 2: Business, 3 years (recommended)" in message.body
    assert "Negotiated discount 20% (Three-year commitment)" in message.body
    assert "$18,720.00" in message.body
    assert "Maya Lindqvist" in message.body
    # The HTML part.
    html = dict((mime, body) for body, mime in message.alternatives)["text/html"]
    assert f'href="{link}"' in html
    assert "$18,720.00" in html and "Three-year commitment" in html
    assert "Your API use outgrew Team this year." in html
    # The PDF, attached: the stored one.
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == ("P-2026-0042 v1.pdf", "application/pdf")
    assert content == bytes(version.pdf)


def test_the_email_escapes_what_people_typed_in_its_html_only(
    proposal, catalog, manager, owner, organization, django_capture_on_commit_callbacks
):
    organization.name = "Smith & <Sons>"
    organization.save()
    typed = '"><script>alert(1)</script>'
    version = make_version(
        proposal,
        catalog,
        options=(OptionSpec("business", 20, discount_percent="10", discount_reason=typed),),
        cover_note=typed,
    )

    send(version, manager, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    # Plain text is never parsed as markup: the subject and the text keep what was typed.
    assert message.subject.startswith("Proposal P-2026-0042 v1 for Smith & <Sons>, valid")
    assert message.body.count(typed) == 2 and "&lt;" not in message.body
    html = dict((mime, body) for body, mime in message.alternatives)["text/html"]
    assert typed not in html and "<Sons>" not in html
    assert html.count(escape(typed)) == 2 and escape("Smith & <Sons>") in html


def test_a_draft_whose_discount_needs_no_approval_is_sent(
    proposal, catalog, manager, owner, django_capture_on_commit_callbacks
):
    version = make_version(proposal, catalog, options=SMALL_DISCOUNT)

    send(version, manager, django_capture_on_commit_callbacks)

    version.refresh_from_db()
    assert version.status == ProposalStatus.SENT
    assert [m.to for m in mail.outbox] == [[owner.email]]


def test_the_delivery_renders_once_and_emails_once_however_often_it_runs(
    proposal, catalog, manager, owner, django_capture_on_commit_callbacks
):
    version = make_version(proposal, catalog, options=SMALL_DISCOUNT)
    send(version, manager, django_capture_on_commit_callbacks)
    version.refresh_from_db()
    first_pdf, rendered_at = bytes(version.pdf), version.pdf_rendered_at

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_proposal.delay(version.pk).get() == "skipped"
        assert deliver_proposal.delay(version.pk).get() == "skipped"

    version.refresh_from_db()
    assert (bytes(version.pdf), version.pdf_rendered_at) == (first_pdf, rendered_at)
    assert version.pdf_attempts == 1  # one render
    assert OutboundEmail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_failed_render_is_recorded_and_stores_and_sends_nothing(
    proposal, catalog, manager, owner, monkeypatch
):
    make_version(proposal, catalog, options=SMALL_DISCOUNT)
    version = sent(proposal, manager, at=AT)  # its delivery, run on commit, runs below

    def broken(content):
        raise OSError("fonts missing")

    monkeypatch.setattr("billing.proposals.tasks.render_proposal_pdf", broken)
    with pytest.raises(Retry, match="fonts missing"):  # retried with backoff
        deliver_proposal.delay(version.pk)

    version.refresh_from_db()
    assert (version.pdf, version.pdf_rendered_at) == (None, None)
    assert (version.pdf_attempts, version.pdf_last_error) == (1, "fonts missing")
    assert not OutboundEmail.objects.exists()


def test_sending_the_next_version_supersedes_the_one_sent(
    proposal, catalog, manager, owner, django_capture_on_commit_callbacks
):
    first = make_version(proposal, catalog, options=SMALL_DISCOUNT)
    send(first, manager, django_capture_on_commit_callbacks)
    second = make_version(proposal, catalog, number=2, options=SMALL_DISCOUNT)

    send(second, manager, django_capture_on_commit_callbacks)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (ProposalStatus.SUPERSEDED, ProposalStatus.SENT)
    assert list(
        ProposalEvent.objects.filter(proposal=proposal)
        .order_by("pk")
        .values_list("kind", "proposal_version__number")
    ) == [
        (ProposalEventKind.SENT, 1),
        (ProposalEventKind.SUPERSEDED, 1),
        (ProposalEventKind.SENT, 2),
    ]
    assert first.pdf is not None  # v1 stays downloadable
    assert [m.subject.split(" for ")[0] for m in mail.outbox] == [
        "Proposal P-2026-0042 v1",
        "Proposal P-2026-0042 v2",
    ]


def test_a_version_superseded_before_its_pdf_is_rendered_gets_its_pdf_but_no_email(
    proposal, catalog, manager, owner
):
    version = make_version(proposal, catalog, options=SMALL_DISCOUNT)
    ProposalVersion.objects.filter(pk=version.pk).update(
        status=ProposalStatus.SUPERSEDED, sent_at=AT
    )

    assert deliver_proposal.delay(version.pk).get() == "rendered"

    version.refresh_from_db()
    assert version.pdf is not None
    assert not OutboundEmail.objects.exists()


def test_a_send_with_the_broker_down_stands_and_the_sweep_delivers_it_once(
    proposal, catalog, manager, owner, monkeypatch, django_capture_on_commit_callbacks
):
    version = make_version(proposal, catalog, options=SMALL_DISCOUNT)

    def dead_broker(*args, **kwargs):
        raise BrokerError("Connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(deliver_proposal, "delay", dead_broker)
        send(version, manager, django_capture_on_commit_callbacks)  # no 500

    version.refresh_from_db()
    assert (version.status, version.sent_at, version.pdf_rendered_at) == (
        ProposalStatus.SENT,
        AT,
        None,
    )
    assert not mail.outbox

    with time_machine.travel(AT + timedelta(minutes=5), tick=False):
        assert deliver_stalled_proposals.delay().get() == 0  # too recent to call it lost
    later = AT + timedelta(minutes=11)
    with (
        time_machine.travel(later, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert deliver_stalled_proposals.delay().get() == 1
        assert deliver_stalled_proposals.delay().get() == 0  # delivered: nothing left

    version.refresh_from_db()
    assert bytes(version.pdf).startswith(b"%PDF") and version.pdf_attempts == 1
    assert [m.to for m in mail.outbox] == [[owner.email]]


def test_the_sweep_gives_up_on_a_version_out_of_attempts(
    proposal, catalog, manager, django_capture_on_commit_callbacks
):
    version = make_version(proposal, catalog, options=SMALL_DISCOUNT)
    with django_capture_on_commit_callbacks(execute=False):  # the hand-over lost
        proposal_send(version=version, actor=Actor.of(manager), at=AT)
    ProposalVersion.objects.filter(pk=version.pk).update(pdf_attempts=MAX_ATTEMPTS)

    with time_machine.travel(AT + timedelta(hours=1), tick=False):
        assert deliver_stalled_proposals.delay().get() == 0


def test_a_monthly_options_total_is_said_to_be_a_years_not_a_months(
    proposal, catalog, manager, owner, django_capture_on_commit_callbacks, tmp_path
):
    """A monthly option's price path is a year of monthly invoices (12 x 12 seats x $19
    = $2,736.00): the email and the PDF say its total is over a year, never over the
    option's one-month term."""
    from tests.billing.proposal_delivery.test_pdf import text_of

    version = make_version(proposal, catalog, options=(OptionSpec("team", 12, cycle="monthly"),))

    send(version, manager, django_capture_on_commit_callbacks)

    message = mail.outbox[0]
    html = dict((mime, body) for body, mime in message.alternatives)["text/html"]
    assert "Total over a year: $2,736.00" in message.body
    assert "over a year, before tax" in html
    for said in (message.body, html):
        assert "over 1 month" not in said and "Total over the term" not in said
    version.refresh_from_db()
    path = tmp_path / "proposal.pdf"
    path.write_bytes(bytes(version.pdf))
    text = text_of(path)
    assert "Total over a year $2,736.00" in text
    assert "over 1 month" not in text
    # Its label says how it renews, not "1 month" beside a year's figures.
    assert "Option 1: Team, monthly" in text and "Team, 1 month" not in text


def test_a_renewal_as_is_that_no_longer_matches_the_license_is_not_sent(
    proposal, catalog, manager, license_
):
    """A draft's "renew as is" (Team, 12 seats, annual) after the license moved to 15
    seats would renew a plan the customer no longer has: sending says why and waits."""
    version = make_version(proposal, catalog, options=(OptionSpec("team", 12, renew_as_is=True),))
    type(license_).objects.filter(pk=license_.pk).update(seats=15)

    with pytest.raises(ValidationError, match="Option 1 renews as is, but the license has changed"):
        proposal_send(version=version, actor=Actor.of(manager), at=AT)

    version.refresh_from_db()
    assert version.status == ProposalStatus.DRAFT
    assert not mail.outbox


def test_the_email_promises_only_what_the_pdf_holds(
    version, manager, owner, django_capture_on_commit_callbacks
):
    """No return on investment in the email when the version has none (no scenario, no
    inputs): the PDF has no such section."""
    ProposalVersion.objects.filter(pk=version.pk).update(
        status=ProposalStatus.APPROVED, roi_scenario_name="", roi_inputs={}
    )
    send(version, manager, django_capture_on_commit_callbacks)
    body = next(m for m in mail.outbox if m.to == [owner.email]).body
    assert "is attached as a PDF" in body
    assert "return on investment" not in body
