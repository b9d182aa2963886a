"""Outgoing email. Each message is rendered from three templates
(emails/<name>-subject.txt, -body.txt, -body.html), stored in the outbox inside the
caller's transaction and handed to the worker once that transaction commits."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from portal.models import OutboundEmail


def queue_email(*, to: str, subject: str, body_text: str, body_html: str = "") -> OutboundEmail:
    from portal.tasks import send_email

    message = OutboundEmail.objects.create(
        to=to, subject=subject[:255], body_text=body_text, body_html=body_html
    )
    transaction.on_commit(lambda: send_email.delay(message.pk))
    return message


def queue_templated_email(name: str, *, to: str, context: dict) -> OutboundEmail:
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
    return queue_email(
        to=to,
        subject=subject,
        body_text=render_to_string(f"emails/{name}-body.txt", context),
        body_html=render_to_string(f"emails/{name}-body.html", context),
    )
