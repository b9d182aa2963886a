"""Dunning: an unpaid invoice past its due date gets reminders, then its license becomes
past due and later suspended (a dunning hold), on the days copied onto the invoice when
it was finalized; a payment, credit or void that leaves the license with nothing overdue
lifts it at once, in its own transaction.

- `rules`: pure: the dates copied, the step due on a day, the customer's timeline;
- `selectors`: what the job visits, what was sent, what the pages show;
- `services`: the step of one invoice and the settlement after a payment;
- `tasks`: the daily job (portal.schedule, on the test clock).
"""
