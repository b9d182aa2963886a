"""A PDF fetches only the project's static files: a path that climbs out of the static
folder is refused however it is spelled."""

import logging

import pytest

from billing.pdf import STATIC_DIR, html_to_pdf

REFUSED = "PDFs fetch only the project's static files"


def fetched(caplog, src: str) -> bool:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = html_to_pdf(f'<p>x</p><img src="{src}" alt="">')
    assert pdf.startswith(b"%PDF-")
    return REFUSED not in caplog.text


def test_it_fetches_a_file_in_the_static_folder(caplog):
    assert fetched(caplog, "images/favicon.svg")
    assert fetched(caplog, (STATIC_DIR / "images" / "favicon.svg").as_uri())


@pytest.mark.parametrize(
    "src",
    [
        "../pyproject.toml",
        "images/../../pyproject.toml",
        "images/%2e%2e/%2e%2e/pyproject.toml",
        (STATIC_DIR / ".." / "pyproject.toml").as_uri(),
        (STATIC_DIR.parent / "pyproject.toml").as_uri(),
        "file://elsewhere" + (STATIC_DIR / "images" / "favicon.svg").as_posix(),
        "http://127.0.0.1:9/pixel.png",
    ],
    ids=[
        "parent",
        "climbing-back",
        "percent-encoded-dots",
        "dots-in-url",
        "absolute",
        "host",
        "network",
    ],
)
def test_it_refuses_anything_outside_it(caplog, src):
    assert not fetched(caplog, src)
