"""portal.prepared's reads are not PostgreSQL prepared statements, and this is why: a
migration that changes the type of a column such a statement selects (the organization's
name widened, as an AlterField(max_length=...) does), run by a deploy from another
connection while the old processes still serve, made the next read on each pooled
connection that had prepared it fail ("cached plan must not change result type"): a 500
on an organization page once per connection and read. Django's own queries, bound on
the client, keep working through such a migration, and so must these."""

import psycopg
import pytest
from django.db import connection

from portal.models import Organization
from tests.helpers.services import NEEDS_POSTGRESQL


def _migrate_from_elsewhere(sql: str) -> None:
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    ) as other:
        other.execute(sql)


@NEEDS_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_a_column_widened_by_a_migration_does_not_break_the_organization_pages(
    client, organization, owner
):
    client.force_login(owner)
    assert client.get(f"/app/{organization.slug}/").status_code == 200
    try:
        _migrate_from_elsewhere(
            "ALTER TABLE portal_organization ALTER COLUMN name TYPE varchar(160)"
        )
        # Django's own reads see the new schema at once.
        assert Organization.objects.get(slug=organization.slug).name == "Northwind"
        # The organization pages, on the connection that read them before, still answer.
        client.raise_request_exception = False
        statuses = [client.get(f"/app/{organization.slug}/").status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
    finally:
        _migrate_from_elsewhere(
            "ALTER TABLE portal_organization ALTER COLUMN name TYPE varchar(120)"
        )
