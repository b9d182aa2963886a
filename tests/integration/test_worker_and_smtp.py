"""The real parts: a Celery worker in its own process fed through the broker (Redis in
CI), and delivery to a real SMTP server on loopback."""

import time
from email import message_from_bytes

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings

from portal.models import Invitation, OutboundEmail
from portal.tasks import send_email

pytestmark = pytest.mark.integration


def _wait_until_sent(message_id: int, timeout: float = 90.0) -> OutboundEmail:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = OutboundEmail.objects.get(pk=message_id)
        if message.sent_at:
            return message
        time.sleep(0.25)
    raise AssertionError(f"The worker did not send email {message_id} within {timeout}s")


def test_it_runs_in_ci_against_redis_when_required():
    from tests.helpers.services import REAL_SERVICES_REQUIRED

    if REAL_SERVICES_REQUIRED:
        assert settings.CELERY_BROKER_URL.startswith("redis://"), settings.CELERY_BROKER_URL


def test_a_real_worker_delivers_an_invitation_sent_from_the_site(
    celery_worker_process, smtp_server, client, owner, organization
):
    client.force_login(owner)
    response = client.post(
        f"/app/{organization.slug}/members/invite/",
        {"email": "new.colleague@example.com", "role": "billing"},
    )
    assert response.status_code == 302

    invitation = Invitation.objects.get(email="new.colleague@example.com")
    outbound = OutboundEmail.objects.get(to="new.colleague@example.com")
    sent = _wait_until_sent(outbound.pk)
    assert sent.attempts == 1

    [envelope] = smtp_server.wait_for(1)
    assert envelope.rcpt_tos == ["new.colleague@example.com"]
    received = message_from_bytes(envelope.content)
    assert organization.name in received["Subject"]
    text = next(
        part.get_payload(decode=True).decode()
        for part in received.walk()
        if part.get_content_type() == "text/plain"
    )
    assert f"http://testserver/invitations/{invitation.token}/" in text


@pytest.mark.django_db
def test_it_delivers_over_smtp_and_never_twice(smtp_server):
    message = OutboundEmail.objects.create(
        to="someone@example.com", subject="Hello", body_text="Plain", body_html="<p>Rich</p>"
    )
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=smtp_server.port,
    ):
        assert send_email.apply(args=[message.pk]).get() == "sent"
        # A retried or duplicated delivery of the same task sends nothing more.
        assert send_email.apply(args=[message.pk]).get() == "skipped"

    [envelope] = smtp_server.wait_for(1)
    received = message_from_bytes(envelope.content)
    assert received["Subject"] == "Hello"
    assert received.is_multipart()
    assert {p.get_content_type() for p in received.walk()} >= {"text/plain", "text/html"}
    assert len(smtp_server.messages) == 1
    assert mail.outbox == []


def test_a_real_worker_delivers_a_group_over_one_connection_once(
    celery_worker_process, smtp_server
):
    """A batch's emails (portal.emails.queue_many, as the renewal reminders queue them)
    reach the real worker through the broker after the commit, and the SMTP server gets
    each exactly once, over one connection; a duplicate delivery sends nothing more."""
    from django.db import transaction

    from portal.emails import Rendered, queue_many
    from portal.tasks import send_emails

    rendered = Rendered(subject="Your renewal", body_text="Plain", body_html="<p>Rich</p>")
    addresses = [f"r{index}@example.com" for index in range(5)]
    with transaction.atomic():
        rows = queue_many([(address, rendered) for address in addresses])
    for row in rows:
        assert _wait_until_sent(row.pk).attempts == 1
    envelopes = smtp_server.wait_for(5)
    assert sorted(a for e in envelopes for a in e.rcpt_tos) == addresses
    assert len(set(smtp_server.peers)) == 1  # all over one connection

    send_emails.delay([row.pk for row in rows])  # the same group again
    time.sleep(3)
    assert len(smtp_server.messages) == 5
