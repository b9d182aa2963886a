"""A DEBUG run (make run's default) answers refused requests the way production does:
Django's technical pages, which replace the error handlers when DEBUG is on, must not
turn the API's JSON errors into HTML."""

import logging

import pytest


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing", "/api/", "/api", "/api/v2/licenses", "/api/v1/", "/api/v1"]
)
@pytest.mark.parametrize("token", [None, "tw_abcdefgh_secret"], ids=["anonymous", "token"])
def test_an_unknown_api_route_is_json_with_debug_on(client, debug, path, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get(path, headers=headers)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No such endpoint. See /api/v1/docs."}


@pytest.mark.parametrize(
    ("path", "json"), [("/api/v1/licenses/%00", True), ("/invitations/%00/", False)]
)
def test_a_nul_byte_is_the_same_400_with_debug_on(client, debug, db, path, json):
    response = client.get(path)
    assert response.status_code == 400
    if json:
        assert response.json() == {
            "code": "bad_request",
            "detail": "The address contains a NUL character.",
        }
    else:
        assert "The address contains a NUL character." in response.content.decode()
        assert "Traceback" not in response.content.decode()


def test_django_logs_each_line_once():
    django = logging.getLogger("django")
    assert django.propagate is False
    # Ours; pytest adds its capturing handlers beside it.
    assert [type(h) for h in django.handlers if type(h) is logging.StreamHandler] == [
        logging.StreamHandler
    ]
