"""Billing tests live at a fixed "now" (tests/conftest.py FROZEN_NOW) unless a test moves
the clock itself."""

import pytest


@pytest.fixture(autouse=True)
def _frozen_now(now):
    return now
