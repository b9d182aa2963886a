from unittest import mock

import pytest
from django.db import OperationalError


@pytest.mark.django_db
def test_it_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True


@pytest.mark.django_db
def test_it_returns_503_when_the_database_is_down(client):
    with mock.patch("portal.views.site.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "detail": "OperationalError"}


@pytest.mark.django_db
def test_it_returns_503_when_the_broker_is_down(client, settings):
    with mock.patch(
        "portal.views.site.celery_app.connection_for_write", side_effect=OSError("refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False


@pytest.mark.django_db
def test_it_reports_the_cache(client):
    assert client.get("/healthz").json()["cache"] == {"ok": True, "detail": "LocMemCache"}
