"""`manage.py apply_credit`: apply credit that waits beside open invoices, by the rule of
billing.invoices.credit (oldest first). Credit is applied as it arises; this is for the
balances held before that rule, once, after the upgrade that brought it."""

from django.core.management.base import BaseCommand

from billing.invoices.services import credit_apply_waiting
from billing.models import CreditEntry
from portal.models import Organization


class Command(BaseCommand):
    help = "Apply waiting credit balances to open invoices, oldest first."

    def handle(self, *args, **options) -> None:
        holders = CreditEntry.objects.values_list("organization_id", flat=True).distinct()
        paid_towards = 0
        for organization in Organization.objects.filter(pk__in=holders).order_by("pk"):
            paid_towards += credit_apply_waiting(organization=organization)
        self.stdout.write(f"Credit applied to {paid_towards} open invoice(s).")
