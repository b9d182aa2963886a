"""Who is calling: the client address behind the load balancer."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The caller's address. Behind ALLAUTH_TRUSTED_PROXY_COUNT proxies (TRUSTED_PROXY_COUNT
    in the environment) it is the entry the outermost trusted proxy appended to
    X-Forwarded-For; entries before it are the client's own say and are ignored, and a
    header too short to hold it did not come through the proxies, so REMOTE_ADDR counts.
    With no trusted proxies the header is ignored, so it cannot be spoofed."""
    count = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
    if count > 0 and len(forwarded) >= count and forwarded[-count]:
        return forwarded[-count][:64]
    return request.META.get("REMOTE_ADDR", "")
