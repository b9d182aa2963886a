"""portal.tasks.send_emails: many outbox rows delivered over one connection, each claimed
on its own first, so a retry, a duplicate delivery or another worker sends none twice;
a row that fails goes to send_email's retries and the rest are sent. portal.emails
.queue_many hands a caller's rows over in groups once its transaction commits."""

from datetime import timedelta
from smtplib import SMTPRecipientsRefused
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from portal.emails import Rendered, queue_many
from portal.models import OutboundEmail
from portal.tasks import SEND_BATCH, send_emails

pytestmark = pytest.mark.django_db


def outbound(to: str, **fields) -> OutboundEmail:
    return OutboundEmail.objects.create(
        to=to, subject=f"For {to}", body_text="Body", body_html="<p>Body</p>", **fields
    )


def test_it_sends_each_message_once_over_one_connection(now):
    messages = [outbound(f"{i}@example.com") for i in range(5)]
    ids = [m.pk for m in messages]
    opened = []
    real_open = EmailBackend.open

    def counting_open(self):
        opened.append(self)
        return real_open(self)

    with mock.patch.object(EmailBackend, "open", counting_open):
        assert send_emails.apply(args=[ids]).get() == {"sent": 5, "skipped": 0, "failed": 0}
    assert len(opened) == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.to for m in messages)
    assert mail.outbox[0].alternatives[0][0] == "<p>Body</p>"
    assert all(m.sent_at == now for m in OutboundEmail.objects.all())

    # Run again (a duplicate delivery, a retry): nothing more.
    assert send_emails.apply(args=[ids]).get() == {"sent": 0, "skipped": 5, "failed": 0}
    assert len(mail.outbox) == 5


def test_it_skips_what_another_worker_holds_or_sent(now):
    held = outbound("held@example.com", claimed_at=now - timedelta(minutes=1))
    done = outbound("done@example.com", sent_at=now)
    free = outbound("free@example.com")
    counts = send_emails.apply(args=[[held.pk, done.pk, free.pk]]).get()
    assert counts == {"sent": 1, "skipped": 2, "failed": 0}
    assert [m.to for m in mail.outbox] == [["free@example.com"]]


def test_a_failed_message_goes_to_its_own_retries_and_the_rest_are_sent(now):
    first, bad, last = (outbound(f"{name}@example.com") for name in ("first", "bad", "last"))
    real_send = EmailBackend.send_messages

    def refuse_bad(self, messages):
        if messages[0].to == ["bad@example.com"]:
            raise SMTPRecipientsRefused({"bad@example.com": (550, b"No such user")})
        return real_send(self, messages)

    with (
        mock.patch.object(EmailBackend, "send_messages", refuse_bad),
        mock.patch("portal.tasks.send_email.apply_async") as retry,
    ):
        counts = send_emails.apply(args=[[first.pk, bad.pk, last.pk]]).get()
    assert counts == {"sent": 2, "skipped": 0, "failed": 1}
    assert sorted(m.to[0] for m in mail.outbox) == ["first@example.com", "last@example.com"]
    bad.refresh_from_db()
    assert (bad.sent_at, bad.claimed_at, bad.attempts) == (None, None, 1)
    assert "No such user" in bad.last_error
    retry.assert_called_once()
    assert retry.call_args.kwargs["args"] == [bad.pk]


def test_queue_many_hands_the_rows_over_in_groups_after_commit(django_capture_on_commit_callbacks):
    rendered = Rendered(subject="Hi", body_text="Text", body_html="<p>Html</p>")
    count = SEND_BATCH + 3
    with (
        mock.patch("portal.emails.send_emails.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        rows = queue_many([(f"{i}@example.com", rendered) for i in range(count)])
        assert delay.call_count == 0  # nothing before the commit
    assert OutboundEmail.objects.count() == count
    groups = [call.args[0] for call in delay.call_args_list]
    assert [len(group) for group in groups] == [SEND_BATCH, 3]
    assert [pk for group in groups for pk in group] == [row.pk for row in rows]
    assert OutboundEmail.objects.get(pk=rows[0].pk).body_html == "<p>Html</p>"
