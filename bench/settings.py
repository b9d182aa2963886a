"""Settings for the benchmark's server: production settings plus a URLconf that adds a
minimal view, so the baseline is measured by the same server in the same run. Never
used outside bench/."""

from portal.settings import *  # noqa: F403
from portal.settings import VAR_DIR

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = VAR_DIR / "static"
