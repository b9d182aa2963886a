"""Renewal grace, pure: until renewals run, nothing expires by surprise. An auto-renewing
license its holder may run stays usable for a few days after its term (settings.
RENEWAL_GRACE_DAYS) while its renewal has not happened yet. `make mutate` mutates this
module against its fast tests."""

from __future__ import annotations

from datetime import date, timedelta


def grace_until(*, term_end: date, usable: bool, auto_renew: bool, grace_days: int) -> date | None:
    """The last day of the license's renewal grace, or None when it has none: it does not
    renew by itself, it may not run now (suspended, canceled, expired), or the grace is
    zero days."""
    if auto_renew and usable and grace_days > 0:
        return term_end + timedelta(days=grace_days)
    return None
