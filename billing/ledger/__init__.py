"""The commercial ledger: MRR normalisation and the steps of a change (pure), and the one
service that writes SubscriptionEvents (services)."""
