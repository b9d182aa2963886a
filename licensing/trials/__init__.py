"""Trials of a higher tier (PRODUCT.md rule 6): the rules (pure), the services that start,
extend and close them, and the selectors the dashboard and the emails read."""
