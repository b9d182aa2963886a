"""The subscription ledger is append-only on PostgreSQL too, like the license ledger and
the invoices' documents (0004): UPDATE and DELETE are refused by a trigger."""

from django.db import migrations

from billing.migrations._postgresql import RunSQLOnPostgreSQL

FORWARD = """
CREATE TRIGGER billing_subscriptionevent_append_only
    BEFORE UPDATE OR DELETE ON billing_subscriptionevent
    FOR EACH ROW EXECUTE FUNCTION tierwise_refuse_ledger_change();
"""
BACKWARD = "DROP TRIGGER billing_subscriptionevent_append_only ON billing_subscriptionevent;"


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_immutable_documents")]

    operations = [RunSQLOnPostgreSQL(FORWARD, BACKWARD)]
