"""Licenses whose subscription was canceled by the customer before License.ends_with_term
existed end with their term, without the renewal grace a license renewed by hand keeps
(licensing.licenses.grace): read from the commercial ledger as
billing.subscriptions.selectors.canceled_by_customer reads it (the event that last turned
auto-renew off was caused by a checkout or a `subscription_cancel` operation)."""

from django.db import migrations

CANCEL_ACTION = "subscription_cancel"
USABLE = ("trialing", "active", "past_due")


def mark_canceled(apps, schema_editor):
    License = apps.get_model("licensing", "License")
    SubscriptionEvent = apps.get_model("billing", "SubscriptionEvent")
    canceled = []
    for license in License.objects.filter(auto_renew=False, status__in=USABLE).only("pk"):
        last_off = (
            SubscriptionEvent.objects.filter(
                subscription__license_id=license.pk, kind="auto_renew_off"
            )
            .select_related("operation")
            .order_by("-effective_at", "-pk")
            .first()
        )
        if last_off is None:
            continue
        if last_off.checkout_id is not None or (
            last_off.operation is not None and last_off.operation.action == CANCEL_ACTION
        ):
            canceled.append(license.pk)
    License.objects.filter(pk__in=canceled).update(ends_with_term=True)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0020_renewals_dunning_notices"),
        ("licensing", "0007_license_ends_with_term"),
    ]

    operations = [migrations.RunPython(mark_canceled, migrations.RunPython.noop)]
