"""Comparing a renewal made together (billing.renewals.batch) with one made by the
one-at-a-time path with the batch switched off: every row each writes, without ids,
numbers, stamps and signatures. (An attacker of the batch engine wrote it; kept as the
proof that the two paths agree.)"""

from datetime import UTC, date, datetime

from django.forms.models import model_to_dict

from billing.models import (
    BillingDetails,
    Invoice,
    InvoiceDocument,
    InvoiceLine,
    Notice,
    Subscription,
    SubscriptionEvent,
    SubscriptionPeriod,
)
from billing.renewals import batch
from billing.renewals.services import subscription_renew
from licensing.licenses.services import license_latest_file
from licensing.licenses.signing import public_key_pem, verify
from licensing.models import License, LicenseEvent, LicenseFile
from portal.models import OutboundEmail, Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.helpers.checkout import subscribed

DAY = date(2026, 4, 1)
AT = datetime(2026, 4, 1, 0, 2, tzinfo=UTC)


def customer(
    catalog,
    name,
    *,
    tier="team",
    seats=5,
    cycle="monthly",
    currency="USD",
    term_start=date(2026, 3, 1),
    term_end=date(2026, 3, 31),
    details=None,
    members=True,
    **kwargs,
):
    organization = OrganizationFactory(name=name)
    if members:
        MembershipFactory(organization=organization, role=Role.OWNER)
        MembershipFactory(organization=organization, role=Role.BILLING)
    if details is not None:
        BillingDetails.objects.create(organization=organization, **details)
    license = subscribed(
        organization,
        catalog,
        tier,
        seats=seats,
        cycle=cycle,
        currency=currency,
        term_start=term_start,
        term_end=term_end,
        **kwargs,
    )
    license.refresh_from_db()
    return license


def old_path(monkeypatch):
    """subscription_renew without the batch engine: the older code, one at a time."""
    monkeypatch.setattr(
        batch, "subscriptions_renew", lambda ids, **kw: batch.Renewed(rest=list(ids))
    )


def renew_old(license, *, today=DAY, at=AT):
    sub = Subscription.objects.select_related("license__organization").get(license=license)
    return subscription_renew(subscription=sub, today=today, at=at)


SKIP = {
    "id",
    "organization",
    "license",
    "invoice",
    "subscription",
    "period",
    "number",
    "history_id",
    "history_date",
    "created_at",
    "updated_at",
    "finalized_at",
    "paid_at",
    "operation",
    "serial",
    "body",
    "content_digest",
    "issued_at",
    "key_id",
    "history_user",
    "performed_at",
    "subject",
    "key_hash",
    "key_prefix",
    "happened_at",
    "effective_at",
}


def _row(obj, extra_skip=()):
    data = model_to_dict(obj)
    for f in obj._meta.concrete_fields:
        data.setdefault(f.name, getattr(obj, f.attname, None))
    return {k: v for k, v in data.items() if k not in SKIP and k not in extra_skip}


def anonymous(text, invoice, license):
    return (
        text.replace(invoice.number, "#")
        .replace(license.organization.slug, "<slug>")
        .replace(f"/licenses/{license.pk}/", "/licenses/<id>/")
        .replace(f"/invoices/{invoice.pk}/", "/invoices/<id>/")
    )


def written(license, at=AT):
    license = License.objects.get(pk=license.pk)
    sub = Subscription.objects.get(license=license)
    invoices = list(Invoice.objects.filter(license=license).order_by("pk"))
    file = license_latest_file(license)
    payload = verify(file.body, public_key_pem())
    out = {
        "license": _row(license, ("key", "name")),
        "subscription": _row(sub),
        "subscription_history": [
            (h.history_type, h.price_locked_until, h.history_change_reason)
            for h in sub.history.order_by("history_id")
        ],
        "invoices": [_row(i) for i in invoices],
        "invoice_history": [
            [
                (h.history_type, h.status, h.history_change_reason)
                for h in i.history.order_by("history_id")
            ]
            for i in invoices
        ],
        "documents": [
            list(InvoiceDocument.objects.filter(invoice=i).values_list("version", "reason"))
            for i in invoices
        ],
        "lines": [[_row(line) for line in i.lines.order_by("position")] for i in invoices],
        "line_history": [
            [h.history_type for h in InvoiceLine.history.filter(invoice_id=i.pk)] for i in invoices
        ],
        "periods": [
            _row(p)
            for p in SubscriptionPeriod.objects.filter(subscription=sub).order_by("starts_on", "pk")
        ],
        "file": {
            k: v
            for k, v in payload.items()
            if k not in ("serial", "issued_at", "license", "key_prefix", "organization")
        },
        "files": list(
            LicenseFile.objects.filter(license=license).values_list("revision", "expires_on")
        ),
        "license_events": [
            _row(e) for e in LicenseEvent.objects.filter(license=license).order_by("pk")
        ],
        "ledger": [
            (
                _row(e),
                e.operation.action if e.operation_id else None,
                e.operation.reason if e.operation_id else None,
                e.operation.actor_label if e.operation_id else None,
            )
            for e in SubscriptionEvent.objects.filter(license_id=license.pk).order_by("pk")
        ],
        "notices": [
            _row(n, ("sent_at",)) for n in Notice.objects.filter(license=license).order_by("pk")
        ],
        "emails": sorted(
            (
                e.subject,
                anonymous(e.body_text, invoices[-1], license),
                anonymous(e.body_html, invoices[-1], license),
            )
            for e in OutboundEmail.objects.filter(body_text__contains=invoices[-1].number)
        )
        if invoices
        else [],
    }
    return out


def diff(a, b, path=""):
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            out += diff(a.get(k, "<missing>"), b.get(k, "<missing>"), f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            out += diff(x, y, f"{path}[{n}]")
    elif a != b:
        out.append(f"{path}: together={a!r} alone={b!r}")
    return out
