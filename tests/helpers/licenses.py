"""Licenses for tests: the actor tests act as, the demo catalog's lookups, and issue()."""

from dataclasses import dataclass

from licensing.licenses.services import Actor, IssuedKey
from licensing.models import LimitMetric, TierVersion, VersionStatus
from tests.factories import LicenseFactory

SYSTEM = Actor(label="test setup")


@dataclass
class Catalog:
    """The demo catalog (licensing.demo): Starter, Team (v1 retired, v2 published),
    Business and Enterprise, with seats, API calls a month, storage and integrations."""

    def version(self, tier: str, number: int | None = None) -> TierVersion:
        versions = TierVersion.objects.filter(tier__slug=tier)
        if number is None:
            return versions.get(status=VersionStatus.PUBLISHED)
        return versions.get(number=number)

    def metric(self, key: str) -> LimitMetric:
        return LimitMetric.objects.get(key=key)


def issue(organization, catalog, tier="team", *, number=None, seats=5, **kwargs) -> IssuedKey:
    """A license for `organization` on `tier` of the demo catalog, for 2026, with its key."""
    license = LicenseFactory(
        organization=organization, version=catalog.version(tier, number), seats=seats, **kwargs
    )
    return IssuedKey(license, license.issued_key)
