"""Trials on the commercial ledger (issue 19, must-have 6): an event is a license's
(`license`, always set; filled here from each event's subscription), its subscription
optional (a trial license has none), a `trial` cause, the five trial kinds, and the
CHECKs that tie them together (billing.models.ledger's docstring). The ledger is
append-only on PostgreSQL (0005): its trigger is set aside for the one backfill."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from billing.migrations._postgresql import RunSQLOnPostgreSQL

BACKFILL = """
UPDATE billing_subscriptionevent SET license_id = (
    SELECT license_id FROM billing_subscription
    WHERE billing_subscription.id = billing_subscriptionevent.subscription_id
);
"""
TRIGGER = "billing_subscriptionevent_append_only"


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0022_proposals'),
        ('licensing', '0008_trials'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='subscriptionevent',
            name='subevent_one_cause',
        ),
        migrations.AddField(
            model_name='subscriptionevent',
            name='license',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_events', to='licensing.license'),
        ),
        RunSQLOnPostgreSQL(
            f"ALTER TABLE billing_subscriptionevent DISABLE TRIGGER {TRIGGER};",
            f"ALTER TABLE billing_subscriptionevent ENABLE TRIGGER {TRIGGER};",
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        RunSQLOnPostgreSQL(
            # The backfill's deferred foreign-key checks now, so the table can be altered.
            f"SET CONSTRAINTS ALL IMMEDIATE; ALTER TABLE billing_subscriptionevent "
            f"ENABLE TRIGGER {TRIGGER};",
            f"SET CONSTRAINTS ALL IMMEDIATE; ALTER TABLE billing_subscriptionevent "
            f"DISABLE TRIGGER {TRIGGER};",
        ),
        migrations.AlterField(
            model_name='subscriptionevent',
            name='license',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ledger_events', to='licensing.license'),
        ),
        migrations.AddField(
            model_name='subscriptionevent',
            name='trial',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_events', to='licensing.trial'),
        ),
        migrations.AlterField(
            model_name='subscriptionevent',
            name='currency',
            field=models.ForeignKey(blank=True, db_column='currency', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='licensing.currency', to_field='code'),
        ),
        migrations.AlterField(
            model_name='subscriptionevent',
            name='kind',
            field=models.CharField(choices=[('purchased', 'Purchased'), ('upgraded', 'Upgraded'), ('downgraded', 'Downgraded'), ('version_changed', 'Moved to another version (same tier level)'), ('seats_added', 'Seats added'), ('seats_removed', 'Seats removed'), ('cycle_changed', 'Billing cycle changed'), ('price_locked', 'Price locked'), ('currency_left', 'Billed in another currency from now'), ('term_started', 'New term started'), ('term_extended', 'Term extended'), ('term_shortened', 'Term shortened'), ('auto_renew_on', 'Auto-renew on'), ('auto_renew_off', 'Auto-renew off'), ('suspended', 'Suspended'), ('reinstated', 'Reinstated'), ('canceled', 'Canceled'), ('expired', 'Expired'), ('status_changed', 'Status changed'), ('trial_started', 'Trial started'), ('trial_extended', 'Trial extended by staff'), ('trial_converted', 'Trial converted'), ('trial_ended', 'Trial ended by the customer'), ('trial_reverted', 'Trial ended at its end date')], max_length=24),
        ),
        migrations.AlterField(
            model_name='subscriptionevent',
            name='subscription',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='billing.subscription'),
        ),
        migrations.AddIndex(
            model_name='subscriptionevent',
            index=models.Index(fields=['license', 'effective_at'], name='subevent_by_license'),
        ),
        migrations.AddConstraint(
            model_name='subscriptionevent',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('checkout__isnull', False), ('scheduled_change__isnull', True), ('operation__isnull', True), ('trial__isnull', True)), models.Q(('scheduled_change__isnull', False), ('checkout__isnull', True), ('operation__isnull', True), ('trial__isnull', True)), models.Q(('operation__isnull', False), ('checkout__isnull', True), ('scheduled_change__isnull', True), ('trial__isnull', True)), models.Q(('trial__isnull', False), ('checkout__isnull', True), ('scheduled_change__isnull', True), ('operation__isnull', True)), _connector='OR'), name='subevent_one_cause'),
        ),
        migrations.AddConstraint(
            model_name='subscriptionevent',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('trial__isnull', True), models.Q(('kind__in', ('trial_started', 'trial_extended', 'trial_converted', 'trial_ended', 'trial_reverted')), _negated=True)), models.Q(('kind__in', ('trial_started', 'trial_extended', 'trial_converted', 'trial_ended', 'trial_reverted')), ('trial__isnull', False)), _connector='OR'), name='subevent_trial_kinds_by_trials'),
        ),
        migrations.AddConstraint(
            model_name='subscriptionevent',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('currency__isnull', False), ('subscription__isnull', False)), models.Q(('currency__isnull', True), ('mrr_after', 0), ('mrr_before', 0), ('subscription__isnull', True), ('trial__isnull', False)), _connector='OR'), name='subevent_subscription_or_trial_license'),
        ),
    ]
