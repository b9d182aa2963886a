"""Billing models, one module per area, each name re-exported."""

from billing.models.checkout import OPEN_CHECKOUT as OPEN_CHECKOUT
from billing.models.checkout import Checkout as Checkout
from billing.models.checkout import CheckoutEvent as CheckoutEvent
from billing.models.checkout import CheckoutStatus as CheckoutStatus
from billing.models.checkout import ScheduledChange as ScheduledChange
from billing.models.checkout import ScheduledChangeStatus as ScheduledChangeStatus
from billing.models.invoices import BillingDetails as BillingDetails
from billing.models.invoices import CreditEntry as CreditEntry
from billing.models.invoices import CreditNote as CreditNote
from billing.models.invoices import DocumentSequence as DocumentSequence
from billing.models.invoices import FinalizedDocumentError as FinalizedDocumentError
from billing.models.invoices import Invoice as Invoice
from billing.models.invoices import InvoiceDocument as InvoiceDocument
from billing.models.invoices import InvoiceLine as InvoiceLine
from billing.models.invoices import InvoiceStatus as InvoiceStatus
from billing.models.invoices import PaymentTerms as PaymentTerms
from billing.models.invoices import Series as Series
from billing.models.ledger import AdminOperation as AdminOperation
from billing.models.ledger import SubscriptionEvent as SubscriptionEvent
from billing.models.ledger import SubscriptionEventKind as SubscriptionEventKind
from billing.models.payments import Payment as Payment
from billing.models.roi import RoiScenario as RoiScenario
from billing.models.subscriptions import Billing as Billing
from billing.models.subscriptions import PeriodReason as PeriodReason
from billing.models.subscriptions import Subscription as Subscription
from billing.models.subscriptions import SubscriptionPeriod as SubscriptionPeriod
