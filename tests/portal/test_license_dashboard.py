"""The organization's home is its license dashboard. Members see the license, meters
and file; owners also manage the key and API tokens; outsiders get 404 everywhere."""

import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.urls import reverse

from licensing.licenses import signing
from licensing.licenses.services import (
    Actor,
    license_hold,
    license_set_auto_renew,
    license_suspend,
    rotation_token,
)
from licensing.models import ApiToken, HoldSource
from licensing.usage.services import UsageReport, usage_record_batch
from tests.helpers.licenses import SYSTEM, issue


def test_it_shows_the_license_on_the_organization_home(client_for, teammate, issued):
    response = client_for(teammate).get("/app/northwind/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Team" in page and "v2" in page
    assert issued.license.masked_key in page
    assert issued.key not in page
    assert 'role="img"' in page and "<svg" in page and "by month, as a table" in page
    assert "API tokens" not in page and "Rotate key" not in page


def test_it_offers_owners_the_key_rotation_and_tokens(client_for, owner, issued):
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert "Rotate key" in page and "API tokens" in page and "Create token" in page


def test_it_shows_a_grandfathered_plan_beside_todays(client_for, teammate, organization, catalog):
    issue(organization, catalog, "team", number=1)
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "Legacy" in page
    assert "Your legacy plan beside today" in page
    assert "Coupons and discounts" in page  # gained in v2


def test_a_grandfathered_subscription_says_when_its_price_lock_ends(
    client_for, teammate, organization, catalog, now
):
    """Never "nothing changes unless you move" beside a renewal panel that says the next
    term moves to the successor at a higher price: the lock's end, and what follows."""
    from tests.helpers.checkout import subscribed

    license = subscribed(organization, catalog, "team", number=1)
    locked_until = license.subscription.price_locked_until
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "Your legacy plan beside today" in page
    assert "Nothing changes unless you move" not in page
    assert (
        f"You keep Team v1 and its price while your price lock holds, until "
        f"{locked_until:%-d %B %Y}." in page
    )


def test_it_says_so_when_there_is_no_license(client_for, teammate):
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "No license yet" in page


def test_it_shows_a_new_token_once_and_keeps_only_its_hash(client_for, owner, organization):
    client = client_for(owner)
    response = client.post("/app/northwind/api-tokens/", {"name": "Build server"})
    assert response.status_code == 200
    token = ApiToken.objects.get(organization=organization)
    secret = re.search(r"twk_[0-9a-f]{8}_[\w-]+", response.content.decode()).group()
    assert token.token_hash != secret and token.prefix in secret
    assert secret not in client.get("/app/northwind/").content.decode()


def test_it_revokes_a_token(client_for, owner, token):
    response = client_for(owner).post(f"/app/northwind/api-tokens/{token.token.pk}/revoke/")
    assert (response.status_code, response["Location"]) == (302, "/app/northwind/#api-tokens")
    token.token.refresh_from_db()
    assert token.token.revoked_at is not None


def test_it_rotates_the_key_and_shows_the_new_one_once(client_for, owner, issued):
    client = client_for(owner)
    token = rotation_token(issued.license)
    response = client.post(
        f"/app/northwind/licenses/{issued.license.pk}/rotate-key/",
        {"overlap": "none", "reason": "leaked", "token": token},
        follow=True,
    )
    issued.license.refresh_from_db()
    assert response.status_code == 200
    assert issued.license.key_prefix in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_it_downloads_a_verifiable_license_file(client_for, teammate, issued):
    response = client_for(teammate).get(f"/app/northwind/licenses/{issued.license.pk}/file/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert signing.verify(response.content, signing.public_key_pem())["seats"] == 5


def test_it_serves_the_public_key_at_a_fixed_address(client):
    response = client.get("/.well-known/tierwise-license-key.pem")
    assert response.status_code == 200
    assert response.content.decode() == signing.public_key_pem()


def _unchanged(issued, token) -> None:
    """Nothing a refused request could have done: no token made, none revoked, the key
    not rotated."""
    assert list(ApiToken.objects.values_list("pk", "revoked_at")) == [(token.token.pk, None)]
    license_key_hash = issued.license.key_hash
    issued.license.refresh_from_db()
    assert issued.license.key_hash == license_key_hash


@pytest.mark.parametrize("role", ["teammate", "billing_admin"])
def test_it_refuses_key_and_token_management_to_non_owners(
    request, client_for, role, issued, token
):
    client = client_for(request.getfixturevalue(role))
    assert client.post("/app/northwind/api-tokens/", {"name": "x"}).status_code == 403
    rotate = f"/app/northwind/licenses/{issued.license.pk}/rotate-key/"
    assert client.post(rotate).status_code == 403
    assert client.post(f"/app/northwind/api-tokens/{token.token.pk}/revoke/").status_code == 403
    _unchanged(issued, token)


def test_it_hides_every_license_page_from_outsiders(client_for, outsider, issued, token):
    client = client_for(outsider)
    license_id = issued.license.pk
    assert client.get("/app/northwind/").status_code == 404
    assert client.get(f"/app/northwind/licenses/{license_id}/file/").status_code == 404
    assert client.post(f"/app/northwind/licenses/{license_id}/rotate-key/").status_code == 404
    assert client.post("/app/northwind/api-tokens/", {"name": "x"}).status_code == 404
    revoke = f"/app/northwind/api-tokens/{token.token.pk}/revoke/"
    assert client.post(revoke).status_code == 404
    # Nor through their own organization's address.
    assert client.get(f"/app/elsewhere/licenses/{license_id}/file/").status_code == 404
    assert client.post(f"/app/elsewhere/api-tokens/{token.token.pk}/revoke/").status_code == 404
    _unchanged(issued, token)


def test_it_sends_anonymous_visitors_to_sign_in(client, issued):
    response = client.get("/app/northwind/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/app/northwind/",
    )


def _report(license, month_usage):
    """month_usage: {(year, month): API calls}, reported on the 10th of each month."""
    usage_record_batch(
        license=license,
        reports=[
            UsageReport(
                "api-calls", calls, f"{year}-{month}", datetime(year, month, 10, tzinfo=UTC)
            )
            for (year, month), calls in month_usage.items()
        ],
    )


def test_it_suggests_the_next_tier_on_sustained_need(client_for, teammate, issued):
    # Team v2 allows 100,000 calls a month; two of the last three months were over.
    _report(issued.license, {(2025, 12): 120_000, (2026, 1): 90_000, (2026, 2): 130_000})
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "Business fits how you work" in page
    assert "over your API calls a month limit in 2 of the last 3 months" in page
    assert reverse("pricing_compare", args=["team", "business"]) in page


def test_it_does_not_suggest_anything_after_a_passing_spike(client_for, teammate, issued):
    _report(issued.license, {(2025, 12): 40_000, (2026, 1): 250_000, (2026, 2): 50_000})
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "fits how you work" not in page
    assert "250,000" in page  # the spike is in the history table all the same


def test_it_warns_at_the_thresholds_this_month(client_for, teammate, issued):
    _report(issued.license, {(2026, 3): 85_000})
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "API calls a month: 85% used." in page
    assert "80% warning level" in page


def test_it_tells_a_suspended_customer_since_when_and_who_can_lift_it(
    client_for, teammate, issued, account_manager, time_machine
):
    time_machine.move_to(datetime(2026, 5, 3, 9, tzinfo=UTC), tick=False)
    account_manager.first_name, account_manager.last_name = "Ada", "Byron"
    account_manager.save()
    license_suspend(
        license=issued.license, actor=Actor(label="staff"), reason="Internal: legal review."
    )
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "Suspended since" in page and "3 May 2026" in page
    assert "Your account manager, Ada Byron, can tell you why" in page
    assert "legal review" not in page  # staff's reason is theirs
    # Its features are what the license grants once lifted, not now.
    assert "What your license includes once the suspension is lifted" in page
    assert "While it is suspended your software is granted none of these" in page

    license_hold(
        license=issued.license,
        source=HoldSource.DUNNING,
        actor=Actor(label="dunning"),
        reason="INV-1 overdue.",
    )
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert page.count("Suspended since") == 2
    # Staff hold it too: paying lifts only dunning's hold (billing/dunning/test_pages.py).
    assert "because an invoice is overdue" in page
    assert "Paying the overdue invoice lifts this hold, but not the one your vendor's" in page


def test_it_shows_no_suspension_notice_on_an_active_license(client_for, teammate, issued):
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "Suspended since" not in page
    assert "What your license includes</h3>" in page and "once the suspension" not in page


@pytest.mark.parametrize(
    "today, auto_renew, says, not_said",
    [
        (date(2026, 3, 31), True, "Renews on</dt><dd>1 April 2026, automatically", "Renewal due"),
        (date(2026, 4, 1), True, "Renewal due</dt><dd>Valid until", "Ended on"),
        (date(2026, 4, 7), True, "7 April 2026</time> while the renewal runs", "Ended on"),
        (date(2026, 4, 8), True, "Ended on</dt><dd>31 March 2026; renew", "Renewal due"),
        (date(2026, 4, 1), False, "7 April 2026</time> unless it is renewed", "Ended on"),
        (date(2026, 4, 1), None, "Ended on</dt><dd>31 March 2026; renew", "Renewal due"),
    ],
    ids=[
        "last-term-day",
        "first-grace-day",
        "last-grace-day",
        "day-after",
        "renewed-by-hand",
        "canceled",
    ],
)
def test_it_says_renewal_due_not_expired_during_the_grace(
    client_for, teammate, organization, catalog, today, auto_renew, says, not_said
):
    """auto_renew None: canceled by its customer (no grace)."""
    license = issue(
        organization, catalog, term_start=date(2026, 1, 1), term_end=date(2026, 3, 31)
    ).license
    if not auto_renew:
        license_set_auto_renew(
            license=license,
            auto_renew=False,
            actor=SYSTEM,
            reason="Ends.",
            ends_with_term=auto_renew is None,
        )
    with time_machine.travel(datetime.combine(today, time(12), tzinfo=UTC), tick=False):
        page = client_for(teammate).get("/app/northwind/").content.decode()
    assert says in page
    assert not_said not in page


def test_rotating_the_key_asks_first_and_changes_nothing_until_confirmed(client_for, owner, issued):
    client = client_for(owner)
    dashboard = client.get("/app/northwind/").content.decode()
    rotate = f"/app/northwind/licenses/{issued.license.pk}/rotate-key/"
    assert f'href="{rotate}"' in dashboard  # a link to the question, not a button that rotates
    before = issued.license.key_hash
    page = client.get(rotate)
    assert page.status_code == 200
    html = page.content.decode()
    assert "it stops the moment I rotate" in html and 'method="post"' in html
    issued.license.refresh_from_db()
    assert issued.license.key_hash == before


@pytest.mark.parametrize("role", ["teammate", "billing_admin"])
def test_only_owners_are_asked_to_rotate_the_key(request, client_for, role, issued):
    client = client_for(request.getfixturevalue(role))
    assert client.get(f"/app/northwind/licenses/{issued.license.pk}/rotate-key/").status_code == 403


def test_an_outsider_is_not_asked_to_rotate_the_key(client_for, outsider, issued):
    url = f"/app/northwind/licenses/{issued.license.pk}/rotate-key/"
    assert client_for(outsider).get(url).status_code == 404


def test_the_usage_history_starts_at_the_licenses_start(client_for, teammate, issued):
    # Team for 2026: January is its first month; nothing before it is charted.
    _report(issued.license, {(2026, 1): 61_000, (2026, 2): 62_000})
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "API calls a month over the last 3 months against a limit of" in page
    assert "<td>January 2026</td>" in page and "<td>March 2026</td>" in page
    assert "December 2025" not in page and "April 2025" not in page


def test_an_unlimited_metric_says_so_and_draws_no_limit(
    client_for, teammate, organization, catalog
):
    # Enterprise: API calls and integrations are unlimited; storage is not, and seats
    # count against the seats bought.
    issue(organization, catalog, "enterprise")
    page = client_for(teammate).get("/app/northwind/").content.decode()
    charts = re.findall(r'<figure class="meter__chart.*?</figure>', page, re.S)
    unlimited = [chart for chart in charts if "against no limit (unlimited)" in chart]
    names = [re.search(r'aria-label="(.*?) over ', chart).group(1) for chart in unlimited]
    assert sorted(names) == ["API calls a month", "Integrations"]
    for chart in charts:
        axis = chart[chart.index('class="axis y') : chart.index('class="axis x')]
        limit = re.search(r"against a limit of ([\d,]+)", chart)
        if limit:
            assert re.findall(r'class="major">([^<]*)<', axis) == [limit.group(1)]
        else:
            assert 'class="major"' not in axis  # no limit line


# A closed license stays readable (read-only) for the data retention after its term; a
# suspended one says what happens at its term's end.


def _expired_while_suspended(organization, catalog):
    from billing.renewals import services as renewals
    from tests.helpers.checkout import subscribed

    license = subscribed(organization, catalog, "team", seats=5)  # term ends 31 March 2026
    license_suspend(license=license, actor=Actor(label="staff"), reason="Internal: audit.")
    result = renewals.subscription_expire(subscription=license.subscription, today=date(2026, 4, 8))
    assert result.outcome == renewals.Outcome.EXPIRED
    license.refresh_from_db()
    return license


def test_an_expired_license_stays_readable_within_the_retention(
    client_for, owner, organization, catalog
):
    license = _expired_while_suspended(organization, catalog)
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert "No license yet" not in page
    # The last day it could have been used, as its reason says (not the job's run).
    assert (
        '<dt>Expired</dt><dd>After <time datetime="2026-04-07">7 April 2026</time>, its last '
        "usable day"
    ) in page
    assert "Suspended at the end of its term on 31 March 2026" in page
    assert "not reinstated by 7 April 2026" in page
    assert "Readable until" in page and "29 June 2026" in page  # 31 March + 90 days
    # Its machines are not "active of" a limit any more: none validates.
    assert "<dt>Machines</dt><dd>0 activated; none validates since the license ended" in page
    assert " active of " not in page
    assert license.masked_key in page and "no longer valid" in page
    assert reverse("license_file_download", args=["northwind", license.pk]) in page
    assert "Usage history" in page and "by month, as a table" in page
    assert f'href="{reverse("pricing")}">Buy again' in page
    # Read-only: no key rotation, checkout, cancellation or suspension notice.
    assert "Rotate key" not in page and "Change plan or seats" not in page
    assert "Cancel subscription" not in page and "Suspended since" not in page
    assert "audit" not in page  # staff's reason is theirs


def test_a_member_reads_it_and_an_outsider_gets_404(
    client_for, teammate, outsider, organization, catalog
):
    license = _expired_while_suspended(organization, catalog)
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "<dt>Expired</dt>" in page and "Buy again" in page
    file_url = reverse("license_file_download", args=["northwind", license.pk])
    assert client_for(teammate).get(file_url).status_code == 200
    assert client_for(outsider).get("/app/northwind/").status_code == 404
    assert client_for(outsider).get(file_url).status_code == 404


def test_after_the_retention_it_is_as_if_there_were_none(
    client_for, owner, organization, catalog, time_machine
):
    _expired_while_suspended(organization, catalog)
    time_machine.move_to(datetime(2026, 6, 29, 12, tzinfo=UTC), tick=False)
    assert "<dt>Expired</dt>" in client_for(owner).get("/app/northwind/").content.decode()
    time_machine.move_to(datetime(2026, 6, 30, 12, tzinfo=UTC), tick=False)
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert "No license yet" in page and "<dt>Expired</dt>" not in page


def test_a_suspended_license_says_what_happens_at_its_terms_end(
    client_for, teammate, organization, catalog
):
    from tests.helpers.checkout import subscribed

    license = subscribed(organization, catalog, "team", seats=5)
    license_hold(
        license=license, source=HoldSource.DUNNING, actor=Actor(label="dunning"), reason="Due."
    )
    page = client_for(teammate).get("/app/northwind/").content.decode()
    assert "Your term ends on" in page and "31 March 2026" in page
    assert "while suspended it will not renew" in page
    # The renews row agrees: not "Renews on 1 April 2026, automatically".
    assert "Renews</dt><dd>Not while suspended: it would renew on 1 April 2026" in page
    assert "Renews on</dt>" not in page
    assert "It expires on" in page and "7 April 2026" in page
    assert "unless the overdue invoice is paid by then" in page


def test_a_suspended_license_renewed_by_hand_does_not_say_it_renews(
    client_for, owner, organization, catalog, now
):
    from billing.subscriptions.services import subscription_set_auto_renew
    from tests.helpers.checkout import subscribed

    license = subscribed(organization, catalog, "team", seats=5)  # term ends 31 March 2026
    subscription_set_auto_renew(
        subscription=license.subscription, auto_renew=False, actor=SYSTEM, reason="By hand."
    )
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert "By hand, with your account manager, before the term ends on 31 March 2026" in page

    license_suspend(license=license, actor=Actor(label="staff"), reason="Internal: audit.")
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert (
        "Not while suspended: by hand, with your account manager, once the suspension is "
        "lifted and before the term ends on 31 March 2026"
    ) in page
    assert "By hand, with your account manager, before" not in page


def test_a_version_retired_since_says_one_lock_date_and_both_prices(
    client_for, owner, organization, catalog, now
):
    """A version retired after the price was locked keeps it to the notice date: the
    legacy table and the renewal panel name that one day (not the term's end stored at
    locking), and the table sets the price kept beside today's."""
    from licensing.catalog.publishing import tier_version_retire
    from tests.helpers.checkout import subscribed

    license = subscribed(organization, catalog, "starter", seats=1)
    assert license.subscription.price_locked_until == date(2026, 3, 31)
    tier_version_retire(
        version=license.version,
        successor=catalog.version("team"),
        notice_date=date(2026, 4, 20),
        reason="Starter is discontinued.",
    )
    page = client_for(owner).get("/app/northwind/").content.decode()
    assert "while your price lock holds, until 20 April 2026." in page
    assert "31 March 2026." not in page.split("Your legacy plan beside today")[1][:600]
    assert re.search(r"Price locked until</dt><dd><time[^>]*>20 April 2026</time>", page)
    kept = license.subscription.seat_price.describe()
    team = catalog.version("team").price_rows.get(currency_id="USD", cycle="monthly")
    price_row = re.search(r'<th scope="row">Price</th><td>([^<]*)</td><td>([^<]*)</td>', page)
    assert price_row.group(1) == kept
    assert price_row.group(2).startswith(f"${team.amount:,.2f} per seat a month")
