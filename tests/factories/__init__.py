"""Factories, one module per app; every name re-exported here."""

from tests.factories.licensing import CurrencyFactory as CurrencyFactory
from tests.factories.licensing import FeatureFactory as FeatureFactory
from tests.factories.licensing import LicenseFactory as LicenseFactory
from tests.factories.licensing import LimitMetricFactory as LimitMetricFactory
from tests.factories.licensing import ProductFactory as ProductFactory
from tests.factories.licensing import TierFactory as TierFactory
from tests.factories.licensing import build_draft as build_draft
from tests.factories.licensing import build_published as build_published
from tests.factories.portal import PASSWORD as PASSWORD
from tests.factories.portal import InvitationFactory as InvitationFactory
from tests.factories.portal import MembershipFactory as MembershipFactory
from tests.factories.portal import OrganizationFactory as OrganizationFactory
from tests.factories.portal import UserFactory as UserFactory
