"""On PostgreSQL, the database itself refuses to rewrite history: UPDATE and DELETE of a
finalized invoice (beyond its status moving forward) and of its lines, and of credit
notes, the credit ledger and the license ledger. Not even raw SQL or a queryset
.update() gets past it. SQLite (development, the fast tests) relies on save() refusing."""

from django.db import migrations

from billing.migrations._postgresql import RunSQLOnPostgreSQL

FORWARD = r"""
CREATE FUNCTION billing_refuse_finalized_invoice_change() RETURNS trigger AS $$
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

CREATE TRIGGER billing_invoice_finalized_is_final
    BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_finalized_invoice_change();

CREATE FUNCTION billing_refuse_finalized_line_change() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM billing_invoice
        WHERE status <> 'draft'
          AND id IN (
              CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.invoice_id END,
              CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.invoice_id END
          )
    ) THEN
        RAISE EXCEPTION 'The invoice is finalized; its lines stay as issued.'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_invoiceline_finalized_is_final
    BEFORE INSERT OR UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_finalized_line_change();

CREATE FUNCTION tierwise_refuse_ledger_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused.', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_creditnote_append_only
    BEFORE UPDATE OR DELETE ON billing_creditnote
    FOR EACH ROW EXECUTE FUNCTION tierwise_refuse_ledger_change();

CREATE TRIGGER billing_creditentry_append_only
    BEFORE UPDATE OR DELETE ON billing_creditentry
    FOR EACH ROW EXECUTE FUNCTION tierwise_refuse_ledger_change();

CREATE TRIGGER licensing_licenseevent_append_only
    BEFORE UPDATE OR DELETE ON licensing_licenseevent
    FOR EACH ROW EXECUTE FUNCTION tierwise_refuse_ledger_change();
"""

BACKWARD = r"""
DROP TRIGGER licensing_licenseevent_append_only ON licensing_licenseevent;
DROP TRIGGER billing_creditentry_append_only ON billing_creditentry;
DROP TRIGGER billing_creditnote_append_only ON billing_creditnote;
DROP FUNCTION tierwise_refuse_ledger_change();
DROP TRIGGER billing_invoiceline_finalized_is_final ON billing_invoiceline;
DROP FUNCTION billing_refuse_finalized_line_change();
DROP TRIGGER billing_invoice_finalized_is_final ON billing_invoice;
DROP FUNCTION billing_refuse_finalized_invoice_change();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_invoices"),
        ("licensing", "0002_licenses"),
    ]

    operations = [RunSQLOnPostgreSQL(FORWARD, BACKWARD)]
