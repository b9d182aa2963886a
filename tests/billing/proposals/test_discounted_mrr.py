"""A negotiated discount (an accepted proposal's) is part of what a subscription brings
in: its MRR in the commercial ledger and its ARR in the account manager's book are net of
it while it applies (staff walker: the ledger said $455.00, 14 seats at list price)."""

from decimal import Decimal

from billing.accounts.selectors import book_organizations, book_rows
from billing.models import Subscription, SubscriptionEvent
from billing.proposals.acceptance import proposal_accept
from tests.helpers.proposals import sent_version

REASON = "two-year commitment"


def _accepted(license, catalog, owner):
    option = {
        "tier": "business",
        "seats": 14,
        "term_cycles": 2,
        "discount_percent": Decimal("12.5"),
        "discount_reason": REASON,
    }
    version = sent_version(license, catalog, [option])
    proposal_accept(version=version, option=version.options.get(), user=owner)
    return Subscription.objects.get(license=license)


def test_the_ledgers_mrr_is_net_of_the_negotiated_discount(license, catalog, owner, now):
    subscription = _accepted(license, catalog, owner)
    # Business, $390 a seat a year: 14 seats, $5,460.00 a year, 12.5 % off: $4,777.50,
    # $398.125 a month, recorded as 39813 cents.
    last = SubscriptionEvent.objects.filter(subscription=subscription).order_by("pk").last()
    assert last.mrr_after == 39813


def test_the_books_arr_is_net_of_the_negotiated_discount(license, catalog, owner, now):
    _accepted(license, catalog, owner)
    (row,) = book_rows(book_organizations(), at=now)
    assert [str(amount) for amount in row.arr] == ["$4,777.50"]
