"""The public proration calculator at /policy/upgrades/calculator/, through the test
client: the page and its JSON agree with billing.proration, every bad input is a 400
naming its field, and nothing reaches a 500."""
# The page writes its arithmetic with the times, minus and en-dash signs; the tests read
# it as written.
# ruff: noqa: RUF001

import re
from datetime import date
from decimal import Decimal
from html import unescape
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.money import Money
from billing.proration import prorate
from licensing.catalog.publishing import policy_version_publish
from licensing.models import PolicySection, PolicyVersion
from tests.factories import CurrencyFactory

URL = "/policy/upgrades/calculator/"
EXAMPLE = {
    "currency": "USD",
    "current_price": "50.00",
    "new_price": "80.00",
    "term_start": "2025-11-01",
    "term_end": "2025-11-30",
    "change_date": "2025-11-21",
}


@pytest.fixture
def currencies(db):
    """We sell in USD, EUR and JPY; GBP is known but not enabled."""
    for order, code in enumerate(["USD", "EUR", "JPY"]):
        CurrencyFactory(code=code, order=order)
    CurrencyFactory(code="GBP", enabled=False)


def get(client, params: dict, **headers):
    return client.get(f"{URL}?{urlencode(params)}", headers=headers)


def text_of(response) -> str:
    """The page's visible words, tags dropped and white space collapsed."""
    html = response.content.decode()
    body = html[html.index("<main") : html.index("</main>")]
    inline_dropped = re.sub(r"</?(strong|a|span)\b[^>]*>", "", body)
    # Not str.split(): money keeps its no-break spaces (16,67\xa0€).
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", inline_dropped))).strip()


def test_it_shows_the_policy_example_with_its_working(client, currencies):
    response = get(client, EXAMPLE)

    assert response.status_code == 200
    text = text_of(response)
    assert "Credit for the unused part of the current price $16.67" in text
    assert "Charge for the rest of the term at the new price $26.67" in text
    assert "Amount due now $10.00" in text
    assert "The term runs from 1 Nov 2025 to 30 Nov 2025: 30 days, both included." in text
    assert "10 of 30 days remain (21 Nov 2025 – 30 Nov 2025 inclusive)" in text
    assert "Credit: $50.00 × 10 ÷ 30 = $16.67" in text
    assert "Charge: $80.00 × 10 ÷ 30 = $26.67" in text
    assert "Amount due: $26.67 − $16.67 = $10.00." in text
    assert "rounded once, half up, to $0.01" in text


def test_it_keeps_the_inputs_in_the_form(client, currencies):
    html = get(client, EXAMPLE).content.decode()

    assert 'action="/policy/upgrades/calculator/#proration-result"' in html
    assert 'method="get"' in html
    assert re.search(r'<option value="USD" selected>', html)
    for name, value in EXAMPLE.items():
        if name != "currency":
            assert re.search(rf'name="{name}" value="{re.escape(value)}"', html), name


def test_the_json_link_gives_the_same_figures(client, currencies):
    html = get(client, EXAMPLE).content.decode()
    link = unescape(re.search(r'href="([^"]+format=json[^"]*)"', html).group(1))

    assert client.get(link).json()["due"] == "10.00"


def test_it_counts_one_day_left_in_the_singular(client, currencies):
    text = text_of(get(client, {**EXAMPLE, "change_date": "2025-11-30"}))

    assert "1 of 30 days remains (30 Nov 2025 – 30 Nov 2025 inclusive)" in text
    assert "Credit: $50.00 × 1 ÷ 30 = $1.67" in text


def test_it_explains_a_cheaper_price_as_credit(client, currencies):
    text = text_of(get(client, {**EXAMPLE, "current_price": "80", "new_price": "50"}))

    assert "Amount due: $16.67 − $26.67 = \u2212$10.00." in text
    assert (
        "nothing is due: $10.00 is owed to you, as credit, which pays your open invoices "
        "first, oldest first, then your next invoice." in text
    )


def test_it_writes_money_as_the_visitor_s_locale_does(client, currencies):
    response = get(client, {**EXAMPLE, "currency": "EUR"}, accept_language="de-DE")

    text = text_of(response)
    assert "Credit: 50,00\xa0€ × 10 ÷ 30 = 16,67\xa0€" in text
    assert "Amount due now 10,00\xa0€" in text
    assert "Accept-Language" in response["Vary"]


