"""Writes to organizations, memberships and invitations. Views call these; each one
validates, changes state inside a transaction and queues its emails on commit."""

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from portal import clock
from portal.emails import queue_templated_email
from portal.models import Invitation, Membership, Organization, Role, User

# Paths under /app/ that an organization slug must not shadow.
RESERVED_SLUGS = {"new", "buy"}


def _unique_slug(name: str) -> str:
    base = slugify(name)[:100] or "organization"
    if base in RESERVED_SLUGS:
        base = f"{base}-org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def organization_create(
    *, name: str, owner: User, account_manager: User | None = None
) -> Organization:
    """A new organization and its first owner (staff adding one in the admin may assign
    its account manager at once)."""
    name = name.strip()
    organization = Organization(name=name, account_manager=account_manager)
    organization.full_clean(exclude=["slug"])
    # Two sign-ups with the same name can pick the same free slug at once: the unique
    # index decides, and the loser takes the next one.
    for _ in range(5):
        organization.slug = _unique_slug(name)
        try:
            with transaction.atomic():
                organization.save()
        except IntegrityError:
            organization.pk = None
            continue
        break
    else:
        raise ValidationError({"name": "Could not name this organization; try again."})
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    return organization


@transaction.atomic
def organization_update(
    *, organization: Organization, name: str, slug: str, account_manager: User | None
) -> Organization:
    """Staff's change of an organization's name, slug and account manager (the admin
    decides who may change which), under the organization's lock."""
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    locked.name, locked.slug, locked.account_manager = name.strip(), slug, account_manager
    locked.full_clean()
    locked.save(update_fields=["name", "slug", "account_manager"])
    return locked


@transaction.atomic
def organization_rename(*, organization: Organization, name: str) -> Organization:
    organization.name = name.strip()
    organization.full_clean()
    organization.save(update_fields=["name"])
    return organization


def organization_kept_records(organization: Organization) -> list[str]:
    """What billing and licensing keep of an organization ("1 license", "2 invoices"):
    the rows of any model outside the portal that point at it, whether the relation
    protects them or would delete them with it (billing details, API tokens)."""
    kept = []
    for relation in Organization._meta.related_objects:
        model = relation.related_model
        if model._meta.app_label == Organization._meta.app_label:
            continue
        count = model._base_manager.filter(**{relation.field.name: organization}).count()
        if count:
            name = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
            kept.append(f"{count} {name}")
    return kept


def organization_deletion_refusal(organization: Organization) -> str | None:
    """Why an organization cannot be deleted, or None when it can."""
    kept = organization_kept_records(organization)
    if not kept:
        return None
    return (
        f"Cannot delete {organization}: billing and licensing keep its {', '.join(kept)}, "
        "and their records are never deleted."
    )


@transaction.atomic
def organization_delete(*, organization: Organization) -> None:
    """Deletes an organization that billing and licensing keep nothing of (one that never
    trialled, bought, was invoiced or was given billing details), with its memberships
    and invitations; its people stay. Refused otherwise, deleting nothing. Checked under
    the organization's lock: a row that points at it, written meanwhile, waits for the
    lock (PostgreSQL's foreign key check), so none can slip in between."""
    organization = _lock_organization(organization)
    refusal = organization_deletion_refusal(organization)
    if refusal:
        raise ValidationError(refusal)
    organization.delete()


def _lock_organization(organization: Organization) -> Organization:
    # Every change to who belongs to an organization serialises on its row, so two
    # owners cannot demote each other at once and leave it without an owner.
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _open_invitation(organization: Organization, email: str) -> Invitation | None:
    return (
        Invitation.objects.filter(
            organization=organization,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        .select_for_update()
        .first()
    )


@transaction.atomic
def invitation_create(
    *, organization: Organization, email: str, role: str, invited_by: User
) -> Invitation:
    email = email.strip().lower()
    organization = _lock_organization(organization)
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of {organization}."})
    existing = _open_invitation(organization, email)
    if existing and existing.status == Invitation.Status.PENDING:
        raise ValidationError(
            {"email": f"{email} already has a pending invitation. Revoke it to send a new one."}
        )
    if existing:
        # Expired: close it so the new one can take its place.
        existing.revoked_at = clock.now()
        existing.save(update_fields=["revoked_at"])
    invitation = Invitation(
        organization=organization, email=email, role=role, invited_by=invited_by
    )
    invitation.full_clean()
    invitation.save()
    queue_templated_email(
        "invitation",
        to=email,
        context={"invitation": invitation, "organization": organization, "inviter": invited_by},
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(
            f"This invitation is {invitation.get_status_display().lower()}; it cannot be revoked."
        )
    invitation.revoked_at = clock.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


def user_has_email(user: User, email: str) -> bool:
    if user.email.lower() == email.lower():
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(
            f"This invitation is {invitation.get_status_display().lower()} and can no longer "
            "be used. Ask the organization's owner for a new one."
        )
    if not user_has_email(user, invitation.email):
        raise ValidationError(
            f"This invitation was sent to {invitation.email}. Sign in with that address to "
            "accept it."
        )
    organization = _lock_organization(invitation.organization)
    # Someone who is already a member keeps the role they have: accepting never lowers it.
    membership, _ = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = clock.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


LAST_OWNER_DEMOTED = "An organization needs at least one owner. Make someone else an owner first."
LAST_OWNER_REMOVED = "The last owner cannot be removed. Make someone else an owner first."


def _other_owners(membership: Membership) -> int:
    return (
        Membership.objects.filter(organization_id=membership.organization_id, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .count()
    )


def membership_is_last_owner(membership: Membership) -> bool:
    """An owner with no other owner beside them: neither demoted nor removed (the admin
    asks too, before it saves)."""
    return membership.role == Role.OWNER and not _other_owners(membership)


@transaction.atomic
def membership_add(*, organization: Organization, user: User, role: str) -> Membership:
    """Staff add a person directly (customers join through an invitation)."""
    organization = _lock_organization(organization)
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise ValidationError({"user": f"{user} is already a member of {organization}."})
    membership = Membership(organization=organization, user=user, role=role)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str) -> Membership:
    _lock_organization(membership.organization)
    membership = Membership.objects.select_related("organization").get(pk=membership.pk)
    if role not in Role.values:
        raise ValidationError({"role": "Choose owner, billing admin or member."})
    if role != Role.OWNER and membership_is_last_owner(membership):
        raise ValidationError(LAST_OWNER_DEMOTED)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    _lock_organization(membership.organization)
    membership = Membership.objects.select_related("organization").get(pk=membership.pk)
    if membership_is_last_owner(membership):
        raise ValidationError(LAST_OWNER_REMOVED)
    membership.delete()


def last_owner_refusal(membership: Membership) -> str:
    """Why a person cannot be deleted yet, naming the organization they would leave."""
    return (
        f"Cannot delete {membership.user}: the last owner of {membership.organization}. "
        "Make someone else an owner first."
    )


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Deletes a person after removing each of their memberships through
    membership_remove, so the last owner of an organization is refused and nothing is
    deleted. The organizations are locked in one order, so two deletions cannot wait on
    each other."""
    memberships = user.memberships.select_related("organization").order_by("organization_id")
    for membership in memberships:
        try:
            membership_remove(membership=membership)
        except ValidationError as refused:
            raise ValidationError(last_owner_refusal(membership)) from refused
    user.delete()
