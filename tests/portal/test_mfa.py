import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def totp_code(secret: str) -> str:
    """What an authenticator app shows right now for this secret."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def activate_totp(client, sign_in):
    """activate_totp(user) signs in and turns on TOTP through the pages; returns the
    secret the authenticator app was given and the response to the activation."""

    def activate(user):
        sign_in(user)
        # Turning on MFA is a sensitive change: allauth asks for the password again.
        response = client.get("/accounts/2fa/totp/activate/")
        assert response["Location"].startswith("/accounts/reauthenticate/")
        client.post(response["Location"], {"password": PASSWORD})
        page = client.get("/accounts/2fa/totp/activate/")
        assert page.status_code == 200
        secret = client.session[SECRET_SESSION_KEY]
        assert secret in page.content.decode()  # shown for typing into the app by hand
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
        return secret, response

    return activate


def test_it_activates_totp_and_generates_recovery_codes(client, owner, activate_totp):
    _, response = activate_totp(owner)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists()
    recovery = Authenticator.objects.get(user=owner, type=Authenticator.Type.RECOVERY_CODES)
    codes = RecoveryCodes(recovery).get_unused_codes()
    assert len(codes) == 10

    page = client.get("/accounts/2fa/recovery-codes/").content.decode()
    assert all(code in page for code in codes)


def test_it_refuses_a_wrong_activation_code(client, owner, sign_in):
    sign_in(owner)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session[SECRET_SESSION_KEY]
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06}"
    response = client.post("/accounts/2fa/totp/activate/", {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not Authenticator.objects.filter(user=owner).exists()


def test_it_asks_for_the_second_factor_at_login(client, owner, sign_in, activate_totp):
    secret, _ = activate_totp(owner)
    client.post("/accounts/logout/")

    response = sign_in(owner)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.get("/app/")["Location"].startswith("/accounts/login/")

    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/app/"
    assert int(client.session["_auth_user_id"]) == owner.pk


def test_it_accepts_a_recovery_code_once(client, owner, sign_in):
    TOTP.activate(owner, generate_totp_secret())
    recovery = RecoveryCodes.activate(owner)
    code = recovery.get_unused_codes()[0]

    sign_in(owner)
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == owner.pk

    client.post("/accounts/logout/")
    sign_in(owner)
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_lists_two_factor_methods_on_the_mfa_page(client, owner, sign_in):
    sign_in(owner)
    page = client.get("/accounts/2fa/")
    assert page.status_code == 200
    assert "/accounts/2fa/totp/activate/" in page.content.decode()
