"""Issue 20's sending, with the real parts: the account manager sends Northwind's
approved three-option proposal; the commit hands its delivery to a real Celery worker
through the broker, which renders the PDF once and queues the email, and the worker
delivers it to a real SMTP server on loopback: one message to each owner, billing admin
and billing address, HTML and text, the stored PDF attached, a link to the proposal."""

from datetime import datetime
from email import message_from_bytes

import pytest

from billing.models import BillingDetails, ProposalStatus, ProposalVersion
from billing.proposals.sending import proposal_send
from licensing.licenses.services import Actor
from tests.billing.proposal_delivery.data import (
    ROI_INPUTS,
    make_proposal,
    make_version,
    northwind_license,
)

pytestmark = pytest.mark.integration

AT = datetime.fromisoformat("2026-03-14T09:30:00+00:00")


def _read(envelope) -> dict:
    message = message_from_bytes(envelope.content)
    parts = {"subject": str(message["Subject"]), "to": envelope.rcpt_tos}
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html"):
            parts[kind] = part.get_payload(decode=True).decode()
        elif kind == "application/pdf":
            parts["pdf"] = (part.get_filename(), part.get_payload(decode=True))
    return parts


def test_a_sent_proposal_reaches_each_billing_recipient_with_its_pdf_over_real_smtp(
    celery_worker_process,
    smtp_server,
    now,
    organization,
    owner,
    billing_admin,
    account_manager,
    catalog,
):
    BillingDetails.objects.update_or_create(
        organization=organization, defaults={"billing_emails": ["ap@northwind.example"]}
    )
    license = northwind_license(organization, catalog)
    proposal = make_proposal(license, prepared_by=account_manager)
    version = make_version(proposal, catalog, roi_inputs=ROI_INPUTS)
    ProposalVersion.objects.filter(pk=version.pk).update(status=ProposalStatus.APPROVED)

    proposal_send(version=version, actor=Actor.of(account_manager), at=AT)

    received = [_read(envelope) for envelope in smtp_server.wait_for(3, timeout=180)]
    version.refresh_from_db()
    assert version.pdf is not None and version.pdf_attempts == 1
    assert sorted(address for message in received for address in message["to"]) == sorted(
        [owner.email, billing_admin.email, "ap@northwind.example"]
    )
    link = f"/proposals/{proposal.pk}/"
    for message in received:
        assert message["subject"] == (
            "Proposal P-2026-0042 v1 for Northwind, valid until 13 April 2026"
        )
        assert link in message["text/plain"]
        assert "$18,720.00" in message["text/plain"]
        assert f"{link}" in message["text/html"] and "Three-year commitment" in message["text/html"]
        assert message["pdf"] == ("P-2026-0042 v1.pdf", bytes(version.pdf))
