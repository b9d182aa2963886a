"""Login limits behind the load balancer, and the ways in that password guessing cannot
close. Every request comes from the balancer's address (REMOTE_ADDR); the client's own
address is in X-Forwarded-For, which only a trusted proxy count makes us believe."""

import re

import pytest
from django.core import mail

from tests.factories import PASSWORD
from tests.helpers.mailbox import link_in, sent_to

pytestmark = pytest.mark.django_db

BALANCER = "10.0.0.2"
TOO_MANY = "Too many failed login attempts"


@pytest.fixture
def behind_one_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def _login(client, email, password, *, forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(
        "/accounts/login/",
        {"login": email, "password": password},
        headers=headers,
        REMOTE_ADDR=BALANCER,
    )


def _guess_ten_times(client, *, forwarded_for=None):
    # Ten addresses that have no account, so the per-account limit stays out of it.
    for n in range(10):
        response = _login(client, f"guess{n}@example.com", "wrong", forwarded_for=forwarded_for)
        assert response.status_code == 200 and TOO_MANY not in response.content.decode()
    blocked = _login(client, "guess10@example.com", "wrong", forwarded_for=forwarded_for)
    assert TOO_MANY in blocked.content.decode()


def test_it_blocks_one_client_behind_the_proxy_and_not_the_next(client, owner, behind_one_proxy):
    _guess_ten_times(client, forwarded_for="203.0.113.7")

    response = _login(client, owner.email, PASSWORD, forwarded_for="198.51.100.20")
    assert response.status_code == 302
    assert response["Location"] == "/app/"


def test_it_believes_only_the_address_the_trusted_proxy_added(client, owner, behind_one_proxy):
    # The client writes an address of its own first; the balancer appends the real one.
    _guess_ten_times(client, forwarded_for="198.51.100.20, 203.0.113.7")

    response = _login(client, owner.email, PASSWORD, forwarded_for="198.51.100.20, 203.0.113.7")
    assert TOO_MANY in response.content.decode()


def test_it_ignores_the_header_without_a_trusted_proxy(client, owner):
    _guess_ten_times(client, forwarded_for="203.0.113.7")

    # Another address in the header changes nothing: anyone can write it.
    response = _login(client, owner.email, PASSWORD, forwarded_for="198.51.100.20")
    assert TOO_MANY in response.content.decode()


def test_it_answers_a_header_shorter_than_the_proxy_count(client, owner, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    response = _login(client, owner.email, PASSWORD, forwarded_for="203.0.113.7")
    assert response.status_code == 302


@pytest.fixture
def locked_out(client, owner):
    """Someone guessed the owner's password five times: the password is closed to them."""
    for n in range(5):
        _login(client, owner.email, f"guess-{n}", forwarded_for=f"203.0.113.{n}")
    response = _login(client, owner.email, PASSWORD)
    assert TOO_MANY in response.content.decode()
    return owner


def test_it_offers_a_sign_in_code_on_the_login_page(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/login/code/"' in page
    assert "Send me a sign-in code" in page

    page = client.get("/accounts/login/code/").content.decode()
    assert "entrance__card" in page  # the site's own sign-in card, not allauth's bare page
    assert 'name="email"' in page


def _email_for(client, path: str, user, capture):
    """Post the user's address to path and return the one email it sends them."""
    mail.outbox.clear()
    with capture(execute=True):
        response = client.post(path, {"email": user.email})
    assert response.status_code == 302
    [message] = sent_to(user.email)
    return message


def test_it_signs_a_locked_out_person_in_by_emailed_code(
    client, locked_out, django_capture_on_commit_callbacks
):
    message = _email_for(
        client, "/accounts/login/code/", locked_out, django_capture_on_commit_callbacks
    )
    code = re.search(r"^\s*([A-Z]{4}-[A-Z]{4})\s*$", message.body, re.MULTILINE).group(1)
    response = client.post("/accounts/login/code/confirm/", {"code": code})

    assert response.status_code == 302
    assert response["Location"] == "/app/"
    assert client.get("/app/").wsgi_request.user == locked_out


def test_it_refuses_a_wrong_sign_in_code(client, owner, django_capture_on_commit_callbacks):
    _email_for(client, "/accounts/login/code/", owner, django_capture_on_commit_callbacks)
    response = client.post("/accounts/login/code/confirm/", {"code": "AAAAAA"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_it_lets_a_locked_out_person_reset_their_password(
    client, locked_out, django_capture_on_commit_callbacks
):
    message = _email_for(
        client, "/accounts/password/reset/", locked_out, django_capture_on_commit_callbacks
    )
    link = link_in(message, "/accounts/password/reset/key/")
    form_url = client.get(link)["Location"]
    new_password = "a-brand-new-passphrase"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response["Location"] == "/accounts/password/reset/key/done/"

    # A completed reset also lifts the lock on the password.
    assert _login(client, locked_out.email, new_password).status_code == 302
