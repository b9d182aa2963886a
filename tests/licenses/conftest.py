"""Licenses on the demo catalog: Starter, Team (v1 retired, v2 published), Business and
Enterprise, with seats, API calls a month, storage and integrations as limits."""

from dataclasses import dataclass
from datetime import date

import pytest

from licensing.api.tokens import IssuedToken, api_token_create
from licensing.demo.catalog import build_catalog
from licensing.licenses.services import Actor, IssuedKey, license_create
from licensing.models import LimitMetric, TierVersion, VersionStatus

SYSTEM = Actor(label="test setup")


@dataclass
class Catalog:
    def version(self, tier: str, number: int | None = None) -> TierVersion:
        versions = TierVersion.objects.filter(tier__slug=tier)
        if number is None:
            return versions.get(status=VersionStatus.PUBLISHED)
        return versions.get(number=number)

    def metric(self, key: str) -> LimitMetric:
        return LimitMetric.objects.get(key=key)


@pytest.fixture
def catalog(db, now):
    build_catalog()
    return Catalog()


def issue(organization, catalog, tier="team", *, number=None, seats=5, **kwargs) -> IssuedKey:
    return license_create(
        organization=organization,
        version=catalog.version(tier, number),
        seats=seats,
        term_start=kwargs.pop("term_start", date(2026, 1, 1)),
        term_end=kwargs.pop("term_end", date(2026, 12, 31)),
        actor=SYSTEM,
        reason="Bought in the test.",
        **kwargs,
    )


@pytest.fixture
def issued(organization, catalog) -> IssuedKey:
    """Northwind on Team v2 with 5 seats, for 2026."""
    return issue(organization, catalog)


@pytest.fixture
def token(organization, owner) -> IssuedToken:
    return api_token_create(organization=organization, name="CI", created_by=owner)


@pytest.fixture
def api(client, token):
    """api(path, body) posts JSON with the organization's token; extra headers allowed."""

    def post(path, body=None, *, secret=None, raw=None, **headers):
        return client.post(
            f"/api/v1/{path}",
            data=raw if raw is not None else body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret or token.secret}", **headers},
        )

    return post
