"""The subjects of issue 18's billing emails (renewed, renewal reminder, expired, dunning,
the account manager's dunning, reinstated) are plain text: an organization named with
quotes, an ampersand and angle brackets reads as typed, with no HTML escaping and no
whitespace around it, while the HTML bodies stay escaped. "Now" is 14 March 2026."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from django.template.loader import render_to_string

from billing.models import BillingDetails
from billing.renewals.reminder_tasks import send_renewal_reminders
from portal import clock
from portal.models import OutboundEmail
from tests.helpers.checkout import subscribed

pytestmark = pytest.mark.django_db

NAME = "O'Brien & Co <b>"
SUBJECTS = [
    ("renewed", {"product": "Widget", "term_end": date(2026, 4, 30), "paid": True}),
    ("renewal_reminder", {"product": "Widget", "summary": None}),
    ("expired", {"product": "Widget"}),
    ("dunning", {"stage": "reminder", "outstanding": "$10.00"}),
    ("dunning", {"stage": "past_due", "days": 8}),
    ("dunning_account_manager", {"stage": "past_due", "outstanding": "$10.00", "days": 8}),
    ("dunning_account_manager", {"stage": "suspend", "outstanding": "$10.00", "days": 15}),
    ("dunning_reinstated", {}),
]


class _Org:
    name = NAME


@pytest.mark.parametrize(
    ("name", "context"), SUBJECTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SUBJECTS)]
)
def test_a_subject_names_the_organization_unescaped_without_surrounding_space(name, context):
    raw = render_to_string(f"emails/billing/{name}-subject.txt", {"organization": _Org, **context})
    line = raw.rstrip("\n")
    assert NAME in line, line
    assert "&amp;" not in line and "&#x27;" not in line and "&lt;" not in line
    assert line == line.strip(), repr(line)
    assert "\n" not in line


EMAILS = Path(__file__).resolve().parents[3] / "templates" / "emails"
EVERY_SUBJECT = sorted(
    str(path.relative_to(EMAILS.parent)) for path in EMAILS.rglob("*-subject.txt")
)


@pytest.mark.parametrize("template", EVERY_SUBJECT)
def test_no_subject_escapes_what_it_names(template):
    """Every email's subject, whoever added it: the organization's name (and a person's,
    where one is named) as typed, never as HTML ("Smith &amp; Jones")."""
    people = {"actor_name": NAME, "inviter": NAME, "invited_by": NAME, "user": _Org}
    line = render_to_string(template, {"organization": _Org, **people}).strip()
    assert "&amp;" not in line and "&#x27;" not in line and "&lt;" not in line, line


def test_a_reminder_subject_is_plain_and_its_html_body_escaped(organization, catalog, owner):
    organization.name = NAME
    organization.save(update_fields=["name"])
    BillingDetails.objects.create(
        organization=organization, legal_name="O'Brien", country="US", billing_emails=[]
    )
    subscribed(organization, catalog, "team")  # renews on 1 April: reminded on 25 March
    clock.forget()
    with time_machine.travel(datetime(2026, 3, 25, 7, tzinfo=UTC), tick=False):
        send_renewal_reminders.apply(throw=True).get()
    message = OutboundEmail.objects.get(to=owner.email)
    assert message.subject == (
        f"Your Tierwise Licensing license renews on 1 April 2026 ({NAME})"
    ), message.subject
    assert "O&#x27;Brien &amp; Co &lt;b&gt;" in message.body_html
    assert NAME not in message.body_html
    assert NAME in message.body_text
