"""A refused request is one line in the log; a crash keeps its traceback."""

import logging

import pytest
from django.core.exceptions import BadRequest
from django.test import Client
from django.urls import path


def _crash(request):
    raise RuntimeError("Something broke.")


def _bad(request):
    raise BadRequest("That is not a request this page understands.")


urlpatterns = [path("crash/", _crash), path("bad/", _bad)]


def _request_log(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def test_it_logs_a_403_in_one_line_without_a_traceback(client_for, owner, caplog):
    # A customer opening the account managers' page is refused with PermissionDenied.
    with caplog.at_level(logging.INFO):
        response = client_for(owner).get("/manage/")

    assert response.status_code == 403
    [record] = _request_log(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "Forbidden (Permission denied): /manage/"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


@pytest.mark.urls(__name__)
def test_it_keeps_the_traceback_of_a_500(db, caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.INFO):
        response = client.get("/crash/")

    assert response.status_code == 500
    [record] = _request_log(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert "RuntimeError: Something broke." in caplog.text


@pytest.mark.urls(__name__)
def test_it_logs_a_bad_request_in_one_line(db, client, caplog):
    with caplog.at_level(logging.INFO):
        assert client.get("/bad/").status_code == 400
    [record] = _request_log(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
