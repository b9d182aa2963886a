"""Subscriptions: what a customer pays for a license."""
