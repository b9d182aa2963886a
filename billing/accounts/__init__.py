"""The account manager's book of accounts: per customer, what it pays, when it renews,
what it owes and uses, and the signals that say it is ready for a renewal or an upgrade
(signals: the rules, pure; selectors: the rows, read in a bounded number of queries)."""
