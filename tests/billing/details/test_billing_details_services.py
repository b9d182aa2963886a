"""The customer's billing details: checked (the tax ID against its country), kept
normalized, each change in the history with who made it; snapshotted by each invoice."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from billing.details.services import billing_details_update, tax_override_set
from billing.models import BillingDetails, FinalizedDocumentError, TaxRate
from billing.tax.selectors import tax_decision_for
from billing.tax.seller import demo_seller_check, seller
from portal.models import OutboundEmail
from tests.helpers.invoices import finalized_invoice

pytestmark = pytest.mark.django_db

GERMAN = {
    "legal_name": "Globex Health GmbH",
    "address_line1": "Friedrichstraße 68",
    "city": "Berlin",
    "postal_code": "10117",
    "country": "DE",
    "tax_id": "de 136 695 976",
    "billing_emails": ["rechnungen@globex.test", " ", "Rechnungen@globex.test"],
    "po_number": "4500012345",
}


def test_it_saves_the_details_normalized_with_who_changed_them(organization, owner):
    details = billing_details_update(organization=organization, actor=owner, **GERMAN)

    details.refresh_from_db()
    assert details.tax_id == "DE136695976"
    assert details.billing_emails == ["rechnungen@globex.test"]
    assert details.address_lines == ["Friedrichstraße 68", "10117 Berlin"]
    assert details.is_complete
    newest = details.history.first()
    assert (newest.history_user, newest.legal_name) == (owner, "Globex Health GmbH")


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"tax_id": "DE136695977"}, "tax_id", "not a valid German VAT number (USt-IdNr.)"),
        ({"tax_id": "FR40303265045"}, "tax_id", "another country"),
        ({"country": "XX"}, "country", "Choose the country"),
        ({"legal_name": " "}, "legal_name", "name your invoices are made out to"),
        ({"city": ""}, "city", "Enter the city"),
        ({"billing_emails": ["not an address"]}, "billing_emails", "not an email address"),
        ({"billing_emails": [f"a{n}@x.test" for n in range(6)]}, "billing_emails", "At most 5"),
    ],
)
def test_it_refuses_bad_details_by_field_and_writes_nothing(
    organization, owner, change, field, says
):
    with pytest.raises(ValidationError) as refused:
        billing_details_update(organization=organization, actor=owner, **{**GERMAN, **change})

    assert says in " ".join(refused.value.message_dict[field])
    assert not BillingDetails.objects.filter(organization=organization, legal_name__gt="").exists()


def test_each_invoice_snapshots_the_buyer_and_a_later_change_leaves_it(organization, owner):
    billing_details_update(organization=organization, actor=owner, **GERMAN)
    invoice = finalized_invoice(organization, today=date(2026, 3, 14))

    billing_details_update(
        organization=organization, actor=owner, **{**GERMAN, "legal_name": "Globex AG"}
    )

    invoice.refresh_from_db()
    assert invoice.billed_to_name == "Globex Health GmbH"
    assert invoice.billed_to_address == "Friedrichstraße 68\n10117 Berlin"
    assert (invoice.billed_to_country, invoice.tax_id, invoice.po_number) == (
        "DE",
        "DE136695976",
        "4500012345",
    )
    assert invoice.tax_treatment == "reverse_charge" and invoice.tax == 0
    assert "Article 196" in invoice.tax_note
    assert invoice.seller["legal_name"] == "Tierwise Demo Ltd"


def test_a_consumer_elsewhere_in_the_union_pays_the_rate_of_their_country_in_force(
    organization, owner
):
    TaxRate.objects.create(country="DE", rate=Decimal("16"), effective_from=date(2020, 7, 1))
    TaxRate.objects.create(country="DE", rate=Decimal("19"), effective_from=date(2021, 1, 1))
    TaxRate.objects.create(country="DE", rate=Decimal("21"), effective_from=date(2027, 1, 1))
    billing_details_update(organization=organization, actor=owner, **{**GERMAN, "tax_id": ""})

    assert tax_decision_for(organization_id=organization.pk, on=date(2020, 12, 31)).rate == 16
    invoice = finalized_invoice(organization, today=date(2026, 3, 14))

    assert (invoice.tax_treatment, invoice.tax_rate) == ("union_consumer", Decimal("19.00"))


def test_the_override_replaces_the_rule_with_its_reason_on_record(organization, owner, admin_user):
    billing_details_update(organization=organization, actor=owner, **GERMAN)
    with pytest.raises(ValidationError, match="Say why"):
        tax_override_set(organization=organization, actor=admin_user, rate="7", reason=" ")

    tax_override_set(organization=organization, actor=admin_user, rate="7", reason="Ruling 12")
    invoice = finalized_invoice(organization, today=date(2026, 3, 14))

    assert (invoice.tax_treatment, invoice.tax_rate, invoice.tax_note) == (
        "override",
        Decimal("7.00"),
        "",
    )
    newest = BillingDetails.objects.get(organization=organization).history.first()
    assert newest.history_user == admin_user and newest.tax_override_reason == "Ruling 12"


def test_a_rate_in_force_is_never_rewritten(db, now):
    in_force = TaxRate.objects.create(
        country="IE", rate=Decimal("23"), effective_from=date(2024, 1, 1)
    )
    later = TaxRate.objects.create(
        country="IE", rate=Decimal("24"), effective_from=date(2027, 1, 1)
    )

    in_force.rate = Decimal("22")
    with pytest.raises(FinalizedDocumentError, match="in force"):
        in_force.save()
    with pytest.raises(FinalizedDocumentError):
        in_force.delete()
    later.rate = Decimal("23.5")
    later.save()  # not in force yet: may be corrected
    assert TaxRate.objects.get(pk=in_force.pk).rate == Decimal("23")


def test_a_seller_outside_its_own_tax_union_is_a_configuration_error(settings):
    settings.TIERWISE_SELLER = {**settings.TIERWISE_SELLER, "country": "GB"}
    with pytest.raises(ImproperlyConfigured, match="not in TAX_UNION"):
        seller()


def test_the_deploy_check_warns_while_the_demo_seller_is_in_use(settings):
    assert [warning.id for warning in demo_seller_check(None)] == ["billing.W002"]
    settings.TIERWISE_SELLER = {**settings.TIERWISE_SELLER, "tax_id": "IE8D79739I"}
    assert demo_seller_check(None) == []


def test_each_new_billing_address_is_told_who_added_it(organization, owner):
    billing_details_update(organization=organization, actor=owner, **GERMAN)
    billing_details_update(
        organization=organization,
        actor=owner,
        **{**GERMAN, "billing_emails": ["RECHNUNGEN@globex.test", "ap@globex.test"]},
    )

    # One notice per address, when it is added: not again when the details are saved.
    notices = OutboundEmail.objects.filter(subject__contains="added you as a billing address")
    assert sorted(notices.values_list("to", flat=True)) == [
        "ap@globex.test",
        "rechnungen@globex.test",
    ]
    notice = notices.get(to="ap@globex.test")
    assert notice.subject == (
        f"{owner.display_name} added you as a billing address of {organization.name} on Tierwise"
    )
    assert "you will receive its invoices" in notice.body_text
    assert f"If this is a mistake, tell {organization.name}'s owners" in notice.body_text
    assert owner.display_name in notice.body_html and "<html" in notice.body_html
    # Who added it stays in the history.
    added = BillingDetails.objects.get(organization=organization).history.first()
    assert (added.history_user, added.billing_emails) == (
        owner,
        ["RECHNUNGEN@globex.test", "ap@globex.test"],
    )


def test_a_refused_save_tells_no_address(organization, owner):
    with pytest.raises(ValidationError):
        billing_details_update(
            organization=organization,
            actor=owner,
            **{**GERMAN, "tax_id": "DE136695977", "billing_emails": ["ap@globex.test"]},
        )

    assert not OutboundEmail.objects.exists()
