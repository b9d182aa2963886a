import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.functions import Lower
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from portal import clock

ACCOUNT_MANAGERS_GROUP = "Account managers"
ADMINS_GROUP = "Admins"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person. Signs in with an email address; there is no username."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_account_manager(self) -> bool:
        return self.is_staff and self.groups.filter(name=ACCOUNT_MANAGERS_GROUP).exists()

    @cached_property
    def is_admin(self) -> bool:
        """Sees every customer in the admin; other staff see only those assigned to them.
        Cached: the admin asks on every queryset, form field and filter of a request."""
        return self.is_superuser or self.groups.filter(name=ADMINS_GROUP).exists()


class Organization(models.Model):
    """A customer: the company that buys licenses. People reach it through memberships."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_organizations",
        limit_choices_to={"is_staff": True, "groups__name": ACCOUNT_MANAGERS_GROUP},
        help_text="The staff member who looks after this customer.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organization_detail", args=[self.slug])


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    BILLING = "billing", "Billing admin"
    MEMBER = "member", "Member"


ROLE_DESCRIPTIONS = {
    Role.OWNER: "Everything, including members, roles and API tokens.",
    Role.BILLING: "Plans, invoices and payment, but not members.",
    Role.MEMBER: "Sees the license, usage and entitlements.",
}


class Membership(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organization__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        try:
            return f"{self.user} in {self.organization} ({self.get_role_display()})"
        except ObjectDoesNotExist:
            # A version in the history outlives the person or organization it names
            # (deleting either deletes the membership).
            return f"Membership {self.pk} of a deleted person or organization"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    @property
    def can_manage_billing(self) -> bool:
        return self.role in (Role.OWNER, Role.BILLING)


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry():
    return clock.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one open invitation per address and organization.
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.organization}"

    # Not get_absolute_url: the admin would give staff this link ("View on site" on the
    # organization's invitation rows, and its /admin/r/ shortcut redirecting to it), and
    # the link accepts the invitation. Only the invited address is sent it.
    def accept_url(self) -> str:
        """The invitation's page, where the invited person accepts it (its token URL)."""
        return reverse("invitation_detail", args=[self.token])

    @property
    def status(self) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= clock.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    def get_status_display(self) -> str:
        return self.Status(self.status).label


class OutboundEmail(models.Model):
    """Every email the site sends, written in the same transaction as the change that
    caused it and delivered by a Celery task, so a lost task is resent, not lost."""

    to = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sent_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class OutboundEmailAttachment(models.Model):
    """A file sent with an outbox message (an invoice's PDF): the bytes as they were when
    the message was queued, so a retry sends exactly what the first try would have."""

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    mimetype = models.CharField(max_length=100)
    content = models.BinaryField()

    class Meta:
        ordering = ["email", "pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.mimetype})"


class SimulatedClock(models.Model):
    """The test clock's one row: how far the site's time runs ahead of the real time.
    Read only when settings.TEST_CLOCK is on (portal.clock)."""

    offset = models.DurationField(default=timedelta(0))
    moved_at = models.DateTimeField(null=True, blank=True)
    moved_by = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="one_test_clock")]

    def __str__(self) -> str:
        return f"Test clock, {self.offset} ahead"


# Where /app/buy/ (and /pricing/try/<tier>/) keep a signed-out visitor's choice until
# sign-up makes the account: {"query", "label", "kind"}.
PENDING_PLAN_SESSION_KEY = "pending_plan"


class PendingPlanKind(models.TextChoices):
    PURCHASE = "purchase", "A plan to buy"
    TRIAL = "trial", "A trial to start"


class PendingPlan(models.Model):
    """The plan a visitor chose on the pricing page before they had an account (to buy,
    or to try), kept on the account they then make: confirming the email on another
    device, or signing in later anywhere, continues to its checkout or to the page that
    starts its trial (the browser session alone would lose it). Used once: the next
    visit to /app/buy/ (or /pricing/try/<tier>/) takes it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_plan"
    )
    # /app/buy/'s query string: tier, cycle, currency (and seats), as the pricing page
    # or the ROI calculator asked.
    query = models.CharField(max_length=200)
    # How the plan was named when it was chosen: "Team, billed monthly, in USD", "a
    # 14-day trial of Business".
    label = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=8, choices=PendingPlanKind.choices, default=PendingPlanKind.PURCHASE
    )
    chosen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.label} for {self.user}"

    def get_absolute_url(self) -> str:
        if self.kind == PendingPlanKind.TRIAL:
            # A trial's query is its tier alone: tier=<slug>.
            return reverse("trial_try", args=[QueryDict(self.query).get("tier", "")])
        return f"{reverse('buy')}?{self.query}"
