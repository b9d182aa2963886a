"""The customer's proposal pages: the list and the proposal with its options side by
side, the confirmation page that shows exactly what accepting invoices, its Confirm,
Decline, the PDF; members read, outsiders and other organizations get 404, and bad input
is a 4xx that writes nothing. Proposals are made with the models."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Checkout, Invoice, ProposalStatus
from tests.factories import MembershipFactory, OrganizationFactory
from tests.factories.proposals import proposal_in
from tests.helpers.proposals import sent_version, team_for_2026


@pytest.fixture
def license(organization, catalog):
    return team_for_2026(organization, catalog)


@pytest.fixture
def version(license, catalog, now):
    return sent_version(
        license,
        catalog,
        [
            {"tier": "team", "seats": 8},
            {
                "tier": "business",
                "seats": 10,
                "term_cycles": 3,
                "discount_percent": Decimal(20),
                "discount_reason": "three-year commitment",
            },
        ],
        cover_note="As discussed on <b>Tuesday</b>.",
    )


def url(version, name="proposal_detail", *args):
    proposal = version.proposal
    return reverse(name, args=[proposal.organization.slug, proposal.pk, *args])


def accept_url(version, option):
    return url(version, "proposal_accept", option.pk)


def hidden(page, name):
    return re.search(rf'name="{name}" value="([^"]+)"', page.content.decode()).group(1)


def test_the_list_and_the_dashboard_link_to_an_open_proposal(client_for, owner, version):
    client = client_for(owner)
    slug = version.proposal.organization.slug
    listed = client.get(reverse("proposals", args=[slug]))
    assert listed.status_code == 200
    assert version.label in listed.content.decode()
    dashboard = client.get(reverse("organization_detail", args=[slug]))
    assert url(version) in dashboard.content.decode()


def proposals_link(slug):
    return f'<a class="btn btn-secondary" href="{reverse("proposals", args=[slug])}">Proposals</a>'


def test_the_dashboard_links_the_proposals_once_none_is_open(
    client_for, organization, owner, license, catalog
):
    # Sent, then expired on 1 March ("now" is 14 March): no banner, but the link stays.
    expired = sent_version(license, catalog, [{"seats": 6}], valid_until=date(2026, 3, 1))
    member = MembershipFactory(organization=organization, role="member").user
    for person in (owner, member):
        dashboard = client_for(person).get(reverse("organization_detail", args=["northwind"]))
        page = dashboard.content.decode()
        assert proposals_link("northwind") in page
        assert "Your account manager sent you proposal" not in page
        listed = client_for(person).get(reverse("proposals", args=["northwind"]))
        assert expired.label in listed.content.decode()


def test_the_dashboard_has_no_proposals_link_without_a_sent_proposal(
    client_for, owner, license, account_manager
):
    # A draft withdrawn before it was sent never reached the customer.
    proposal_in(license, account_manager, ProposalStatus.WITHDRAWN)
    page = client_for(owner).get(reverse("organization_detail", args=["northwind"]))
    assert page.status_code == 200
    assert reverse("proposals", args=["northwind"]) not in page.content.decode()


def test_an_outsider_gets_404_for_the_proposals_list(client_for, license, catalog):
    sent_version(license, catalog, [{"seats": 6}], valid_until=date(2026, 3, 1))
    stranger = MembershipFactory(organization=OrganizationFactory(), role="owner")
    client = client_for(stranger.user)
    assert client.get(reverse("proposals", args=["northwind"])).status_code == 404
    own = client.get(reverse("organization_detail", args=[stranger.organization.slug]))
    assert reverse("proposals", args=[stranger.organization.slug]) not in own.content.decode()


def test_a_proposal_withdrawn_before_it_was_sent_never_shows(
    client_for, owner, license, account_manager
):
    # Withdrawn as a draft: the customer was never sent it (the list was a 500).
    withdrawn = proposal_in(license, account_manager, ProposalStatus.WITHDRAWN)
    client = client_for(owner)
    response = client.get(reverse("proposals", args=[license.organization.slug]))
    assert response.status_code == 200
    assert withdrawn.number not in response.content.decode()
    assert client.get(reverse("proposal_detail", args=[withdrawn.pk])).status_code == 404


def test_the_proposal_shows_its_options_side_by_side(client_for, owner, version):
    page = client_for(owner).get(url(version))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Option 1: Team" in text and "Option 2: Business" in text
    assert "Negotiated discount 20% (three-year commitment)" in text
    assert "$9,360.00" in text  # the 3-year term up front, net
    assert "$11,700.00" in text  # its list total
    assert "&lt;b&gt;Tuesday&lt;/b&gt;" in text  # the cover note is escaped
    for option in version.options.all():
        assert accept_url(version, option) in text


def test_a_member_reads_but_cannot_answer_and_sees_who_can(
    client_for, organization, owner, version
):
    member = MembershipFactory(organization=organization, role="member").user
    client = client_for(member)
    page = client.get(url(version))
    assert page.status_code == 200
    assert "Only an owner or a billing admin can accept or decline" in page.content.decode()
    assert owner.email in page.content.decode()
    option = version.options.first()
    assert "Accept option" not in page.content.decode()
    assert client.get(accept_url(version, option)).status_code == 403
    assert client.post(url(version, "proposal_decline"), {"version": version.pk}).status_code == 403
    version.refresh_from_db()
    assert version.status == ProposalStatus.SENT


def test_outsiders_and_other_organizations_get_404(client_for, version, catalog):
    stranger = MembershipFactory(organization=OrganizationFactory(), role="owner")
    client = client_for(stranger.user)
    option = version.options.first()
    for address in (
        url(version),
        accept_url(version, option),
        reverse("proposal_version_pdf", args=[version.proposal.pk, 1]),
    ):
        assert client.get(address).status_code == 404
    # The proposal under the stranger's own organization's address: 404 too.
    own = reverse("proposal_detail", args=[stranger.organization.slug, version.proposal.pk])
    assert client.get(own).status_code == 404


def test_accepting_shows_the_invoice_then_confirms_it(client_for, owner, version):
    client = client_for(owner)
    option = version.options.get(position=2)
    review = client.get(accept_url(version, option))
    text = review.content.decode()
    assert review.status_code == 200
    assert "Negotiated discount 20% (three-year commitment)" in text
    assert Checkout.objects.count() == 0  # showing writes nothing

    done = client.post(
        accept_url(version, option),
        {"digest": hidden(review, "digest"), "version": hidden(review, "version")},
    )

    checkout = Checkout.objects.get(proposal=version.proposal)
    assert done.status_code == 302
    assert done["Location"] == reverse(
        "checkout_done", args=[version.proposal.organization.slug, checkout.token]
    )
    version.refresh_from_db()
    assert (version.status, version.accepted_option) == (ProposalStatus.ACCEPTED, option)
    # The proposal now says so, with no Accept left.
    page = client.get(url(version))
    assert "Accepted" in page.content.decode()
    assert "Accept option" not in page.content.decode()


@pytest.mark.parametrize(
    "tamper",
    [
        {"digest": "0" * 64},
        {"digest": ""},
        {"version": "999999"},
    ],
)
def test_a_tampered_confirmation_is_a_4xx_and_writes_nothing(client_for, owner, version, tamper):
    client = client_for(owner)
    option = version.options.get(position=2)
    review = client.get(accept_url(version, option))
    data = {"digest": hidden(review, "digest"), "version": hidden(review, "version")} | tamper
    response = client.post(accept_url(version, option), data)
    assert 400 <= response.status_code < 500
    assert not Checkout.objects.exists() and not Invoice.objects.exists()
    version.refresh_from_db()
    assert version.status == ProposalStatus.SENT


def test_an_unknown_option_is_404(client_for, owner, version, license, catalog):
    other = sent_version(license, catalog, [{"seats": 6}])
    client = client_for(owner)
    assert client.get(url(version, "proposal_accept", 987654)).status_code == 404
    assert client.get(accept_url(version, other.options.get())).status_code == 404


def test_declining_with_a_reason(client_for, owner, version):
    client = client_for(owner)
    response = client.post(
        url(version, "proposal_decline"), {"version": version.pk, "reason": "Not this year."}
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.status, version.decline_reason) == (ProposalStatus.DECLINED, "Not this year.")
    page = client.get(url(version))
    assert "Declined" in page.content.decode() and "Not this year." in page.content.decode()


def test_declining_another_version_is_refused(client_for, owner, version):
    response = client_for(owner).post(
        url(version, "proposal_decline"), {"version": version.pk + 100}
    )
    assert response.status_code == 409
    version.refresh_from_db()
    assert version.status == ProposalStatus.SENT


def test_an_expired_proposal_says_so_and_offers_no_answer(client_for, owner, license, catalog, now):
    expired = sent_version(license, catalog, [{"seats": 6}], valid_until=date(2026, 3, 1))
    client = client_for(owner)
    page = client.get(url(expired))
    assert "expired on 1 March 2026" in page.content.decode()
    assert "Accept option" not in page.content.decode()
    refused = client.get(accept_url(expired, expired.options.get()))
    assert refused.status_code == 409


def test_the_pdf_is_downloaded_when_rendered(client_for, organization, version, now):
    member = MembershipFactory(organization=organization, role="member").user
    client = client_for(member)
    address = reverse("proposal_version_pdf", args=[version.proposal.pk, version.number])
    assert client.get(address).status_code == 409  # being rendered (propdeliver's view)
    assert address not in client.get(url(version)).content.decode()
    version.pdf = b"%PDF-1.7 test"
    version.pdf_rendered_at = now
    version.save()
    response = client.get(address)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-1.7 test"
    assert address in client.get(url(version)).content.decode()


def test_the_emailed_address_leads_members_to_the_page(client_for, owner, version):
    from billing.proposals.documents import customer_path

    address = customer_path(version.proposal.pk)
    assert address == f"/proposals/{version.proposal.pk}/"
    response = client_for(owner).get(address)
    assert response.status_code == 302 and response["Location"] == url(version)
    stranger = MembershipFactory(organization=OrganizationFactory(), role="owner").user
    assert client_for(stranger).get(address).status_code == 404


def test_an_earlier_versions_option_says_it_was_superseded(
    client_for, owner, license, catalog, now
):
    """A page opened before the next version was sent: its Accept and its Confirm say
    why they are refused (a 409 naming the newer version), not a bare 404."""
    earlier = sent_version(license, catalog, [{"seats": 6}], status=ProposalStatus.SUPERSEDED)
    sent_version(license, catalog, [{"seats": 7}], proposal=earlier.proposal)
    option = earlier.options.get()
    client = client_for(owner)

    review = client.get(accept_url(earlier, option))
    confirm = client.post(accept_url(earlier, option), {"digest": "0" * 64, "version": earlier.pk})

    for response in (review, confirm):
        text = response.content.decode()
        assert response.status_code == 409
        assert "replaced by a newer one" in text
        assert "Nothing changes until you do" not in text
    assert not Checkout.objects.exists()
    earlier.refresh_from_db()
    assert earlier.status == ProposalStatus.SUPERSEDED


def test_a_refused_answer_does_not_invite_a_confirmation(client_for, owner, license, catalog, now):
    expired = sent_version(license, catalog, [{"seats": 6}], valid_until=date(2026, 3, 1))
    text = client_for(owner).get(accept_url(expired, expired.options.get())).content.decode()
    assert "expired on 1 March 2026" in text
    assert "then confirm" not in text


def test_an_accepted_proposal_keeps_the_dates_it_was_accepted_with(client_for, owner, version):
    """Read again days later, the accepted three-year option still starts on the day it
    was accepted and is invoiced on that day each year, as the invoice was."""
    import time_machine

    client = client_for(owner)
    option = version.options.get(position=2)
    review = client.get(accept_url(version, option))
    client.post(
        accept_url(version, option),
        {"digest": hidden(review, "digest"), "version": hidden(review, "version")},
    )
    with time_machine.travel(date(2026, 3, 24), tick=False):
        text = client.get(url(version)).content.decode()
    assert '3 years, from <time datetime="2026-03-14">14 Mar 2026</time>' in text
    assert "2026-03-24" not in text


def test_renewing_as_is_says_what_it_invoices_and_the_change_it_replaces(
    client_for, owner, license, catalog, now
):
    """Renewing as is invoices nothing now: the page says what the renewal invoices and
    when, and names the change the customer had scheduled that it replaces."""
    from billing.models import ScheduledChange, ScheduledChangeStatus
    from licensing.models import TierVersionPrice

    renew = sent_version(
        license,
        catalog,
        [
            {
                "seats": 5,
                "term_cycles": 2,
                "billing": "per_cycle",
                "discount_percent": Decimal(10),
                "discount_reason": "loyalty",
                "renew_as_is": True,
            }
        ],
    )
    ScheduledChange.objects.create(
        license=license,
        effective_on=date(2027, 1, 1),
        version=license.version,
        seats=3,
        cycle="annual",
        price=TierVersionPrice.objects.get(
            version=license.version, currency_id="USD", cycle="annual"
        ),
        auto_renew=True,
        summary="Team, 3 seats, annual.",
        status=ScheduledChangeStatus.SCHEDULED,
    )

    text = client_for(owner).get(accept_url(renew, renew.options.get())).content.decode()

    assert (
        'It is invoiced <strong>$855.00</strong> on <time datetime="2027-01-01">1 January 2027'
        "</time>, then the same on the first day of each later year, before tax."
    ) in text
    assert "It replaces the change you had scheduled for" in text
    assert "Team, 3 seats, annual." in text


def test_the_dashboard_names_who_sent_the_proposal(
    client_for, owner, organization, license, catalog, account_manager, now
):
    """"Your account manager" only when the sender is the organization's; otherwise the
    sender by name, never an account manager the page says it does not have."""
    from tests.factories import UserFactory

    account_manager.first_name, account_manager.last_name = "Maya", "Patel"
    account_manager.save()
    colleague = UserFactory(first_name="Sam", last_name="Lee", is_staff=True)
    sent_version(license, catalog, [{"seats": 6}], prepared_by=account_manager)
    page = client_for(owner).get(reverse("organization_detail", args=["northwind"]))
    assert "Your account manager, Maya Patel, sent you proposal" in page.content.decode()

    organization.account_manager = None
    organization.save()
    sent_version(license, catalog, [{"seats": 7}], prepared_by=colleague)
    page = client_for(owner).get(reverse("organization_detail", args=["northwind"])).content
    assert "Your account manager, " not in page.decode()
    assert "Sam Lee of your vendor sent you proposal" in page.decode()
    assert "Maya Patel of your vendor sent you proposal" in page.decode()