def test_yen_have_no_decimals(client, currencies):
    params = {**EXAMPLE, "currency": "jpy", "current_price": "5000", "new_price": "8000"}

    text = text_of(get(client, params))
    assert "Credit: ¥5,000 × 10 ÷ 30 = ¥1,667" in text
    assert "rounded once, half up, to ¥1." in text
    assert get(client, {**params, "format": "json"}).json()["due"] == "1000"


def test_without_inputs_it_shows_a_change_today_in_this_month(client, currencies, now):
    response = client.get(URL, headers={"accept-language": "en-US"})

    assert response.status_code == 200
    text = text_of(response)  # now is 14 March 2026: 18 of March's 31 days remain
    assert "An example: an upgrade today" in text
    assert "18 of 31 days remain (14 Mar 2026 – 31 Mar 2026 inclusive)" in text
    assert "Credit: $50.00 × 18 ÷ 31 = $29.03" in text
    assert "Charge: $80.00 × 18 ÷ 31 = $46.45" in text


def test_the_example_uses_the_visitor_s_currency_and_its_decimals(client, currencies, now):
    html = client.get(URL, headers={"accept-language": "ja-JP"}).content.decode()

    assert re.search(r'<option value="JPY" selected>', html)
    assert 'name="current_price" value="50"' in html


# --- JSON -----------------------------------------------------------------------------

JSON_CASES = [
    EXAMPLE,
    {**EXAMPLE, "change_date": "2025-11-01"},
    {**EXAMPLE, "currency": "EUR", "term_start": "2024-01-01", "term_end": "2024-12-31",
     "change_date": "2024-07-01", "current_price": "290", "new_price": "990"},
    {**EXAMPLE, "currency": "JPY", "current_price": "1001", "new_price": "1001",
     "term_end": "2025-11-02", "change_date": "2025-11-02"},
    {**EXAMPLE, "current_price": "80", "new_price": "50"},
]  # fmt: skip


@pytest.mark.parametrize("params", JSON_CASES)
def test_the_json_answer_is_the_module_s(client, currencies, params):
    response = get(client, {**params, "format": "json"})

    currency = params["currency"]
    expected = prorate(
        current_price=Money(Decimal(params["current_price"]), currency),
        new_price=Money(Decimal(params["new_price"]), currency),
        term_start=date.fromisoformat(params["term_start"]),
        term_end=date.fromisoformat(params["term_end"]),
        change_date=date.fromisoformat(params["change_date"]),
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "currency": currency,
        "term_days": expected.term_days,
        "remaining_days": expected.remaining_days,
        "credit": str(expected.credit.amount),
        "charge": str(expected.charge.amount),
        "due": str(expected.due.amount),
        "method": "by_day",
    }


def test_the_json_answer_for_the_policy_example(client, currencies):
    assert get(client, {**EXAMPLE, "format": "json"}).json() == {
        "currency": "USD",
        "term_days": 30,
        "remaining_days": 10,
        "credit": "16.67",
        "charge": "26.67",
        "due": "10.00",
        "method": "by_day",
    }


# --- Bad input ------------------------------------------------------------------------

