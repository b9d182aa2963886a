"""Paying invoices by card through Stripe: the organization's Stripe customer and saved
card, PaymentIntents per attempt, and the reconciliation of what Stripe reports (the
webhook, the return from the payment page) into payments. See README, "Card payments"."""
