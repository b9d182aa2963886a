from datetime import timedelta
from smtplib import SMTPServerDisconnected
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail

from portal.celery import app
from portal.emails import queue_email
from portal.models import OutboundEmail
from portal.tasks import CLAIM_TIMEOUT, MAX_ATTEMPTS, resend_stalled_emails, send_email

pytestmark = pytest.mark.django_db


def outbound(subject: str = "Hello", **fields) -> OutboundEmail:
    return OutboundEmail.objects.create(
        to="someone@example.com", subject=subject, body_text="Body", **fields
    )


def test_it_sends_an_email_once_however_often_the_task_runs(now):
    message = outbound(body_html="<p>Body</p>")
    assert send_email.apply(args=[message.pk]).get() == "sent"
    assert send_email.apply(args=[message.pk]).get() == "skipped"

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.subject, sent.to, sent.body) == ("Hello", ["someone@example.com"], "Body")
    assert sent.alternatives[0][0] == "<p>Body</p>"
    message.refresh_from_db()
    assert message.sent_at == now
    assert message.attempts == 1


def test_it_skips_a_message_another_worker_is_sending(now):
    message = outbound(claimed_at=now - timedelta(minutes=1))
    assert send_email.apply(args=[message.pk]).get() == "skipped"
    assert mail.outbox == []


def test_it_takes_over_a_claim_from_a_worker_that_died(now):
    message = outbound(claimed_at=now - CLAIM_TIMEOUT - timedelta(seconds=1), attempts=1)
    assert send_email.apply(args=[message.pk]).get() == "sent"
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 2


def test_it_records_a_failed_delivery_and_retries_later(now):
    message = outbound()
    with (
        mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=SMTPServerDisconnected("Connection unexpectedly closed"),
        ),
        pytest.raises(Retry),
    ):
        send_email.apply(args=[message.pk])

    message.refresh_from_db()
    assert message.sent_at is None
    assert message.claimed_at is None  # released, so the retry can claim it again
    assert message.last_error == "Connection unexpectedly closed"
    assert message.attempts == 1
    assert mail.outbox == []

    assert send_email.apply(args=[message.pk]).get() == "sent"
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.last_error == ""


def test_it_queues_emails_only_when_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = queue_email(to="someone@example.com", subject="Queued", body_text="Body")
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [m.subject for m in mail.outbox] == ["Queued"]
    message.refresh_from_db()
    assert message.sent_at is not None


def test_it_resends_only_stalled_unsent_emails(now):
    long_ago = now - timedelta(minutes=30)
    stalled = outbound("Stalled", created_at=long_ago)
    abandoned = outbound(
        "Abandoned claim", created_at=long_ago, claimed_at=now - CLAIM_TIMEOUT * 2, attempts=1
    )
    outbound("Just queued", created_at=now)
    outbound("Being sent", created_at=long_ago, claimed_at=now - timedelta(seconds=30))
    outbound("Already sent", created_at=long_ago, sent_at=long_ago)
    outbound("Gave up", created_at=long_ago, attempts=MAX_ATTEMPTS)

    assert resend_stalled_emails.apply().get() == 2

    assert sorted(m.subject for m in mail.outbox) == ["Abandoned claim", "Stalled"]
    assert set(OutboundEmail.objects.filter(sent_at=now).values_list("pk", flat=True)) == {
        stalled.pk,
        abandoned.pk,
    }
    assert OutboundEmail.objects.filter(sent_at__isnull=True).count() == 3

    # A second sweep finds nothing more to do.
    assert resend_stalled_emails.apply().get() == 0
    assert len(mail.outbox) == 2


def test_it_runs_the_sweep_on_a_beat_schedule_that_expires():
    entries = [
        entry
        for entry in app.conf.beat_schedule.values()
        if entry["task"] == "portal.tasks.resend_stalled_emails"
    ]
    assert len(entries) == 1
    assert entries[0]["options"]["expires"] > 0
