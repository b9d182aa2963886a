"""The commercial ledger (issue 16, item 3): SubscriptionEvent gets a fine-grained kind,
when it took effect, the MRR before and after in minor units, the currency, version and
seats after it, and its cause as a foreign key (a checkout, a scheduled change or an
AdminOperation, exactly one); indexes for the lifecycle and analytics queries.

The old rows are kept and completed with what can be known of them:
- kind: created → purchased; price → cycle_changed when the cycle moved, else
  price_locked; auto_renew → auto_renew_on / auto_renew_off from what it recorded.
- effective_at: when it was written (happened_at); nothing else was recorded.
- currency, seats: from the row's own "after"; the version and the license's status at
  that moment from the license ledger (the last license event at or before it).
- MRR: from the price and seats the row recorded before and after, with the status the
  license ledger gives (billing.ledger.mrr); a purchase starts from 0.
- cause: the checkout or scheduled change its reason names ("Checkout 12 confirmed…",
  "Scheduled change 3: …") when that row exists; otherwise an AdminOperation
  ("backfill: <old kind>") carrying the row's own actor, reason and time.
What cannot be known: changes made through licensing alone before this migration (seats,
version, status, term) were never in this ledger; they stay in the license ledger, and
the commercial ledger's history of an old subscription has no rows for them.

The ledger refuses updates on PostgreSQL (0005's trigger); the backfill runs with the
table's own triggers off for its duration, and the trigger covers the new columns after.
The admin operations refuse UPDATE, DELETE and TRUNCATE the same way.
"""

import re
from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from billing.ledger.mrr import mrr_minor_units
from billing.migrations._postgresql import RunSQLOnPostgreSQL
from billing.money import Money
from billing.pricing import SeatPrice

# The admin operations are a ledger too: what a change's cause says is never rewritten.
OPERATIONS_APPEND_ONLY = """
CREATE TRIGGER billing_adminoperation_append_only
    BEFORE UPDATE OR DELETE ON billing_adminoperation
    FOR EACH ROW EXECUTE FUNCTION tierwise_refuse_ledger_change();
CREATE TRIGGER billing_adminoperation_no_truncate
    BEFORE TRUNCATE ON billing_adminoperation
    FOR EACH STATEMENT EXECUTE FUNCTION tierwise_refuse_truncate();
"""
OPERATIONS_APPEND_ONLY_BACKWARD = """
DROP TRIGGER billing_adminoperation_no_truncate ON billing_adminoperation;
DROP TRIGGER billing_adminoperation_append_only ON billing_adminoperation;
"""
CHECKOUT_REASON = re.compile(r"^Checkout (\d+) confirmed")
SCHEDULED_REASON = re.compile(r"^Scheduled change (\d+):")
CAUSES = ("checkout", "scheduled_change", "operation")
ONE_CAUSE = models.Q(
    *(
        models.Q(
            (f"{name}__isnull", False),
            *((f"{other}__isnull", True) for other in CAUSES if other != name),
        )
        for name in CAUSES
    ),
    _connector="OR",
)


def _kind(old: str, before: dict, after: dict) -> str:
    if old == "created":
        return "purchased"
    if old == "auto_renew":
        return "auto_renew_on" if after.get("auto_renew") else "auto_renew_off"
    if before.get("cycle") and before.get("cycle") != after.get("cycle"):
        return "cycle_changed"
    return "price_locked"


def _mrr(fields: dict, status: str, currency: str) -> int:
    if not fields.get("unit_amount") or not fields.get("seats"):
        return 0
    price = SeatPrice(
        amount=Money(Decimal(fields["unit_amount"]), fields.get("currency") or currency),
        cycle=fields["cycle"],
        per_seat=bool(fields.get("per_seat")),
        min_seats=int(fields.get("min_seats") or 1),
    )
    return mrr_minor_units(price=price, seats=int(fields["seats"]), status=status)


def _license_at(apps, license, at):
    """The license's version and status at `at`, as its ledger recorded them."""
    LicenseEvent = apps.get_model("licensing", "LicenseEvent")
    TierVersion = apps.get_model("licensing", "TierVersion")
    status, version = license.status, license.version
    events = LicenseEvent.objects.filter(license=license, happened_at__lte=at)
    last = events.filter(after__has_key="status").order_by("-happened_at", "-pk").first()
    if last is not None:
        status = last.after["status"]
    last = events.filter(kind__in=["created", "version"]).order_by("-happened_at", "-pk").first()
    if last is not None:
        found = TierVersion.objects.filter(
            tier__product_id=license.product_id,
            tier__slug=last.after.get("tier"),
            number=last.after.get("version"),
        ).first()
        version = found or version
    return status, version


def _cause(apps, event) -> dict:
    Checkout = apps.get_model("billing", "Checkout")
    ScheduledChange = apps.get_model("billing", "ScheduledChange")
    AdminOperation = apps.get_model("billing", "AdminOperation")
    match = CHECKOUT_REASON.match(event.reason)
    if match and Checkout.objects.filter(pk=int(match[1])).exists():
        return {"checkout_id": int(match[1])}
    match = SCHEDULED_REASON.match(event.reason)
    if match and ScheduledChange.objects.filter(pk=int(match[1])).exists():
        return {"scheduled_change_id": int(match[1])}
    operation = AdminOperation.objects.create(
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=f"backfill: {event.kind}",
        reason=event.reason,
        performed_at=event.happened_at,
    )
    return {"operation_id": operation.pk}


