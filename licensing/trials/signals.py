"""What licensing tells the layers above it about trials, which it may not import
(billing keeps the commercial ledger, where trials are recorded for the analytics):
`trial_changed` is sent by every trial service that changes a trial (started, extended,
converted, ended, reverted), inside the change's transaction, after the license's
LicenseEvent is written. A receiver that raises rolls the change back, so what it
records is never out of step with the trial.

Arguments: `trial` (as changed, its license locked and as changed too), `kind` (the
LicenseEvent's trial kind, licensing.models.EventKind), `before` (the trial's fields
before: tier, version, starts_at, ends_at, status; empty for a start), `actor`, `reason`
and `at`.
"""

from django.dispatch import Signal

trial_changed = Signal()
