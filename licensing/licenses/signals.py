"""What licensing tells the layers above it, which it may not import (billing keeps the
commercial ledger): `license_changed` is sent by every license service, inside the
change's transaction, after the LicenseEvent is written. A receiver that raises rolls
the change back, so what it records is never out of step with the license.

Arguments: `license` (as changed), `event` (its LicenseEvent), `was` (the changed
fields' values before: {"seats": 5}, {"version": <TierVersion>}; empty for a change of
something else, such as an add-on or a key), `actor`, `reason` and `at`.
"""

from django.dispatch import Signal

license_changed = Signal()
