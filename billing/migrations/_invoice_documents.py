"""The SQLite side of billing migration 0014: the same refusals as the PostgreSQL
trigger, as SQLite triggers (SQLite has no PL/pgSQL, but its triggers can RAISE).

The test suite empties tables between transactional tests with DELETE on SQLite; its
flush sets the DELETE trigger aside for that one statement list (tests/conftest.py)."""

from django.db import migrations

TABLE = "billing_invoicedocument"
NO_DELETE = f"{TABLE}_no_delete"
WRITTEN_ONCE = f"{TABLE}_written_once"

CREATE_NO_DELETE = f"""
CREATE TRIGGER {NO_DELETE} BEFORE DELETE ON {TABLE}
BEGIN
    SELECT RAISE(ABORT, '{TABLE} is append-only: DELETE refused.');
END
"""

CREATE_WRITTEN_ONCE = f"""
CREATE TRIGGER {WRITTEN_ONCE} BEFORE UPDATE ON {TABLE}
WHEN NEW.id IS NOT OLD.id
    OR NEW.invoice_id IS NOT OLD.invoice_id
    OR NEW.version IS NOT OLD.version
    OR NEW.reason IS NOT OLD.reason
    OR NEW.created_at IS NOT OLD.created_at
    OR ((OLD.pdf IS NOT NULL OR OLD.rendered_at IS NOT NULL)
        AND (NEW.pdf IS NOT OLD.pdf OR NEW.rendered_at IS NOT OLD.rendered_at))
BEGIN
    SELECT RAISE(ABORT, '{TABLE}: a rendered PDF version is written once; UPDATE refused.');
END
"""


class RunSQLOnSQLite(migrations.RunSQL):
    """RunSQL that does nothing on other databases (PostgreSQL has its own triggers)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
