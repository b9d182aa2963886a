"""portal.prepared: a read compiled once answers what its queryset answers, for each
value asked, on the asking thread's connection, and refuses to be built wrong."""

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.db.models import Count, Q

from portal.models import Membership, Organization
from portal.prepared import PreparedRead, stand_in
from tests.factories import MembershipFactory, OrganizationFactory


def _memberships():
    return (
        Membership.objects.select_related("organization", "user")
        .annotate(members=Count("organization__memberships"))
        .order_by("organization__name")
    )


def _membership_read() -> PreparedRead:
    return PreparedRead(
        lambda slug, user_id: _memberships().filter(organization__slug=slug, user_id=user_id),
        slug=str,
        user_id=int,
    )


def _as_read(membership: Membership) -> tuple:
    return (
        membership.pk,
        membership.role,
        membership.organization.slug,
        membership.user.email,
        membership.members,
    )


def test_each_read_answers_what_the_queryset_answers_for_its_values(
    organization, owner, outsider, teammate, django_assert_num_queries
):
    read = _membership_read()
    for slug, user in [
        ("northwind", owner),
        ("northwind", teammate),
        ("elsewhere", outsider),
        ("elsewhere", owner),  # not a member there: nothing
        ("nowhere", owner),
    ]:
        expected = [_as_read(m) for m in _memberships().filter(organization__slug=slug, user=user)]
        # One query each, the joined organization and user and the annotation included.
        with django_assert_num_queries(1):
            found = [_as_read(m) for m in read.read(slug=slug, user_id=user.pk)]
        assert found == expected
    assert [m.members for m in read.read(slug="northwind", user_id=owner.pk)] == [2]


def test_a_read_of_several_rows_keeps_the_querysets_order(db):
    user = MembershipFactory(organization=OrganizationFactory(name="Zeta", slug="zeta")).user
    for name in ("Alpha", "Mu"):
        MembershipFactory(organization=OrganizationFactory(name=name, slug=name.lower()), user=user)
    read = PreparedRead(lambda user_id: _memberships().filter(user_id=user_id), user_id=int)
    assert [m.organization.name for m in read.read(user_id=user.pk)] == ["Alpha", "Mu", "Zeta"]


def test_a_value_that_could_be_a_stand_in_is_still_only_a_value(organization, owner):
    """The stand-in is replaced by position, never by looking for it in the SQL."""
    read = _membership_read()
    assert read.read(slug=stand_in(str, 0), user_id=owner.pk) == []
    assert read.read(slug="northwind", user_id=stand_in(int, 1)) == []
    assert len(read.read(slug="northwind", user_id=owner.pk)) == 1


def test_it_is_asked_with_exactly_the_values_it_was_built_for(organization, owner):
    read = _membership_read()
    with pytest.raises(TypeError, match="slug"):
        read.read(user_id=owner.pk)
    with pytest.raises(TypeError):
        read.read(slug="northwind", user_id=owner.pk, role="owner")


def test_a_stand_in_the_query_holds_twice_is_refused_when_built(organization):
    twice = PreparedRead(
        lambda slug: Organization.objects.filter(Q(slug=slug) | Q(name=slug)), slug=str
    )
    with pytest.raises(ImproperlyConfigured, match="appears 2 times"):
        twice.read(slug="northwind")
    never = PreparedRead(lambda slug: Organization.objects.all(), slug=str)
    with pytest.raises(ImproperlyConfigured, match="appears 0 times"):
        never.read(slug="northwind")


def test_a_day_is_asked_as_the_database_takes_it(organization, owner):
    """A date goes in as the backend adapts it (text on SQLite), stand-in and value."""
    read = PreparedRead(
        lambda slug, on: Organization.objects.filter(
            slug=slug, created_at__date__lte=on
        ).values_list("slug", flat=True),
        slug=str,
        on=date,
    )
    created = organization.created_at.date()
    assert read.read(slug="northwind", on=created) == ["northwind"]
    assert read.read(slug="northwind", on=created - timedelta(days=1)) == []


@pytest.mark.django_db(transaction=True)
def test_another_thread_reads_on_its_own_connection():
    membership = MembershipFactory(organization=OrganizationFactory(slug="threaded"))
    read = _membership_read()
    ask = {"slug": "threaded", "user_id": membership.user_id}
    assert len(read.read(**ask)) == 1  # compiled here, on this thread's connection
    answers = []

    def elsewhere():
        try:
            answers.append((read.read(**ask)[0].pk, connections["default"] is not connection))
        finally:
            connections.close_all()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert answers == [(membership.pk, True)]


@pytest.mark.parametrize("lookup", ["slug__contains", "slug__startswith", "slug__icontains"])
def test_a_lookup_that_changes_its_value_is_refused_when_built(organization, lookup):
    """A LIKE lookup escapes and wraps its value before the database sees it: put back
    raw, "a_b" would also match "axb". Such a read is refused, never run."""
    read = PreparedRead(lambda slug: Organization.objects.filter(**{lookup: slug}), slug=str)
    with pytest.raises(ImproperlyConfigured, match="appears 0 times"):
        read.read(slug="north")

