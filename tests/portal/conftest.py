import pytest

from tests.factories import PASSWORD


@pytest.fixture
def sign_in(client):
    """sign_in(user) signs in through allauth's login form, so allauth records the
    authentication (MFA activation asks for a recent one)."""

    def post(user, password=PASSWORD):
        return client.post("/accounts/login/", {"login": user.email, "password": password})

    return post
