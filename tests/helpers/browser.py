"""Waiting for a page in a browser test."""

from playwright.sync_api import expect


def wait_until_ready(page) -> None:
    """Waits until htmx has taken over the page: static/js/tierwise.js marks <html
    data-ready> once htmx has processed it. Call it once the new page's content shows
    (a heading, its URL): the page a click leaves was ready too."""
    expect(page.locator("html[data-ready]")).to_be_attached()
