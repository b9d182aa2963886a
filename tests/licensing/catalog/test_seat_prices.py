"""Flat and per-seat prices: the arithmetic (pure), the price row's rules, publishing,
and how the pricing page and the tier comparison show them."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.money import Money
from billing.pricing import SeatPrice
from licensing.catalog.publishing import tier_version_problems
from licensing.models import TierVersionPrice
from tests.factories import TierFactory, build_draft, build_published


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


FLAT = SeatPrice(usd("79.00"), "monthly")
PER_SEAT = SeatPrice(usd("12.00"), "monthly", per_seat=True, min_seats=5)


@pytest.mark.parametrize(
    ("price", "seats", "billed", "cost"),
    [
        (FLAT, 1, 1, "79.00"),
        (FLAT, 15, 15, "79.00"),
        (PER_SEAT, 1, 5, "60.00"),  # below the minimum: the minimum is billed
        (PER_SEAT, 5, 5, "60.00"),
        (PER_SEAT, 8, 8, "96.00"),
        (SeatPrice(usd("190.00"), "annual", per_seat=True), 12, 12, "2280.00"),
    ],
)
def test_it_costs_flat_and_per_seat_prices_for_n_seats(price, seats, billed, cost):
    assert price.billed_seats(seats) == billed
    assert price.for_seats(seats) == usd(cost)


def test_it_refuses_no_seats_and_a_minimum_below_one():
    with pytest.raises(ValueError, match="at least one seat"):
        PER_SEAT.for_seats(0)
    with pytest.raises(ValueError, match="at least one seat"):
        SeatPrice(usd("12.00"), "monthly", per_seat=True, min_seats=0)


@pytest.mark.parametrize(
    ("price", "text"),
    [
        (FLAT, "$79.00 a month"),
        (PER_SEAT, "$12.00 per seat a month, from 5 seats"),
        (SeatPrice(usd("190.00"), "annual", per_seat=True), "$190.00 per seat a year"),
    ],
)
def test_it_describes_a_price_in_words(price, text):
    assert price.describe() == text


@pytest.fixture
def team(widget_catalog):
    """A per-seat tier between Starter (flat $29, 5 seats) and Pro: $12 a seat a month
    ($120 a year), from 5 seats, up to 15."""
    tier = TierFactory(product=widget_catalog.product, name="Team", slug="team", order=3)
    return build_published(
        tier,
        features=[widget_catalog.features["keys"]],
        limits={widget_catalog.metrics["seats"]: 15},
        monthly="12.00",
        annual="120.00",
        per_seat_from=5,
    )


def _row(version, **fields) -> TierVersionPrice:
    return TierVersionPrice(
        version=version, currency_id="USD", cycle="monthly", amount=Decimal("12.00"), **fields
    )


def test_a_price_row_knows_its_kind(team):
    monthly = team.price_rows.get(currency_id="USD", cycle="monthly")
    assert monthly.seat_price.for_seats(3) == usd("60.00")
    assert monthly.seat_price.for_seats(10) == usd("120.00")
    assert str(monthly) == "$12.00 per seat a month, from 5 seats"


def test_a_price_row_refuses_a_minimum_beyond_the_tiers_seats(widget_catalog):
    draft = build_draft(
        widget_catalog.tiers["starter"], limits={widget_catalog.metrics["seats"]: 5}
    )
    draft.price_rows.all().delete()
    with pytest.raises(ValidationError) as error:
        _row(draft, per_seat=True, min_seats=6).full_clean()
    assert error.value.message_dict["min_seats"] == [
        "The tier allows at most 5 seats; the minimum cannot be more."
    ]
    with pytest.raises(ValidationError) as error:
        _row(draft, per_seat=True, min_seats=0).full_clean()
    assert "min_seats" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _row(draft, per_seat=False, min_seats=3).full_clean()
    assert "A flat price has no minimum" in error.value.message_dict["min_seats"][0]
    _row(draft, per_seat=True, min_seats=5).full_clean()


def test_publishing_refuses_mixed_kinds_and_a_minimum_beyond_the_limit(widget_catalog):
    draft = build_draft(
        widget_catalog.tiers["starter"],
        features=[widget_catalog.features["keys"]],
        limits={widget_catalog.metrics["seats"]: 5},
        per_seat_from=3,
    )
    assert tier_version_problems(draft) == []
    draft.price_rows.filter(currency_id="USD", cycle="annual").update(per_seat=False, min_seats=1)
    draft.limit_rows.filter(metric__key="seats").update(value=2)
    problems = tier_version_problems(draft)
    assert "The monthly price in USD starts at 3 seats, more than the tier's 2." in problems
    assert (
        "Charge the monthly and annual prices in USD the same way: both per seat from the "
        "same minimum, or both flat."
    ) in problems


def test_the_pricing_page_shows_per_seat_and_flat_prices(client, team):
    html = client.get("/pricing/?currency=USD").content.decode()
    # The card: the per-seat amount, the minimum and what the minimum costs.
    assert "$12.00" in html and "per seat" in html
    assert "From 5 seats: $60.00 a month." in html
    assert "Or $120.00 per seat a year, from 5 seats." in html
    # The table: both kinds in words; the flat tiers are unchanged.
    assert "$12.00 per seat a month, from 5 seats" in html
    assert "$120.00 per seat a year, from 5 seats" in html
    assert "$29.00 a month" in html and "$290.00 a year" in html
    # One seat's saving: 12 x 12 - 120 = 24, 16.7 %.
    assert "$24.00 per seat (16.7%)" in html


def test_the_pricing_page_shows_a_per_seat_annual_price_a_month(client, team):
    html = client.get("/pricing/?currency=USD&cycle=annual").content.decode()
    assert "From 5 seats: $600.00 a year." in html
    assert "$10.00 per seat a month, billed yearly." in html


def test_the_comparison_works_the_price_out_for_the_minimum_seats(client, team):
    response = client.get("/pricing/compare/starter/team/?currency=USD")
    html = response.content.decode()
    assert response.status_code == 200
    # Starter is $29 flat; Team at its minimum of 5 seats is $60 a month, $600 a year.
    assert (
        "For 5 seats. Starter: $29.00 a month; Team: $12.00 per seat a month, from 5 seats." in html
    )
    assert "$31.00 more</span> a month" in html
    assert "$310.00 more</span> a year" in html


def test_the_comparison_takes_a_team_size(client, team):
    html = client.get("/pricing/compare/starter/team/?currency=USD&seats=8").content.decode()
    # 8 x 12 - 29 = 67 a month; 8 x 120 - 290 = 670 a year.
    assert "For 8 seats." in html
    assert "$67.00 more</span> a month" in html and "$670.00 more</span> a year" in html


@pytest.mark.parametrize(
    "seats",
    ["abc", "0", "-3", "100001", "9" * 5000, "\u0663"],
    ids=["letters", "zero", "negative", "too-many", "huge", "arabic-digit"],
)
def test_the_comparison_refuses_a_bad_team_size(client, team, seats):
    response = client.get(f"/pricing/compare/starter/team/?currency=USD&seats={seats}")
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a number of seats" in html
    assert "For 5 seats." in html  # and still shows the minimum's figures
