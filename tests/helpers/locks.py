"""Whether a request took a row lock, read from the SQL it ran (CaptureQueriesContext):
the services lock the organization's row (SELECT … FOR UPDATE) before changing its
members, invitations or itself. Only a database with row locks can show one."""

import pytest
from django.db import connection

needs_row_locks = pytest.mark.skipif(
    not connection.features.has_select_for_update, reason="the database has no row locks"
)


def organization_lock_taken(queries) -> bool:
    return any('"portal_organization"' in q["sql"] and "FOR UPDATE" in q["sql"] for q in queries)