def backfill(apps, schema_editor):
    SubscriptionEvent = apps.get_model("billing", "SubscriptionEvent")
    rows = list(
        SubscriptionEvent.objects.select_related("subscription__license").order_by("pk")
    )
    if not rows:
        return
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute("ALTER TABLE billing_subscriptionevent DISABLE TRIGGER USER")
    for event in rows:
        subscription = event.subscription
        license = subscription.license
        before, after = event.before or {}, event.after or {}
        currency = after.get("currency") or subscription.currency_id
        status, version = _license_at(apps, license, event.happened_at)
        SubscriptionEvent.objects.filter(pk=event.pk).update(
            kind=_kind(event.kind, before, after),
            effective_at=event.happened_at,
            currency_id=currency,
            seats=int(after.get("seats") or license.seats),
            version_id=version.pk,
            mrr_before=0 if event.kind == "created" else _mrr(before, status, currency),
            mrr_after=_mrr(after, status, currency),
            **_cause(apps, event),
        )
    if postgresql:
        schema_editor.execute("ALTER TABLE billing_subscriptionevent ENABLE TRIGGER USER")
        # The new foreign keys are checked now, not at commit: the columns are altered
        # next, which PostgreSQL refuses while checks are pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_invoice_line_kinds"),
        ("licensing", "0005_split_term_event"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AdminOperation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('actor_label', models.CharField(max_length=200)),
                ('action', models.CharField(help_text='What was done: the service called, e.g. license_suspend.', max_length=60)),
                ('reason', models.TextField()),
                ('performed_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['-performed_at', '-pk'],
            },
        ),
        migrations.AlterModelOptions(
            name='subscriptionevent',
            options={'ordering': ['-effective_at', '-pk']},
        ),
        migrations.AddField(
            model_name='subscriptionevent',
            name='checkout',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_events', to='billing.checkout'),
        ),
        migrations.AddField(
            model_name='subscriptionevent',
            name='currency',
            field=models.ForeignKey(db_column='currency', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='licensing.currency', to_field='code'),
        ),
        migrations.AddField(
            model_name='subscriptionevent',
            name='effective_at',
            field=models.DateTimeField(help_text='When the change took effect (business time).', null=True),
        ),
        migrations.AddField(
            model_name='subscriptionevent',
            name='mrr_after',
            field=models.BigIntegerField(help_text='Monthly recurring revenue, minor units.', null=True),
        ),
        migrations.AddField(
            model_name='subscriptionevent',
            name='mrr_before',
            field=models.BigIntegerField(help_text='Monthly recurring revenue, minor units.', null=True),
        ),
        migrations.AddField(
            model_name='subscriptionevent',
            name='scheduled_change',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_events', to='billing.scheduledchange'),
        ),
        migrations.AddField(
            model_name='subscriptionevent',
            name='seats',
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.AddField(
            model_name='subscriptionevent',
            name='version',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='licensing.tierversion'),
        ),
        migrations.AlterField(
            model_name='subscriptionevent',
            name='kind',
            field=models.CharField(choices=[('purchased', 'Purchased'), ('upgraded', 'Upgraded'), ('downgraded', 'Downgraded'), ('version_changed', 'Moved to another version (same tier level)'), ('seats_added', 'Seats added'), ('seats_removed', 'Seats removed'), ('cycle_changed', 'Billing cycle changed'), ('price_locked', 'Price locked'), ('term_started', 'New term started'), ('term_extended', 'Term extended'), ('term_shortened', 'Term shortened'), ('auto_renew_on', 'Auto-renew on'), ('auto_renew_off', 'Auto-renew off'), ('suspended', 'Suspended'), ('reinstated', 'Reinstated'), ('canceled', 'Canceled'), ('expired', 'Expired'), ('status_changed', 'Status changed')], max_length=24),
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(fields=['status', 'due_on'], name='invoice_status_due_on'),
        ),
        migrations.AddIndex(
            model_name='scheduledchange',
            index=models.Index(fields=['status', 'effective_on'], name='scheduled_change_due'),
        ),
        migrations.AddField(
            model_name='adminoperation',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='subscriptionevent',
            name='operation',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_events', to='billing.adminoperation'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscriptionevent",
            name="currency",
            field=models.ForeignKey(
                db_column="currency",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="licensing.currency",
                to_field="code",
            ),
        ),
        migrations.AlterField(
            model_name="subscriptionevent",
            name="effective_at",
            field=models.DateTimeField(help_text="When the change took effect (business time)."),
        ),
        migrations.AlterField(
            model_name="subscriptionevent",
            name="mrr_after",
            field=models.BigIntegerField(help_text="Monthly recurring revenue, minor units."),
        ),
        migrations.AlterField(
            model_name="subscriptionevent",
            name="mrr_before",
            field=models.BigIntegerField(help_text="Monthly recurring revenue, minor units."),
        ),
        migrations.AlterField(
            model_name="subscriptionevent",
            name="seats",
            field=models.PositiveIntegerField(),
        ),
        migrations.AlterField(
            model_name="subscriptionevent",
            name="version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="licensing.tierversion",
            ),
        ),
        migrations.AddIndex(
            model_name="subscriptionevent",
            index=models.Index(
                fields=["subscription", "effective_at"], name="subevent_by_subscription"
            ),
        ),
        migrations.AddIndex(
            model_name="subscriptionevent",
            index=models.Index(fields=["effective_at"], name="subevent_by_time"),
        ),
        migrations.AddConstraint(
            model_name="subscriptionevent",
            constraint=models.CheckConstraint(condition=ONE_CAUSE, name="subevent_one_cause"),
        ),
        migrations.AddConstraint(
            model_name="subscriptionevent",
            constraint=models.CheckConstraint(
                condition=models.Q(("mrr_before__gte", 0), ("mrr_after__gte", 0)),
                name="subevent_mrr_not_negative",
            ),
        ),
        RunSQLOnPostgreSQL(OPERATIONS_APPEND_ONLY, OPERATIONS_APPEND_ONLY_BACKWARD),
    ]
