"""`manage.py localstripe`: localstripe, the fake Stripe server, for `make run` (the
Procfile.dev starts it beside the web server): it serves the Stripe API and its fake
Stripe.js at settings.STRIPE_API_BASE and sends its webhooks to this site's endpoint,
signed with settings.STRIPE_WEBHOOK_SECRET, as Stripe would. A development tool only:
it refuses to run without DEBUG.

When a localstripe already answers on the port (another `make run`, or the one `.ci/run`
leaves running), it registers this site's webhook with that one and waits there instead
of failing, so honcho does not stop the site with it."""

from __future__ import annotations

import errno
import json
import logging
import pickle
import signal
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from billing.cards.services import HANDLED_EVENTS


class Command(BaseCommand):
    help = "Run localstripe (a fake Stripe) with its webhooks sent to this site."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=None, help="default: STRIPE_API_BASE's")
        parser.add_argument(
            "--from-scratch", action="store_true", help="forget what an earlier run stored"
        )

    def handle(self, *args, host, port, from_scratch, **options):
        if not settings.DEBUG:
            raise CommandError("localstripe is a fake Stripe for development: it needs DEBUG.")
        # Imported here: the site itself never needs the fake server.
        from aiohttp import web
        from localstripe.resources import store
        from localstripe.server import app
        from localstripe.webhooks import register_webhook

        port = port or urlsplit(settings.STRIPE_API_BASE).port or 8420
        if not from_scratch:
            try:
                store.try_load_from_disk()
            except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
                # localstripe rewrites /tmp/localstripe.pickle on every change, so a run
                # stopped mid-write leaves it cut short: start afresh rather than not at all.
                self.stderr.write(
                    f"localstripe's saved state is unreadable ({exc}); starting from scratch."
                )
                store.clear()
        webhook_url = settings.SITE_URL + reverse("stripe_webhook")
        secret = settings.STRIPE_WEBHOOK_SECRET
        register_webhook("tierwise", webhook_url, secret, list(HANDLED_EVENTS))
        self.stdout.write(f"localstripe on http://{host}:{port}, webhooks to {webhook_url}")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            sock.close()
            self._use_the_running_one(host, port, webhook_url, secret)
            return
        access = logging.getLogger("aiohttp.access")
        access.setLevel(logging.INFO)
        web.run_app(app, sock=sock, access_log=access, print=None)

    def _use_the_running_one(self, host: str, port: int, webhook_url: str, secret: str):
        """Register the webhook with the localstripe already on `port` and wait until
        stopped; refuse if what holds the port is not a localstripe."""
        base = f"http://{host}:{port}"
        try:
            with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=5):
                pass
            request = urllib.request.Request(
                f"{base}/_config/webhooks/tierwise",
                data=json.dumps(
                    {"url": webhook_url, "secret": secret, "events": list(HANDLED_EVENTS)}
                ).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=5):
                pass
        except (urllib.error.URLError, OSError) as exc:
            raise CommandError(
                f"Port {port} is taken by something that is not localstripe ({exc}): stop it, "
                "or point STRIPE_API_BASE at another port."
            ) from exc
        self.stdout.write(
            f"localstripe already runs on {base}: using it, webhooks to {webhook_url}"
        )
        signal.pause()  # until honcho stops the site (SIGTERM ends the process)
