"""The licensing admin, one module per area; importing them registers their model admins
(admin.autodiscover imports this package)."""

from licensing.admin import catalog as catalog
from licensing.admin import licenses as licenses
from licensing.admin import trials as trials
