"""The checkout: its preview page for a signed-in owner against a minimal Django view
(same server, same session cookie, same run, alternating), then the invoice PDF against
a one-page WeasyPrint baseline (bench/invoice_pdf.py, in this process).

Its own PostgreSQL database (tierwise_bench_checkout, dropped afterwards), Redis
database 7 as the cache, the whole demo, gunicorn on loopback and wrk. The page is a
preview of Northwind Analytics adding seats and moving to Business: it quotes the change
(proration, tax, credit), compares the tiers and records the preview, as a customer's
browser makes it do.

    .venv/bin/python bench/checkout.py [--workers 2] [--connections 8] [--seconds 10]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379,
or BENCH_DATABASE_ADMIN_URL / BENCH_REDIS_URL pointing elsewhere on loopback.
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Load, add_arguments, compare, gunicorn, prepared_site

DATABASE = "tierwise_bench_checkout"
OWNER = "olivia@northwind.test"
SLUG = "northwind-analytics"
QUERY = "tier=business&seats=14&cycle=monthly&auto_renew=on&submitted=1"

# Prints the session cookie's name and value for the demo owner, and the path of a
# started checkout of her organization's license.
SETUP = f"""
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from billing.checkout.services import checkout_start
from licensing.licenses.services import licenses_open
from portal.models import Membership
membership = Membership.objects.select_related("user", "organization").get(
    user__email="{OWNER}", organization__slug="{SLUG}"
)
user = membership.user
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
license = licenses_open(membership.organization)[0]
checkout = checkout_start(organization=membership.organization, license=license, user=user)
print(settings.SESSION_COOKIE_NAME, session.session_key)
print(f"/app/{SLUG}/checkout/{{checkout.token}}/")
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, connections=8)
    parser.add_argument("--pdf-runs", type=int, default=20)
    args = parser.parse_args(argv)
    with prepared_site(DATABASE) as site:
        site.env["DEBUG"] = "true"  # only for the setup: a throwaway signing key in var/
        site.manage("demo")
        cookie_line, path = site.manage("shell", "-c", SETUP, capture=True).splitlines()[-2:]
        site.env["DEBUG"] = "false"
        cookie_name, session_key = cookie_line.split()
        headers = (("Cookie", f"{cookie_name}={session_key}"), ("Accept-Language", "en-US"))
        page_url = f"{path}?{QUERY}"
        with gunicorn(site, args.workers):
            request = urllib.request.Request(site.url(page_url), headers=dict(headers))
            page = urllib.request.urlopen(request).read()
            if b"Due now" not in page:
                sys.exit("The checkout page did not render a preview for the demo owner.")
            print(
                f"gunicorn: {args.workers} sync workers; wrk: 1 thread, {args.connections} "
                f"connections, {args.seconds} s per URL and run; page {len(page):,} bytes",
                flush=True,
            )
            compare(
                site,
                Load("/bench/minimal/", headers=headers),
                Load(page_url, headers=headers),
                connections=args.connections,
                seconds=args.seconds,
                runs=args.runs,
                what="checkout preview / minimal throughput",
            )
    print("\n-- invoice PDF against a one-page baseline --", flush=True)
    from bench import invoice_pdf

    invoice_pdf.main(["--runs", str(args.pdf_runs)])


if __name__ == "__main__":
    main()
