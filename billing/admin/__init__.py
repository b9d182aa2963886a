"""The billing admin, one module per area; importing them registers their model admins
(admin.autodiscover imports this package)."""

from billing.admin import checkout as checkout
from billing.admin import invoices as invoices
from billing.admin import notices as notices
from billing.admin import renewals as renewals
from billing.admin import subscriptions as subscriptions
from billing.admin import tax as tax
