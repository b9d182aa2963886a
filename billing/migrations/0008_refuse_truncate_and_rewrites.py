"""On PostgreSQL, three more ways to rewrite history are refused by the database itself:

- TRUNCATE of every append-only table (invoices, their lines, credit notes, the credit
  ledger, payments, the license and subscription ledgers, the numbering rows). Row
  triggers never see a TRUNCATE, so a statement trigger refuses it. The one exception is
  a test database's flush between transactional tests (Django empties tables with
  TRUNCATE): it is allowed only in a database whose name starts with `test_` and only
  when the flush says so for its own transaction (tests/conftest.py).
- An invoice's `paid_at` and `voided_at` are set once, by the transition that sets them
  (open to paid; open or paid to void), and never change afterwards.
- The numbering rows only move forward by one: a number is never given back, skipped or
  taken twice, and a row is never deleted.
"""

from django.db import migrations

from billing.migrations._postgresql import RunSQLOnPostgreSQL

APPEND_ONLY_TABLES = [
    "billing_invoice",
    "billing_invoiceline",
    "billing_creditnote",
    "billing_creditentry",
    "billing_payment",
    "billing_subscriptionevent",
    "billing_documentsequence",
    "licensing_licenseevent",
]

FORWARD = r"""
CREATE FUNCTION tierwise_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_database() LIKE 'test\_%'
       AND current_setting('tierwise.test_flush', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: TRUNCATE refused.', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_refuse_finalized_invoice_change() RETURNS trigger AS $$
DECLARE
    mutable text[] := ARRAY['status', 'paid_at', 'voided_at'];
BEGIN
    IF OLD.status = 'draft' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Invoice % is finalized and cannot be deleted.', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF (to_jsonb(NEW) - mutable) IS DISTINCT FROM (to_jsonb(OLD) - mutable)
       OR NOT (NEW.status = OLD.status
               OR (OLD.status = 'open' AND NEW.status IN ('paid', 'void'))
               OR (OLD.status = 'paid' AND NEW.status = 'void')) THEN
        RAISE EXCEPTION 'Invoice % is finalized; issue a credit note instead.', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    -- Each stamp is set once, by the transition that sets it.
    IF NEW.paid_at IS DISTINCT FROM OLD.paid_at
       AND NOT (OLD.status = 'open' AND NEW.status = 'paid'
                AND OLD.paid_at IS NULL AND NEW.paid_at IS NOT NULL) THEN
        RAISE EXCEPTION 'Invoice % is finalized: paid_at is set once, when it is paid.',
            OLD.number USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.voided_at IS DISTINCT FROM OLD.voided_at
       AND NOT (OLD.status <> 'void' AND NEW.status = 'void'
                AND OLD.voided_at IS NULL AND NEW.voided_at IS NOT NULL) THEN
        RAISE EXCEPTION 'Invoice % is finalized: voided_at is set once, when it is voided.',
            OLD.number USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION billing_refuse_sequence_rewrite() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Numbering rows are never deleted (% %).', OLD.series, OLD.year
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.id <> OLD.id OR NEW.series <> OLD.series OR NEW.year <> OLD.year
       OR NEW.last_number <> OLD.last_number + 1 THEN
        RAISE EXCEPTION 'Numbers of % % move forward by one: % to % refused.',
            OLD.series, OLD.year, OLD.last_number, NEW.last_number
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_documentsequence_forward_only
    BEFORE UPDATE OR DELETE ON billing_documentsequence
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_sequence_rewrite();
""" + "".join(
    f"""
CREATE TRIGGER {table}_no_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION tierwise_refuse_truncate();
"""
    for table in APPEND_ONLY_TABLES
)

BACKWARD = (
    "".join(f"DROP TRIGGER {table}_no_truncate ON {table};\n" for table in APPEND_ONLY_TABLES)
    + r"""
DROP TRIGGER billing_documentsequence_forward_only ON billing_documentsequence;
DROP FUNCTION billing_refuse_sequence_rewrite();
DROP FUNCTION tierwise_refuse_truncate();
CREATE OR REPLACE FUNCTION billing_refuse_finalized_invoice_change() RETURNS trigger AS $$
DECLARE
    mutable text[] := ARRAY['status', 'paid_at', 'voided_at'];
BEGIN
    IF OLD.status = 'draft' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Invoice % is finalized and cannot be deleted.', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF (to_jsonb(NEW) - mutable) IS DISTINCT FROM (to_jsonb(OLD) - mutable)
       OR NOT (NEW.status = OLD.status
               OR (OLD.status = 'open' AND NEW.status IN ('paid', 'void'))
               OR (OLD.status = 'paid' AND NEW.status = 'void')) THEN
        RAISE EXCEPTION 'Invoice % is finalized; issue a credit note instead.', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_checkout"),
        ("licensing", "0003_price_per_seat"),
    ]

    operations = [RunSQLOnPostgreSQL(FORWARD, BACKWARD)]
