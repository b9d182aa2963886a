import pytest
from allauth.account.models import EmailAddress

from portal.models import OutboundEmail
from tests.factories import PASSWORD
from tests.helpers.mailbox import link_in, sent_to

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts. Try again later."


def test_it_signs_in_with_email_and_password(client, owner, sign_in):
    response = sign_in(owner)
    assert response.status_code == 302
    assert response["Location"] == "/app/"
    assert int(client.session["_auth_user_id"]) == owner.pk


def test_it_refuses_a_wrong_password_with_a_clear_message(client, owner, sign_in):
    response = sign_in(owner, password="not-the-password")
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_it_locks_an_address_after_five_failed_logins(client, owner, teammate, sign_in):
    for _ in range(5):
        assert TOO_MANY not in sign_in(owner, password="guess").content.decode()

    response = sign_in(owner)  # the right password, too late
    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in client.session

    # The lock is per address: a colleague on the same network still signs in.
    response = sign_in(teammate)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == teammate.pk


def test_it_signs_out(client, owner, sign_in):
    sign_in(owner)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session
    assert client.get("/app/")["Location"].startswith("/accounts/login/")


def test_it_resets_a_forgotten_password_by_email(
    client, owner, sign_in, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": owner.email})
    assert response.status_code == 302
    assert OutboundEmail.objects.filter(to=owner.email, sent_at__isnull=False).exists()
    [message] = sent_to(owner.email)
    link = link_in(message, "/accounts/password/reset/key/")

    # allauth moves the key out of the URL into the session before showing the form.
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_password_url,
        {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/key/done/"

    owner.refresh_from_db()
    assert owner.check_password("a-brand-new-passphrase")
    assert sign_in(owner, password=PASSWORD).status_code == 200  # the old one is gone
    assert sign_in(owner, password="a-brand-new-passphrase").status_code == 302


def test_it_refuses_a_used_password_reset_link(client, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": owner.email})
    link = link_in(sent_to(owner.email)[0], "/accounts/password/reset/key/")
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(
        set_password_url,
        {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"},
    )

    response = client.get(link, follow=True)
    assert "Bad Token" in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password("a-brand-new-passphrase")


def test_it_changes_the_email_address_after_verifying_the_new_one(
    client, owner, sign_in, django_capture_on_commit_callbacks
):
    old_email = owner.email
    sign_in(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/email/", {"action_add": "", "email": "new.address@example.com"}
        )
    assert response.status_code == 302
    new = EmailAddress.objects.get(email="new.address@example.com")
    assert new.user == owner
    assert not new.verified
    owner.refresh_from_db()
    assert owner.email == old_email  # unchanged until the new address is confirmed

    link = link_in(sent_to("new.address@example.com")[0], "/accounts/confirm-email/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link)

    owner.refresh_from_db()
    assert owner.email == "new.address@example.com"
    assert list(EmailAddress.objects.filter(user=owner).values_list("email", "verified")) == [
        ("new.address@example.com", True)
    ]
    client.post("/accounts/logout/")
    response = client.post(
        "/accounts/login/", {"login": "new.address@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == owner.pk


def test_it_never_hands_over_an_address_that_belongs_to_someone_else(
    client, owner, teammate, sign_in, django_capture_on_commit_callbacks
):
    # allauth does not reveal that the address is taken; the confirmation goes to the
    # address's real owner, and even following it does not move the address.
    sign_in(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/email/", {"action_add": "", "email": teammate.email})
    link = link_in(sent_to(teammate.email)[0], "/accounts/confirm-email/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link)

    owner.refresh_from_db()
    teammate.refresh_from_db()
    assert owner.email != teammate.email
    assert not EmailAddress.objects.filter(user=owner, email=teammate.email, verified=True).exists()
    assert EmailAddress.objects.get(user=teammate, email=teammate.email).verified


TOO_LONG = "a" * 245 + "@example.com"  # 257 characters; every email column keeps 254


@pytest.mark.parametrize(
    "path, data",
    [
        ("/accounts/password/reset/", {"email": TOO_LONG}),
        ("/accounts/email/", {"action_add": "", "email": TOO_LONG}),
        ("/accounts/login/code/", {"email": TOO_LONG}),
    ],
    ids=["password reset", "add an address", "sign-in code"],
)
def test_it_refuses_an_address_too_long_to_store(client, owner, path, data):
    client.force_login(owner)
    if path != "/accounts/email/":
        client.logout()
    response = client.post(path, data)
    assert response.status_code == 200
    assert "at most 254 characters (it has 257)" in response.content.decode()
    assert not OutboundEmail.objects.exists()
    assert not EmailAddress.objects.filter(email=TOO_LONG).exists()
