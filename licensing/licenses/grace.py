"""Renewal grace, pure: nothing expires by surprise. A usable license stays usable for a
few days after its term (settings.RENEWAL_GRACE_DAYS): one that renews by itself while
its renewal has not run yet, and one that does not (renewed by hand, with an account
manager) until the term-end job sets it expired once the grace is over
(billing.renewals). A license its customer canceled (`ends_with_term`) has none: it ends
with its term, as the cancel page says. `make mutate` mutates this module against its
fast tests."""

from __future__ import annotations

from datetime import date, timedelta


def grace_until(
    *,
    term_end: date,
    usable: bool,
    auto_renew: bool,
    grace_days: int,
    ends_with_term: bool = False,
) -> date | None:
    """The last day of the license's grace, or None when it has none: it may not run now
    (suspended, canceled, expired), its customer canceled it (it does not renew and
    ends with its term), or the grace is zero days."""
    if usable and grace_days > 0 and (auto_renew or not ends_with_term):
        return term_end + timedelta(days=grace_days)
    return None
