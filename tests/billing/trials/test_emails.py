"""The trial emails as read, HTML and text, through the outbox on the test clock: the
"ended" email tells what the organization is back on and what stays read-only (or, for a
trial license, that it expired) and offers to buy the tier, never to "keep" it nor its
usage against the trial's limits; reminders say the end as the pages do; a suspended
license is sent no reminder."""

import io
import re
from datetime import date

import pytest
from django.core.management import call_command

from billing.models import Notice, NoticeKind
from billing.trials.tasks import send_trial_reminders
from licensing.licenses.services import Actor, license_reinstate, license_suspend
from licensing.models import Tier
from licensing.trials.services import trial_start
from licensing.usage.services import UsageReport, usage_record_batch
from portal.models import OutboundEmail

pytestmark = pytest.mark.usefixtures("test_clock")

STAFF = Actor(label="staff")


def advance(to: date) -> None:
    call_command("clock", "advance", "--to", to.isoformat(), stdout=io.StringIO())


def ended_email() -> OutboundEmail:
    emails = OutboundEmail.objects.filter(subject__startswith="Your Business trial has ended")
    assert emails.exists()
    return emails.first()


def words(html: str) -> str:
    """An HTML part as read: its words, without the tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def both(email: OutboundEmail) -> list[str]:
    """The HTML part as read, and the text part (its lines joined)."""
    return [words(email.body_html), re.sub(r"\s+", " ", email.body_text)]


def test_back_on_the_plan_with_what_stays_read_only(started):
    license = started.trial.license
    usage_record_batch(license=license, reports=[UsageReport("storage", 60, "s1")])
    advance(date(2026, 3, 28))

    email = ended_email()
    for body in both(email):
        assert "ended at the end of 27 March 2026" in body
        assert "Nothing you made during the trial was deleted." in body
        assert "Kept read-only on Team" in body
        assert "Storage: 60 GB in use" in body
        assert "No longer included: Audit log export, Webhooks." in body
        assert "/app/northwind/checkout/?tier=business" in body
        assert "Keep Business" not in body
        assert "Usage against" not in body and "not used yet" not in body
        assert "You are back on Team, at the price you paid before" in body
        assert "Buy Business" in body
    assert ">Buy Business</a>" in email.body_html
    assert "Buy Business:\nhttp" in email.body_text


def test_a_trial_license_is_told_it_expired_and_offered_the_tier(organization, owner, catalog):
    business = Tier.objects.get(slug="business")
    trial_start(organization=organization, tier=business, actor=Actor.of(owner))
    advance(date(2026, 3, 28))

    email = ended_email()
    for body in both(email):
        assert "expired" in body and "Nothing you made during the trial was deleted." in body
        assert "Buy Business to carry on where you left off" in body
        assert "Kept read-only" not in body and "back on" not in body
        assert "Keep Business" not in body and "Usage against" not in body
    assert ">Buy Business</a>" in email.body_html
    assert "Buy Business:\nhttp" in email.body_text


def test_reminders_say_the_end_as_the_pages_do(started):
    advance(date(2026, 3, 21))
    email = OutboundEmail.objects.filter(
        subject__startswith="Your Business trial ends in 7"
    ).first()
    for body in both(email):
        assert "runs until the end of" in body
        assert "let it end by itself at the end of 27 March 2026" in body
        assert "end by itself on" not in body
        # The seats limit is the license's seats (bought, or a trial license's), not
        # Business's: said so, not as Business's.
        assert "Usage against your limits during the Business trial" in body
        assert "Usage against Business's limits" not in body
    html_row = r"Seats</td>\s*<td[^>]*>\d+ seats of \d+ seats on the license</td>"
    text_row = r"- Seats: \d+ seats; limit \d+ seats \(the seats on the license\)"
    assert re.search(html_row, email.body_html) and re.search(text_row, email.body_text)
    assert ">Keep Business</a>" in email.body_html


def test_the_reminders_end_now_link_opens_the_end_page(started, client_for, owner):
    advance(date(2026, 3, 21))
    email = OutboundEmail.objects.filter(
        subject__startswith="Your Business trial ends in 7"
    ).first()
    end = f"/app/northwind/trials/{started.trial.pk}/end/"
    link = re.search(r'<a href="([^"]+)">End the trial now</a>', email.body_html).group(1)
    assert link.endswith(end)
    assert end in email.body_text
    page = client_for(owner).get(end)
    assert page.status_code == 200 and "End the trial now" in page.content.decode()


def test_a_suspended_license_is_sent_no_reminder(started):
    license = started.trial.license
    license_suspend(license=license, actor=STAFF, reason="Unpaid invoice.")
    advance(date(2026, 3, 22))
    assert not Notice.objects.filter(kind=NoticeKind.TRIAL_REMINDER).exists()
    assert not OutboundEmail.objects.filter(subject__contains="trial ends").exists()

    # Reinstated, it is reminded again (the last day's, at least).
    license.refresh_from_db()
    license_reinstate(license=license, actor=STAFF, reason="Paid.")
    advance(date(2026, 3, 27))
    assert send_trial_reminders() == 0
    sent = Notice.objects.filter(kind=NoticeKind.TRIAL_REMINDER)
    assert (1, date(2026, 3, 27)) in set(sent.values_list("lead", "sent_on"))
    assert not sent.filter(sent_on__lt=date(2026, 3, 22)).exists()
