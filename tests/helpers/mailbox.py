"""Reading the emails a test caused."""

import re

from django.core import mail


def link_in(message, path_prefix: str) -> str:
    """The first link in an email whose path starts with path_prefix, as a path."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}[^\s\"'<>]*)", message.body)
    assert match, f"No {path_prefix} link in:\n{message.body}"
    return match.group(1)


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]
