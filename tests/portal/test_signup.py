import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from portal.models import Membership, Organization, OutboundEmail, PendingPlan, Role, User
from tests.helpers.mailbox import link_in, sent_to

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unguessable-passphrase"


def signup_data(**overrides) -> dict:
    return {
        "email": "rosa@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "organization_name": "Rosa Robotics",
        **overrides,
    }


@pytest.fixture
def signed_up(client, django_capture_on_commit_callbacks):
    """A visitor who has just submitted the sign-up form (and not verified yet)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", signup_data())
    return response


def test_it_creates_the_user_the_organization_and_an_owner_membership(signed_up):
    user = User.objects.get(email="rosa@example.com")
    organization = Organization.objects.get(name="Rosa Robotics")
    assert organization.slug == "rosa-robotics"
    membership = Membership.objects.get(user=user)
    assert membership.organization == organization
    assert membership.role == Role.OWNER
    assert user.check_password(NEW_PASSWORD)


def test_it_sends_the_verification_email_through_the_outbox(signed_up):
    queued = OutboundEmail.objects.get(to="rosa@example.com")
    assert queued.sent_at is not None
    [message] = sent_to("rosa@example.com")
    assert message.subject == queued.subject
    assert "/accounts/confirm-email/" in message.body


def test_it_keeps_an_unverified_user_out_of_the_app(client, signed_up):
    assert signed_up.status_code == 302
    assert signed_up["Location"] == "/accounts/confirm-email/"
    assert not EmailAddress.objects.get(email="rosa@example.com").verified

    response = client.get("/app/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_refuses_login_before_the_email_is_verified(
    client, signed_up, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/login/", {"login": "rosa@example.com", "password": NEW_PASSWORD}
        )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session


def test_it_verifies_the_email_and_signs_in_when_the_link_is_confirmed(client, signed_up):
    [message] = sent_to("rosa@example.com")
    link = link_in(message, "/accounts/confirm-email/")

    # Opening the link only shows a confirmation button: mail scanners that follow
    # links must not verify addresses.
    page = client.get(link)
    assert page.status_code == 200
    assert not EmailAddress.objects.get(email="rosa@example.com").verified

    response = client.post(link)
    assert EmailAddress.objects.get(email="rosa@example.com").verified
    assert response.status_code == 302
    home = client.get(response["Location"])
    assert home.status_code == 302
    assert home["Location"] == "/app/rosa-robotics/"
    assert int(client.session["_auth_user_id"]) == User.objects.get(email="rosa@example.com").pk


def test_it_refuses_a_second_account_for_the_same_email(
    client, owner, django_capture_on_commit_callbacks
):
    # Sign-up does not reveal which addresses have accounts (allauth's enumeration
    # prevention): the page answers as for anyone, and the clear message goes to the
    # address itself, whose owner is the only one who should learn it.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", signup_data(email=owner.email.upper()))
    assert response.status_code == 302
    assert User.objects.filter(email__iexact=owner.email).count() == 1
    assert not Organization.objects.filter(name="Rosa Robotics").exists()
    [message] = sent_to(owner.email)
    assert "Account Already Exists" in message.subject
    assert "an account using that email address already exists" in message.body
    assert "/accounts/password/reset/" in message.body
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Name your organization."),
        ("   ", "Name your organization."),
        ("x" * 121, "Ensure this value has at most 120 characters (it has 121)."),
    ],
    ids=["empty", "blank", "too-long"],
)
def test_it_refuses_a_missing_or_too_long_organization_name(client, name, message):
    response = client.post("/accounts/signup/", signup_data(organization_name=name))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert not Organization.objects.exists()
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": ""}, "This field is required."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"password2": "something-else-entirely"}, "You must type the same password each time."),
        ({"password1": "short", "password2": "short"}, "This password is too short."),
    ],
    ids=["no-email", "bad-email", "passwords-differ", "weak-password"],
)
def test_it_refuses_bad_account_details(client, overrides, message):
    response = client.post("/accounts/signup/", signup_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert not Organization.objects.exists()


def test_it_refuses_an_address_too_long_to_store_instead_of_cutting_it(client):
    too_long = "a" * 245 + "@example.com"  # 257 characters; the column keeps 254
    response = client.post("/accounts/signup/", signup_data(email=too_long))
    assert response.status_code == 200
    assert "at most 254 characters (it has 257)" in response.content.decode()
    assert not User.objects.exists()
    assert not Organization.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_it_keeps_an_address_of_254_characters_whole(client):
    longest = "a" * 242 + "@example.com"
    assert client.post("/accounts/signup/", signup_data(email=longest)).status_code == 302
    assert User.objects.get().email == longest


BUY = "/app/buy/?tier=team&cycle=annual&currency=USD"


@pytest.fixture
def signed_up_to_buy(client, catalog, django_capture_on_commit_callbacks):
    signup = client.get(BUY)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(signup, signup_data())
    [message] = sent_to("rosa@example.com")
    return link_in(message, "/accounts/confirm-email/")


def test_a_visitor_who_chose_a_plan_goes_on_to_it_once_verified(client, signed_up_to_buy):
    response = client.post(signed_up_to_buy)
    assert response["Location"] == BUY
    assert (
        client.get(BUY)["Location"]
        == "/app/rosa-robotics/checkout/?tier=team&cycle=annual&currency=USD"
    )


def test_a_link_opened_elsewhere_asks_to_sign_in_then_goes_on_to_the_plan(signed_up_to_buy):
    elsewhere = Client()
    page = elsewhere.get(signed_up_to_buy).content.decode()
    assert 'name="next"' in page  # the confirm form carries it on
    response = elsewhere.post(signed_up_to_buy)
    assert response.status_code == 302
    login = response["Location"]
    assert login.startswith("/accounts/login/")
    signed_in = elsewhere.post(login, {"login": "rosa@example.com", "password": NEW_PASSWORD})
    assert signed_in["Location"] == BUY


def test_the_chosen_plan_is_kept_on_the_account(signed_up_to_buy):
    plan = PendingPlan.objects.get(user__email="rosa@example.com")
    assert plan.query == "tier=team&cycle=annual&currency=USD"
    assert plan.label == "Team, billed yearly, in USD"


def test_the_verification_email_names_the_site_and_the_plan(signed_up_to_buy):
    [message] = sent_to("rosa@example.com")
    assert message.subject == (
        "[Tierwise] Confirm your email address to continue to Team, billed yearly, in USD"
    )
    assert message.body.startswith("Hello from Tierwise,")
    assert "You chose Team, billed yearly, in USD on our pricing page." in message.body
    assert "testserver" not in message.subject
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<strong>Team, billed yearly, in USD</strong>" in html
    assert ">Confirm your email</a>" in html and "/accounts/confirm-email/" in html


def test_verifying_on_another_device_and_signing_in_there_continues_the_purchase(
    signed_up_to_buy,
):
    elsewhere = Client()
    elsewhere.post(signed_up_to_buy.split("?")[0])  # the link without where it was going
    assert EmailAddress.objects.get(email="rosa@example.com").verified
    signed_in = elsewhere.post(
        "/accounts/login/", {"login": "rosa@example.com", "password": NEW_PASSWORD}
    )
    assert signed_in["Location"] == "/app/"
    assert elsewhere.get("/app/")["Location"] == BUY
    assert (
        elsewhere.get(BUY)["Location"]
        == "/app/rosa-robotics/checkout/?tier=team&cycle=annual&currency=USD"
    )
    # Used once: afterwards the dashboard is home again.
    assert not PendingPlan.objects.exists()
    assert elsewhere.get("/app/")["Location"] == "/app/rosa-robotics/"


def test_a_sign_up_without_a_plan_keeps_none_and_its_email_names_the_site(signed_up):
    assert not PendingPlan.objects.exists()
    [message] = sent_to("rosa@example.com")
    assert message.subject == "[Tierwise] Confirm your email address"
    assert "Hello from Tierwise," in message.body and "You chose" not in message.body


def test_a_tier_not_on_sale_is_not_kept(client, catalog, django_capture_on_commit_callbacks):
    signup = client.get("/app/buy/?tier=nonsense&cycle=annual")["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(signup, signup_data())
    assert not PendingPlan.objects.exists()


TRY = "/pricing/try/business/"


@pytest.fixture
def signed_up_to_try(client, catalog, django_capture_on_commit_callbacks):
    """A visitor who followed "Try Business" and signed up (not verified yet): the
    confirmation link."""
    signup = client.get(TRY)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(signup, signup_data())
    [message] = sent_to("rosa@example.com")
    return link_in(message, "/accounts/confirm-email/")


def test_the_sign_up_page_from_a_try_link_names_the_tiers_trial(client, catalog):
    page = client.get(client.get(TRY)["Location"]).content.decode()
    assert "<title>Sign up for a 14-day trial of Business" in page
    assert "You are signing up for <strong>a 14-day trial of Business</strong>" in page
    assert "no payment details asked" in page
    # From "Choose" instead, the plan to buy and its checkout.
    page = client.get(client.get(BUY)["Location"]).content.decode()
    assert "You chose <strong>Team, billed yearly, in USD</strong>" in page
    assert "trial" not in page.split('id="chosen-plan"')[1].split("</div>")[0]


def test_a_visitor_who_chose_a_trial_lands_on_its_start_page_once_verified(
    client, signed_up_to_try
):
    response = client.post(signed_up_to_try)
    assert response["Location"] == TRY
    assert client.get(TRY)["Location"] == "/app/rosa-robotics/trials/start/business/"
    assert not PendingPlan.objects.exists()  # used up


def test_the_chosen_trial_is_kept_on_the_account_and_named_in_the_email(signed_up_to_try):
    plan = PendingPlan.objects.get(user__email="rosa@example.com")
    assert (plan.kind, plan.label) == ("trial", "a 14-day trial of Business")
    assert plan.get_absolute_url() == TRY
    [message] = sent_to("rosa@example.com")
    assert message.subject == (
        "[Tierwise] Confirm your email address to start a 14-day trial of Business"
    )
    assert "takes you on to the page that starts it" in message.body
    assert "checkout" not in message.body
    [(html, _)] = message.alternatives
    assert "<strong>a 14-day trial of Business</strong>" in html


def test_verifying_elsewhere_and_signing_in_there_continues_to_the_trial(signed_up_to_try):
    elsewhere = Client()
    elsewhere.post(signed_up_to_try.split("?")[0])
    elsewhere.post("/accounts/login/", {"login": "rosa@example.com", "password": NEW_PASSWORD})
    assert elsewhere.get("/app/")["Location"] == TRY
    assert elsewhere.get(TRY)["Location"] == "/app/rosa-robotics/trials/start/business/"
    assert elsewhere.get("/app/")["Location"] == "/app/rosa-robotics/"
