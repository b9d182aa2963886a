"""The calculator on the demo catalog, whose higher tiers are priced per seat: a tier
costs the whole team (at least its minimum seats), and the default result is credible."""

from decimal import Decimal

from billing.money import Money


def _result(response, slug):
    return next(r for r in response.context["outcome"].results if r.tier.slug == slug)


def test_it_costs_a_per_seat_tier_at_the_team_size(client, catalog):
    response = client.get("/roi/?currency=USD")
    assert response.status_code == 200
    # Team: $190 a seat a year x 10 people; Business: $390 x 10.
    assert _result(response, "team").annual_cost == Money(Decimal("1900.00"), "USD")
    assert _result(response, "business").annual_cost == Money(Decimal("3900.00"), "USD")
    # Enterprise bills at least 25 seats, whatever the team: 25 x $690.
    assert _result(response, "enterprise").annual_cost == Money(Decimal("17250.00"), "USD")
    # Starter stays flat for the tier.
    assert _result(response, "starter").annual_cost == Money(Decimal("290.00"), "USD")


def test_its_default_result_is_a_few_hundred_percent(client, catalog):
    response = client.get("/roi/?currency=USD")
    recommended = response.context["outcome"].recommended
    # Business: 10 x 0.4 h x 52 x $75 + 4 x $500 = $17,600 a year against $3,900.
    assert recommended.tier.slug == "business"
    assert recommended.annual_net == Money(Decimal("13700.00"), "USD")
    assert recommended.roi_percent == Decimal("351.3")
    # The year's $3,900 at its start, reached by $17,600 / 12 a month: 2.66 months.
    assert recommended.payback_months == Decimal("2.7")
    page = response.content.decode()
    assert "351.3%" in page and "2.7 months" in page


def test_it_shows_each_tiers_price_as_the_catalog_states_it(client, catalog):
    page = client.get("/roi/?currency=USD&cycle=monthly").content.decode()
    assert "$39.00 per seat a month, from 10 seats" in page
    assert "$69.00 per seat a month, from 25 seats" in page
    assert "$29.00 a month" in page
    assert "a per-seat price is for each person in your team" in page


def test_a_bigger_team_pays_for_every_seat(client, catalog):
    response = client.get("/roi/?currency=USD&team_size=40")
    assert _result(response, "business").annual_cost == Money(Decimal("15600.00"), "USD")
    assert _result(response, "enterprise").annual_cost == Money(Decimal("27600.00"), "USD")