PRICE_TYPO = "Enter the current price using digits and at most one decimal point, e.g. 49.50."
START_TYPO = "Enter the term's first day as a date written year-month-day, e.g. 2025-11-21."
BAD = {
    "no price": ({"current_price": ""}, "current_price", "Enter the current price."),
    "letters": ({"current_price": "fifty"}, "current_price", PRICE_TYPO),
    "NaN": ({"current_price": "NaN"}, "current_price", PRICE_TYPO),
    "infinity": ({"current_price": "Infinity"}, "current_price", PRICE_TYPO),
    "1e999": ({"current_price": "1e999"}, "current_price", PRICE_TYPO),
    "a comma": ({"current_price": "50,00"}, "current_price", PRICE_TYPO),
    "negative": (
        {"current_price": "-50"}, "current_price", "The current price cannot be negative."
    ),
    "negative new": ({"new_price": "-0.01"}, "new_price", "The new price cannot be negative."),
    "too large": (
        {"new_price": "1000000000.01"}, "new_price", "The new price can be at most 1,000,000,000."
    ),
    "10,000 digits": (
        {"new_price": "9" * 10_000}, "new_price", "The new price can be at most 1,000,000,000."
    ),
    "a fraction of a cent": (
        {"current_price": "50.001"},
        "current_price",
        "The current price can have at most 2 decimal places in USD.",
    ),
    "a fraction of a yen": (
        {"currency": "JPY", "current_price": "5000", "new_price": "8000.5"},
        "new_price",
        "The new price must be a whole number of JPY, with no decimals.",
    ),
    "an unknown currency": (
        {"currency": "XYZ"}, "currency", "Choose a currency we sell in: USD, EUR, JPY."
    ),
    "a currency we do not sell in": (
        {"currency": "GBP"}, "currency", "Choose a currency we sell in: USD, EUR, JPY."
    ),
    "no currency": ({"currency": ""}, "currency", "Choose a currency."),
    "month 13": ({"term_start": "2025-13-01"}, "term_start", START_TYPO),
    "30 February": ({"term_start": "2025-02-30"}, "term_start", START_TYPO),
    "year 0": ({"term_start": "0000-01-01"}, "term_start", START_TYPO),
    "year 10000": ({"term_start": "10000-01-01"}, "term_start", START_TYPO),
    "a day-first date": ({"term_start": "01/11/2025"}, "term_start", START_TYPO),
    "no term end": ({"term_end": ""}, "term_end", "Enter the term's last day."),
    "a term that ends before it starts": (
        {"term_end": "2025-10-31"},
        "term_end",
        "The term's last day (2025-10-31) cannot be before its first day (2025-11-01).",
    ),
    "a change before the term": (
        {"change_date": "2025-10-31"},
        "change_date",
        "The change date must be within the term: on or after its first day, 2025-11-01.",
    ),
    "a change after the term": (
        {"change_date": "2025-12-01"},
        "change_date",
        "The change date must be within the term: on or before its last day, 2025-11-30.",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("changes", "field", "message"), BAD.values(), ids=BAD.keys())
def test_bad_input_is_a_400_beside_its_field(client, currencies, changes, field, message):
    response = get(client, {**EXAMPLE, **changes})

    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(rf'<ul class="field-errors" id="id_{field}_error">(.*?)</ul>', html, re.S)
    assert errors and message in unescape(errors.group(1))
    control = re.search(rf'<(input|select)[^>]*name="{field}"[^>]*>', html).group(0)
    assert "aria-invalid" in control
    assert f"id_{field}_error" in re.search(r'aria-describedby="([^"]+)"', control).group(1)
    # The summary above the result links to the field.
    assert f'<a href="#id_{field}">' in html
    assert "Amount due now" not in html


@pytest.mark.parametrize(("changes", "field", "message"), BAD.values(), ids=BAD.keys())
def test_bad_input_is_a_400_in_json_too(client, currencies, changes, field, message):
    response = get(client, {**EXAMPLE, **changes, "format": "json"})

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_request",
        "detail": "Some inputs need fixing.",
        "errors": {field: message},
    }


def test_missing_inputs_are_each_named(client, currencies):
    response = get(client, {"current_price": "50", "format": "json"})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "currency": "Choose a currency.",
        "new_price": "Enter the new price.",
        "term_start": "Enter the term's first day.",
        "term_end": "Enter the term's last day.",
        "change_date": "Enter the change date.",
    }


def test_an_unknown_format_is_a_400(client, currencies):
    response = get(client, {**EXAMPLE, "format": "xml"})

    assert response.status_code == 400
    assert "Ask for format=json, or leave the format out for this page." in text_of(response)


@pytest.mark.parametrize("fmt", ["", "json"])
def test_a_nul_character_is_a_400(client, currencies, fmt):
    response = client.get(f"{URL}?current_price=5%000&format={fmt}")

    assert response.status_code == 400
    if fmt == "json":
        assert response.json() == {
            "code": "bad_request",
            "detail": "The query string contains a NUL character.",
        }


def test_it_escapes_what_it_echoes(client, currencies):
    attack = '"><script>alert(1)</script>'
    response = get(client, {**EXAMPLE, "current_price": attack, "term_end": attack})

    html = response.content.decode()
    assert response.status_code == 400
    assert "<script>alert(1)" not in html
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from([*EXAMPLE, "format"]),
    value=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00")),
    wants_json=st.booleans(),
)
def test_no_input_reaches_a_500(client, currencies, field, value, wants_json):
    params = {**EXAMPLE, field: value}
    if wants_json:
        params["format"] = "json"

    assert get(client, params).status_code in (200, 400)


# --- The policy links to it -------------------------------------------------------------


def test_the_upgrade_policy_links_to_the_calculator(client, db):
    policy = PolicyVersion.objects.create(effective_date=timezone.localdate())
    PolicySection.objects.create(policy=policy, heading="Proration", body="By day.")
    policy_version_publish(policy=policy)

    html = client.get("/policy/upgrades/").content.decode()
    assert f'href="{URL}"' in html
    assert "proration calculator" in html
