"""Renewals: what the next term of a subscription costs, the term-end job that starts
it, the reminders before it and the price-lock rule between them.

One function says what a renewal bills, `selectors.next_renewal`: the reminder's amount,
the dashboard's renewal panel and the renewal's invoice all come from it, and its lines
are the checkout's (billing.checkout.quote.term_lines), so what a customer is told is
what they are charged, to the cent. Which version and price the next term runs on is the
pure rule in `terms`.
"""
