"""Validating a row a service computed itself, before it writes it.

`Model.full_clean()` checks three things: each field in Python (choices, lengths, decimal
places, blank), and, by a SELECT each, that every foreign key exists, that no other row
has its unique values, and every check constraint. The last three are what the database
refuses on the write anyway (foreign keys, unique indexes, check constraints: on
PostgreSQL and SQLite alike). For values a person typed (a form, the admin, a checkout)
the SELECTs are worth their cost: they turn a refusal into a ValidationError with a clear
message. For values a service computed (a renewal's next term, its period and invoice,
a ledger entry) they only double what the database does; a row that broke one would be a
bug, and the IntegrityError that stops its transaction is the right outcome. In the
renewal path they were about 40 statements and a quarter of each renewal's time.
"""

from __future__ import annotations

from django.db import models


def clean_computed(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """`full_clean()` without the checks the database enforces on write: the fields'
    own checks and the model's `clean()` run; foreign keys' existence, unique values and
    check constraints are left to the database."""
    relations = [field.name for field in instance._meta.concrete_fields if field.is_relation]
    instance.full_clean(
        exclude=[*(exclude or []), *relations], validate_unique=False, validate_constraints=False
    )
