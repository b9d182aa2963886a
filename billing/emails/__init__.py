"""Billing emails: who an organization's billing mail goes to, and sending one of the
billing messages (templates/emails/billing/<name>-subject.txt, -body.txt, -body.html)
to each of them through the outbox, in the caller's transaction."""
