"""Billing demo data, one module per area."""

from billing.demo.book import build_book as build_book
from billing.demo.checkout import build_checkouts as build_checkouts
from billing.demo.invoices import build_invoices as build_invoices
from billing.demo.proposals import build_proposals as build_proposals
from billing.demo.subscriptions import build_subscriptions as build_subscriptions
