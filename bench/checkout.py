"""The checkout: its preview page for a signed-in owner against a minimal Django view
(same server, same session cookie, same run, alternating), then the htmx fragment that
redraws as the customer types (HX-Request: true) against the same view, then the invoice
PDF against a one-page WeasyPrint baseline (bench/invoice_pdf.py, in this process).

Its own PostgreSQL database (tierwise_bench_checkout, dropped afterwards), Redis
database 7 as the cache, the whole demo, gunicorn on loopback and wrk. The page is a
preview of Northwind Analytics adding seats and moving to Business: it quotes the change
(proration, tax, credit), compares the tiers and records the preview, as a customer's
browser makes it do.

    .venv/bin/python bench/checkout.py [--workers 2] [--connections 8] [--seconds 10]
    .venv/bin/python bench/checkout.py --no-pdf       # the page and the fragment only
    .venv/bin/python bench/checkout.py --profile 100  # cProfile in one process, no wrk

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379,
or BENCH_DATABASE_ADMIN_URL / BENCH_REDIS_URL pointing elsewhere on loopback
(BENCH_DATABASE and BENCH_PORT: another database name and port).
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Load, Site, add_arguments, compare, gunicorn, prepared_site

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


# Run in the server's settings (DEBUG off) by `--profile`: the page and the fragment through
# Django's handler in one process, after a warm-up; their SQL queries, then cProfile's
# top lines over the requests.
PROFILE = """
import cProfile, io, os, pstats, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
name, key, url, count, hx = os.environ["BENCH_PROFILE"].split()
client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en-US")
client.cookies[name] = key
extra = {{"HTTP_HX_REQUEST": "true"}} if hx == "1" else {{}}
for _ in range(20):
    assert client.get(url, **extra).status_code == 200
with CaptureQueriesContext(connection) as queries:
    client.get(url, **extra)
print(f"{{len(queries)}} SQL queries a request")
for query in queries:
    print("   ", query["sql"][:{width}])
profiler = cProfile.Profile()
started = time.perf_counter()
profiler.enable()
for _ in range(int(count)):
    client.get(url, **extra)
profiler.disable()
took = (time.perf_counter() - started) / int(count) * 1000
print(f"{{took:.1f}} ms a request in one process under cProfile ({{count}} requests)")
stats = pstats.Stats(profiler)
spent = {{}}
for (path, line, function), row in stats.stats.items():
    spent[(path.rsplit("site-packages/", 1)[-1], function)] = row[3] / int(count) * 1000
parts = {{
    "SQL (execute and fetch)": ("django/db/backends/utils.py", "_execute"),
    "the view": ("portal/views/checkout.py", "checkout_page"),
    "  of it the preview service": ("billing/checkout/services.py", "checkout_preview"),
    "  of it rendering": ("portal/views/checkout.py", "_render"),
}}
for label, (path, function) in parts.items():
    took = sum(v for (p, f), v in spent.items() if p.endswith(path) and f == function)
    print(f"  {{label:<28}} {{took:6.1f}} ms")
out = io.StringIO()
stats.stream = out
stats.sort_stats("cumulative").print_stats("(portal|billing|licensing|django/template)/", {top})
print(out.getvalue().split("function)", 1)[-1])
"""


@contextmanager
def demo_site() -> Iterator[tuple[Site, tuple[tuple[str, str], ...], str]]:
    """The demo on its own database; the demo owner's session cookie header and the
    preview's URL."""
    with prepared_site(DATABASE) as site:
        site.env["DEBUG"] = "true"  # only for the setup: a throwaway signing key in var/
        site.manage("demo")
        cookie_line, path = site.manage("shell", "-c", SETUP, capture=True).splitlines()[-2:]
        site.env["DEBUG"] = "false"
        cookie_name, session_key = cookie_line.split()
        headers = (("Cookie", f"{cookie_name}={session_key}"), ("Accept-Language", "en-US"))
        yield site, headers, f"{path}?{QUERY}"


def profile(site: Site, headers, page_url: str, *, requests: int, top: int, width: int) -> None:
    cookie_name, session_key = dict(headers)["Cookie"].split("=", 1)
    for label, hx in (("full page", "0"), ("htmx fragment", "1")):
        print(f"\n-- profile: {label} --", flush=True)
        site.env["BENCH_PROFILE"] = f"{cookie_name} {session_key} {page_url} {requests} {hx}"
        output = site.manage("shell", "-c", PROFILE.format(top=top, width=width), capture=True)
        print(output, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, connections=8)
    parser.add_argument("--pdf-runs", type=int, default=20)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="REQUESTS",
        help="instead of wrk: profile this many requests of each in one process",
    )
    parser.add_argument("--top", type=int, default=30, help="--profile's lines")
    parser.add_argument("--no-pdf", action="store_true", help="skip the invoice PDF")
    args = parser.parse_args(argv)
    with demo_site() as (site, headers, page_url):
        if args.profile:
            profile(site, headers, page_url, requests=args.profile, top=args.top, width=120)
            return
        fragment_headers = (*headers, ("HX-Request", "true"))
        with gunicorn(site, args.workers):
            request = urllib.request.Request(site.url(page_url), headers=dict(headers))
            page = urllib.request.urlopen(request).read()
            request = urllib.request.Request(site.url(page_url), headers=dict(fragment_headers))
            fragment = urllib.request.urlopen(request).read()
            if b"Subtotal" not in page or b"Subtotal" not in fragment:
                sys.exit("The checkout page did not render a preview for the demo owner.")
            if b"<html" in fragment:
                sys.exit("The htmx request got the whole page, not the fragment.")
            print(
                f"gunicorn: {args.workers} sync workers; wrk: 1 thread, {args.connections} "
                f"connections, {args.seconds} s per URL and run; page {len(page):,} bytes, "
                f"fragment {len(fragment):,} bytes",
                flush=True,
            )
            minimal = Load("/bench/minimal/", headers=headers)
            for what, load in (
                ("checkout page", Load(page_url, headers=headers, name="checkout page")),
                (
                    "checkout fragment",
                    Load(page_url, headers=fragment_headers, name="checkout fragment (htmx)"),
                ),
            ):
                print(f"\n-- {what} --", flush=True)
                compare(
                    site,
                    minimal,
                    load,
                    connections=args.connections,
                    seconds=args.seconds,
                    runs=args.runs,
                    what=f"{what} / minimal throughput",
                )
    if args.no_pdf:
        return
    print("\n-- invoice PDF against a one-page baseline --", flush=True)
    from bench import invoice_pdf

    invoice_pdf.main(["--runs", str(args.pdf_runs)])


if __name__ == "__main__":
    main()
