"""The one place that talks to WeasyPrint: HTML in, PDF bytes out.

Documents are rendered from templates/pdf/ with their fonts and stylesheets from the
project's static folder. Only files there are fetched: a PDF never reaches the network
(no tracking pixel, no slow CDN, the same bytes offline).

WeasyPrint is imported on the first render, not with this module: importing it (Pango
through cffi, which looks for its libraries with subprocesses, and fontTools) was about
a third of the CPU a process spends starting Django (1.3 s against 0.9 s without it), and
every process imports this module through the admin and the tasks (each web worker, the
Celery worker and beat, every manage.py command), while only a render needs it."""

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string

STATIC_DIR = Path(settings.BASE_DIR) / "static"


def _static_only(url: str, *args, **kwargs) -> dict:
    from weasyprint.urls import URLFetchingError, default_url_fetcher

    # The path is resolved before it is checked: `static/../../etc/passwd` (or its
    # percent-encoded dots, or a symlink out) starts with the static folder's URL too.
    parts = urlsplit(url)
    path = Path(url2pathname(parts.path)).resolve() if parts.scheme == "file" else None
    if path is None or parts.netloc or not path.is_relative_to(STATIC_DIR.resolve()):
        raise URLFetchingError(f"PDFs fetch only the project's static files, not {url}.")
    return default_url_fetcher(path.as_uri(), *args, **kwargs)


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML document whose relative URLs point into the static folder."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=_static_only)
    return document.write_pdf()


def render_pdf(template: str, context: dict) -> bytes:
    """The PDF of `template` rendered with `context`; `{{ static_base }}` in the template
    is the static folder, for fonts and print CSS."""
    return html_to_pdf(
        render_to_string(template, {**context, "static_base": STATIC_DIR.as_uri() + "/"})
    )
