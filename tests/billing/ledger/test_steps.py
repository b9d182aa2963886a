"""The steps of a commercial change (billing.ledger.steps): one event per thing moved, in
a fixed order, each with the MRR the terms bring in after it, chained. No database (make
mutate runs these)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.ledger.steps import Terms, steps

# Team v2 (tier 1, rank 2): $19 a seat a month from 3 seats, 5 seats, March 2026.
TEAM = Terms(
    status="active",
    version=20,
    tier=1,
    tier_rank=2,
    seats=5,
    currency="USD",
    cycle="monthly",
    unit_amount=Decimal("19.00"),
    per_seat=True,
    min_seats=3,
    term_start=date(2026, 3, 1),
    term_end=date(2026, 3, 31),
    auto_renew=True,
    price_locked_on=date(2026, 3, 1),
)
# Business v1 (tier 2, rank 3): $39 a seat a month from 10 seats.
BUSINESS_PRICE = {"unit_amount": Decimal("39.00"), "min_seats": 10}
BUSINESS = replace(TEAM, version=30, tier=2, tier_rank=3, **BUSINESS_PRICE)
TEAM_ANNUAL = {"cycle": "annual", "unit_amount": Decimal("190.00")}


def kinds(before, after):
    return [(step.kind, step.mrr_before, step.mrr_after) for step in steps(before, after)]


@pytest.mark.parametrize(
    "before, after, expected",
    [
        pytest.param(None, TEAM, [("purchased", 0, 9500)], id="purchase"),
        pytest.param(
            None, replace(TEAM, status="trialing"), [("purchased", 0, 0)], id="trial-purchase"
        ),
        pytest.param(TEAM, TEAM, [], id="nothing-moved"),
        pytest.param(TEAM, BUSINESS, [("upgraded", 9500, 39000)], id="upgrade-with-its-price"),
        pytest.param(
            TEAM,
            replace(BUSINESS, discount_percent=Decimal(20)),
            [("upgraded", 9500, 31200)],
            id="upgrade-with-its-negotiated-discount",
        ),
        pytest.param(
            replace(TEAM, discount_percent=Decimal(20)),
            TEAM,
            [("price_locked", 7600, 9500)],
            id="the-discount-ends",
        ),
        pytest.param(BUSINESS, TEAM, [("downgraded", 39000, 9500)], id="downgrade"),
        pytest.param(
            TEAM,
            replace(TEAM, version=21, unit_amount=Decimal("21.00")),
            [("version_changed", 9500, 10500)],
            id="new-version-same-tier",
        ),
        pytest.param(
            TEAM,
            replace(BUSINESS, tier_rank=2),
            [("version_changed", 9500, 39000)],
            id="another-tier-at-the-same-level",
        ),
        pytest.param(TEAM, replace(TEAM, seats=8), [("seats_added", 9500, 15200)], id="seats+"),
        pytest.param(TEAM, replace(TEAM, seats=4), [("seats_removed", 9500, 7600)], id="seats-"),
        pytest.param(
            TEAM, replace(TEAM, seats=2), [("seats_removed", 9500, 5700)], id="below-minimum"
        ),
        pytest.param(
            TEAM,
            replace(TEAM, **TEAM_ANNUAL),
            [("cycle_changed", 9500, 7917)],
            id="to-annual-with-its-price",
        ),
        pytest.param(
            TEAM,
            replace(BUSINESS, cycle="annual", unit_amount=Decimal("390.00")),
            [("upgraded", 9500, 9500), ("cycle_changed", 9500, 32500)],
            id="upgrade-to-annual-price-with-the-cycle",
        ),
        pytest.param(
            TEAM,
            replace(TEAM, unit_amount=Decimal("18.00")),
            [("price_locked", 9500, 9000)],
            id="price",
        ),
        pytest.param(
            TEAM,
            replace(TEAM, currency="EUR", unit_amount=Decimal("18.00")),
            # USD loses its MRR and EUR gains one: two movements, never one mixing both.
            [("currency_left", 9500, 0), ("price_locked", 0, 9000)],
            id="currency",
        ),
        pytest.param(
            TEAM,
            replace(TEAM, per_seat=False),
            [("price_locked", 9500, 1900)],
            id="flat",
        ),
        pytest.param(
            TEAM,
            replace(TEAM, min_seats=6),
            [("price_locked", 9500, 11400)],
            id="minimum-raised",
        ),
        pytest.param(
            TEAM,
            replace(TEAM, price_locked_on=date(2026, 3, 14)),
            [("price_locked", 9500, 9500)],
            id="relocked",
        ),
        pytest.param(
            TEAM,
            replace(TEAM, term_start=date(2026, 3, 14), term_end=date(2027, 3, 13)),
            [("term_started", 9500, 9500)],
            id="new-term",
        ),
        pytest.param(
            TEAM,
            replace(TEAM, term_end=date(2026, 4, 30)),
            [("term_extended", 9500, 9500)],
            id="extended",
        ),
        pytest.param(
            TEAM,
            replace(TEAM, term_end=date(2026, 3, 20)),
            [("term_shortened", 9500, 9500)],
            id="shortened",
        ),
        pytest.param(
            TEAM, replace(TEAM, auto_renew=False), [("auto_renew_off", 9500, 9500)], id="off"
        ),
        pytest.param(
            replace(TEAM, auto_renew=False), TEAM, [("auto_renew_on", 9500, 9500)], id="on"
        ),
        pytest.param(
            TEAM, replace(TEAM, status="suspended"), [("suspended", 9500, 0)], id="suspend"
        ),
        pytest.param(
            replace(TEAM, status="suspended"), TEAM, [("reinstated", 0, 9500)], id="reinstate"
        ),
        pytest.param(
            replace(TEAM, status="canceled"), TEAM, [("reinstated", 0, 9500)], id="unrevoke"
        ),
        pytest.param(
            replace(TEAM, status="suspended"),
            replace(TEAM, status="trialing"),
            [("reinstated", 0, 0)],
            id="back-to-trial",
        ),
        pytest.param(TEAM, replace(TEAM, status="canceled"), [("canceled", 9500, 0)], id="cancel"),
        pytest.param(TEAM, replace(TEAM, status="expired"), [("expired", 9500, 0)], id="expire"),
        pytest.param(
            TEAM, replace(TEAM, status="past_due"), [("status_changed", 9500, 9500)], id="owed"
        ),
        pytest.param(
            replace(TEAM, status="trialing"),
            TEAM,
            [("status_changed", 0, 9500)],
            id="trial-converts",
        ),
        pytest.param(
            TEAM,
            replace(BUSINESS, seats=12, auto_renew=False),
            [
                ("upgraded", 9500, 39000),
                ("seats_added", 39000, 46800),
                ("auto_renew_off", 46800, 46800),
            ],
            id="several-in-order",
        ),
        pytest.param(
            replace(TEAM, status="suspended"),
            replace(TEAM, status="active", seats=8, term_end=date(2026, 4, 30)),
            [("seats_added", 0, 0), ("term_extended", 0, 0), ("reinstated", 0, 15200)],
            id="status-last",
        ),
    ],
)
def test_known_changes(before, after, expected):
    assert kinds(before, after) == expected


def test_each_step_carries_the_terms_after_it():
    found = steps(TEAM, replace(BUSINESS, seats=12))
    assert [step.terms for step in found] == [BUSINESS, replace(BUSINESS, seats=12)]


statuses = st.sampled_from(["trialing", "active", "past_due", "suspended", "canceled", "expired"])
days = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))


@st.composite
def terms(draw):
    version = draw(st.integers(1, 6))
    tier = version // 2  # two versions of each tier
    return Terms(
        status=draw(statuses),
        version=version,
        tier=tier,
        tier_rank=tier,
        seats=draw(st.integers(1, 60)),
        currency=draw(st.sampled_from(["USD", "EUR"])),
        cycle=draw(st.sampled_from(["monthly", "annual"])),
        unit_amount=draw(st.decimals(min_value=0, max_value=5000, places=2)),
        per_seat=draw(st.booleans()),
        min_seats=draw(st.integers(1, 10)),
        term_start=draw(days),
        term_end=draw(days),
        auto_renew=draw(st.booleans()),
        price_locked_on=draw(days),
    )


@given(terms(), terms())
def test_the_steps_chain_from_before_to_after(before, after):
    found = steps(before, after)
    assert (found == []) == (before == after)
    if found:
        assert found[0].mrr_before == before.mrr
        assert found[-1].mrr_after == after.mrr
        assert found[-1].terms == after
        for earlier, later in pairwise(found):
            assert later.mrr_before == earlier.mrr_after
        # One step per kind of thing moved, never twice.
        assert len({step.kind for step in found}) == len(found)
        # Every step's MRR is in one currency: a step that changes it starts from 0, after
        # the old currency's MRR has gone to 0 in a step of its own.
        currency = before.currency
        for step in found:
            if step.terms.currency != currency:
                assert step.mrr_before == 0
                currency = step.terms.currency
        assert [s.kind for s in found].count("currency_left") == (before.currency != after.currency)


@given(terms())
def test_a_purchase_is_one_step_from_nothing(after):
    assert [(s.kind, s.mrr_before, s.mrr_after, s.terms) for s in steps(None, after)] == [
        ("purchased", 0, after.mrr, after)
    ]
