"""The demo vendor's people and customers. Idempotent: running it again updates the
same rows instead of adding new ones. Later parts (catalog, licenses…) add their own
builders and are called from the `demo` command after these."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from portal.models import ACCOUNT_MANAGERS_GROUP, ADMINS_GROUP, Membership, Organization, Role, User

DEMO_PASSWORD = "tierwise-demo"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    who: str


def _user(
    email: str,
    first: str,
    last: str,
    *,
    password: str,
    staff: bool = False,
    superuser: bool = False,
):
    """`password` is the demo password already hashed (see build_people)."""
    user, _ = User.objects.update_or_create(
        email=email,
        defaults={
            "first_name": first,
            "last_name": last,
            "is_staff": staff or superuser,
            "is_superuser": superuser,
            "is_active": True,
            "password": password,
        },
    )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


CUSTOMERS = [
    # slug, name, account manager assigned?, [(email, first, last, role)]
    (
        "northwind-analytics",
        "Northwind Analytics",
        True,
        [
            ("olivia@northwind.test", "Olivia", "Hart", Role.OWNER),
            ("ben@northwind.test", "Ben", "Okafor", Role.BILLING),
            ("mia@northwind.test", "Mia", "Santos", Role.MEMBER),
        ],
    ),
    (
        "acme-robotics",
        "Acme Robotics",
        True,
        [
            ("alex@acme.test", "Alex", "Meyer", Role.OWNER),
            ("sam@acme.test", "Sam", "Lindqvist", Role.MEMBER),
        ],
    ),
    (
        "globex-health",
        "Globex Health",
        False,
        [
            ("gina@globex.test", "Gina", "Rossi", Role.OWNER),
            ("hugo@globex.test", "Hugo", "Brandt", Role.BILLING),
            ("ines@globex.test", "Ines", "Duarte", Role.MEMBER),
        ],
    ),
    # Accepted a proposal: Business for a year, 10 % off (billing.demo.proposals).
    (
        "vandelay-industries",
        "Vandelay Industries",
        False,
        [("art@vandelay.test", "Art", "Vandelay", Role.OWNER)],
    ),
    # No license: trying Team on a trial license of its own (licensing.demo.trials).
    (
        "umbrella-labs",
        "Umbrella Labs",
        False,
        [("uma@umbrella.test", "Uma", "Reyes", Role.OWNER)],
    ),
    # No license yet: a newcomer buys one from /pricing/.
    (
        "initech",
        "Initech",
        False,
        [("peter@initech.test", "Peter", "Gibbons", Role.OWNER)],
    ),
]


@transaction.atomic
def build_people() -> list[DemoLogin]:
    # One hash of the one published password, shared by every demo login: the production
    # hasher is slow on purpose (a quarter of a second of CPU a hash here, twice that in
    # wall time on a busy machine), and hashing it afresh for each of the twelve logins
    # was half of the demo load. A salt of its own per login would protect nothing:
    # the password is published.
    password = make_password(DEMO_PASSWORD)
    admin = _user("admin@tierwise.test", "Ada", "Admin", password=password, superuser=True)
    admin.groups.add(Group.objects.get(name=ADMINS_GROUP))
    manager = _user("maya@tierwise.test", "Maya", "Patel", password=password, staff=True)
    manager.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS_GROUP))
    logins = [
        DemoLogin(admin.email, "admin (Django admin, all staff pages)"),
        DemoLogin(manager.email, "account manager for Northwind Analytics and Acme Robotics"),
    ]
    for slug, name, managed, people in CUSTOMERS:
        organization, _ = Organization.objects.update_or_create(
            slug=slug, defaults={"name": name, "account_manager": manager if managed else None}
        )
        for email, first, last, role in people:
            user = _user(email, first, last, password=password)
            Membership.objects.update_or_create(
                organization=organization, user=user, defaults={"role": role}
            )
            logins.append(DemoLogin(email, f"{Role(role).label.lower()} of {name}"))
    return logins
