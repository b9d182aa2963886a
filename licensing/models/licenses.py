"""Licenses: what an organization may use, and everything recorded about it.

A License points at a TierVersion, never at a Tier, so publishing a new version never
changes what a customer bought. Its entitlements are resolved by licensing.licenses.entitlements
from the version, the add-ons and the admin's overrides. Every change goes through
licensing.licenses.services and leaves a LicenseEvent, which is append-only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from licensing.licenses import grace
from licensing.models.catalog import Feature, LimitMetric, TierVersion, VersionStatus


class AppendOnlyError(RuntimeError):
    """Raised when something tries to change or delete a ledger entry."""


# What an add-on grants, as license files and API answers name it: frozen once bought.
ADDON_DEFINITION_FIELDS = ("product_id", "key", "name")


class BoughtAddonError(ValidationError):
    """Raised when something tries to change what a bought add-on grants."""


def refuse_if_bought(addon_id: int | None) -> None:
    """A license that bought an add-on keeps what it bought (PRODUCT rule 2): its
    features, the room each unit adds, its key and name never change under it (nothing
    would be on the license's record, and no new file would be issued)."""
    bought = LicenseAddon.objects.filter(addon_id=addon_id).count() if addon_id else 0
    if bought:
        raise BoughtAddonError(
            f"This add-on is bought on {bought} license{'s' if bought != 1 else ''}: what it "
            "grants cannot change under them. Add a new add-on to sell something else."
        )


def bought_addons_with(feature_ids) -> list[Addon]:
    """The bought add-ons that grant any of these features: those features stay."""
    return list(
        Addon.objects.filter(
            features__in=feature_ids,
            pk__in=LicenseAddon.objects.values("addon_id"),
        ).distinct()
    )


class KeyInUseError(ValidationError):
    """Raised when something tries to change the key of a feature or limit metric in use."""


class FeatureKeyInUseError(KeyInUseError):
    """Raised when something tries to change the key of a feature that is in use."""


class MetricKeyInUseError(KeyInUseError):
    """Raised when something tries to change the key of a limit metric that is in use."""


@dataclass(frozen=True)
class KeyLock:
    """What uses a catalog object's key: the lookups, from a tier version, an add-on and a
    license, that reach the object's id; and how the refusal names it."""

    noun: str
    software: str  # what customers' software does with the key
    instead: str  # what to do rather than change it
    version_rows: str
    addon_rows: str
    license_rows: tuple[str, ...]
    error: type[KeyInUseError]


# License files and the API name features and limit metrics by key: once either is in
# use, its key stays (refuse_key_change_if_used; the admin shows it read-only, with why).
KEY_LOCKS: dict[type[models.Model], KeyLock] = {
    Feature: KeyLock(
        noun="feature",
        software="checks it",
        instead="Add a new feature to sell something else.",
        version_rows="feature_rows__feature_id",
        addon_rows="features",
        license_rows=(
            "version__feature_rows__feature_id",
            "overrides__feature_id",
            "feature_uses__feature_id",
        ),
        error=FeatureKeyInUseError,
    ),
    LimitMetric: KeyLock(
        noun="limit metric",
        software="reports usage under it",
        instead="Add a new limit metric to measure something else.",
        version_rows="limit_rows__metric_id",
        addon_rows="limit_rows__metric_id",
        license_rows=(
            "version__limit_rows__metric_id",
            "overrides__metric_id",
            "usage__metric_id",
        ),
        error=MetricKeyInUseError,
    ),
}


def key_uses(model: type[Feature | LimitMetric], pk: int | None) -> list[str]:
    """Why a feature's or limit metric's key can no longer change, one line each: license
    files and the API name them by key, so the customers' software relies on it. The tier
    versions published (or retired) with it, the bought add-ons that grant it (a feature)
    or room on it (a limit), and the licenses that name it: on their version, in an
    admin's override, or in the use their software reported."""
    if not pk:
        return []
    lock = KEY_LOCKS[model]
    versions = (
        TierVersion.objects.filter(**{lock.version_rows: pk})
        .exclude(status=VersionStatus.DRAFT)
        .select_related("tier")
        .order_by("tier__order", "number")
    )
    uses = [f"{v.tier.name} v{v.number} ({v.get_status_display().lower()})" for v in versions]
    addons = Addon.objects.filter(
        **{lock.addon_rows: pk}, pk__in=LicenseAddon.objects.values("addon_id")
    ).distinct()
    uses += [f"add-on {addon.name} (bought)" for addon in addons]
    named = Q()
    for lookup in lock.license_rows:
        named |= Q(**{lookup: pk})
    licenses = License.objects.filter(named).distinct().count()
    if licenses:
        uses.append(f"{licenses} license{'s' if licenses != 1 else ''}")
    return uses


def refuse_key_change_if_used(instance: Feature | LimitMetric) -> None:
    """A feature's or limit metric's key is how license files and the API name it: once
    it is in use (key_uses), changing it would silently change what customers' software
    checks or reports, so it is refused; its name, order and the rest may still change."""
    if not instance.pk:
        return
    model = type(instance)
    stored = model.objects.filter(pk=instance.pk).values_list("key", flat=True).first()
    if stored is None or stored == instance.key:
        return
    uses = key_uses(model, instance.pk)
    if uses:
        lock = KEY_LOCKS[model]
        raise lock.error(
            f"The key {stored!r} is how license files and the licensing API name this "
            f"{lock.noun}, and it is in use ({'; '.join(uses)}): it cannot change. "
            f"{lock.instead}"
        )


class Addon(models.Model):
    """Something sold on top of a tier: extra features and/or extra room on a limit,
    per unit bought (e.g. "10,000 extra API calls a month"). Once a license has bought
    it, what it grants is frozen (refuse_if_bought); its description may still change."""

    product = models.ForeignKey("licensing.Product", on_delete=models.PROTECT, related_name="+")
    key = models.SlugField(max_length=60, help_text="Stable identifier used in license files.")
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=240, blank=True)
    features = models.ManyToManyField("licensing.Feature", blank=True, related_name="+")

    class Meta:
        ordering = ["product", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "key"], name="addon_key_per_product")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.pk:
            stored = Addon.objects.filter(pk=self.pk).values(*ADDON_DEFINITION_FIELDS).first()
            if stored and any(stored[f] != getattr(self, f) for f in ADDON_DEFINITION_FIELDS):
                refuse_if_bought(self.pk)
        super().save(*args, **kwargs)

    @property
    def bought_count(self) -> int:
        return LicenseAddon.objects.filter(addon_id=self.pk).count() if self.pk else 0


class AddonLimit(models.Model):
    addon = models.ForeignKey(Addon, on_delete=models.CASCADE, related_name="limit_rows")
    metric = models.ForeignKey("licensing.LimitMetric", on_delete=models.PROTECT, related_name="+")
    extra = models.PositiveBigIntegerField(help_text="Added to the limit for each unit bought.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["addon", "metric"], name="addon_metric_once")
        ]

    def __str__(self) -> str:
        return f"+{self.extra:,} {self.metric.unit}"

    def save(self, *args, **kwargs) -> None:
        refuse_if_bought(self.addon_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        refuse_if_bought(self.addon_id)
        return super().delete(*args, **kwargs)


class LicenseStatus(models.TextChoices):
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    SUSPENDED = "suspended", "Suspended"
    CANCELED = "canceled", "Canceled"
    EXPIRED = "expired", "Expired"


class HoldSource(models.TextChoices):
    """Who holds a license suspended. Each source lifts only its own hold."""

    ADMIN = "admin", "Staff"
    DUNNING = "dunning", "Dunning"
    TRIAL = "trial", "Trial"


# A license in one of these lets the customer's software run.
USABLE_STATUSES = (LicenseStatus.TRIALING, LicenseStatus.ACTIVE, LicenseStatus.PAST_DUE)
# Closed licenses do not count against "one open license per product".
CLOSED_STATUSES = (LicenseStatus.CANCELED, LicenseStatus.EXPIRED)


class License(models.Model):
    organization = models.ForeignKey(
        "portal.Organization", on_delete=models.PROTECT, related_name="licenses"
    )
    product = models.ForeignKey("licensing.Product", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        "licensing.TierVersion", on_delete=models.PROTECT, related_name="licenses"
    )
    seats = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(max_length=16, choices=LicenseStatus.choices)
    term_start = models.DateField()
    term_end = models.DateField(help_text="The last day of the current term.")
    auto_renew = models.BooleanField(default=True)
    ends_with_term = models.BooleanField(
        default=False,
        help_text="Its customer canceled it: it ends with its term, without renewal grace.",
    )
    # The key itself is shown once; only its hash is kept, and a prefix to recognise it.
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=16, editable=False)
    # Bumped by every change; license files and cached answers carry it.
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["organization__name", "product__order"]
        indexes = [
            # The lifecycle jobs' question: which licenses in a status end their term when.
            models.Index(fields=["status", "term_end"], name="license_status_term_end"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "product"],
                condition=~Q(status__in=["canceled", "expired"]),
                name="one_open_license_per_product",
            ),
            models.CheckConstraint(
                condition=Q(term_end__gte=models.F("term_start")), name="license_term_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.version.tier.name} v{self.version.number}"

    @property
    def is_usable(self) -> bool:
        return self.status in USABLE_STATUSES

    @property
    def is_grandfathered(self) -> bool:
        return self.version.status == "retired"

    @property
    def renews_on(self):
        """The first day of the next term."""
        return self.term_end + timedelta(days=1)

    @property
    def grace_until(self) -> date | None:
        """The last day it stays usable after its term: while its renewal has not run, or,
        not renewing by itself, until the term-end job sets it expired (licensing.licenses.
        grace)."""
        return grace.grace_until(
            term_end=self.term_end,
            usable=self.is_usable,
            auto_renew=self.auto_renew,
            grace_days=settings.RENEWAL_GRACE_DAYS,
            ends_with_term=self.ends_with_term,
        )

    @property
    def masked_key(self) -> str:
        return f"{self.key_prefix}-•••••-•••••-•••••-•"


class RetiringKey(models.Model):
    """A license's previous key, still accepted until `valid_until`: a rotation with an
    overlap keeps the old key working for a while, so the customer can roll the new one
    out before the old one is refused. Only its hash and prefix are kept, as for the
    current key. A rotation with no overlap writes none; a later rotation ends every
    earlier overlap at once (licensing.licenses.services.license_rotate_key)."""

    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="retiring_keys")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=16, editable=False)
    retired_at = models.DateTimeField(help_text="When the key was replaced.")
    valid_until = models.DateTimeField(help_text="The moment the API stops accepting it.")

    class Meta:
        ordering = ["-retired_at", "-pk"]
        indexes = [models.Index(fields=["license", "valid_until"], name="retiring_key_by_license")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("retired_at")),
                name="retiring_key_ends_after_retired",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_prefix}… of {self.license_id}, until {self.valid_until:%Y-%m-%d %H:%M}"

    @property
    def masked_key(self) -> str:
        return f"{self.key_prefix}-•••••-•••••-•••••-•"


class LicenseHold(models.Model):
    """One source's reason to keep a license suspended, from `placed_at` until it is
    lifted. The license is suspended while any hold is in place (licensing.licenses.
    status); the status it had when the first hold came is kept, so lifting the last one
    knows where to return."""

    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="holds")
    source = models.CharField(max_length=16, choices=HoldSource.choices)
    held_from = models.CharField(
        max_length=16,
        choices=LicenseStatus.choices,
        help_text="The license's status when the first hold in place came.",
    )
    reason = models.TextField()
    placed_at = models.DateTimeField(default=timezone.now)
    placed_by = models.CharField(max_length=200)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=200, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["license", "source"],
                condition=Q(lifted_at__isnull=True),
                name="one_hold_in_place_per_source",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=models.F("placed_at")),
                name="hold_lifted_after_placed",
            ),
        ]
        indexes = [models.Index(fields=["license", "lifted_at"], name="hold_by_license")]

    def __str__(self) -> str:
        state = "lifted" if self.lifted_at else "in place"
        return f"{self.get_source_display()} hold on {self.license} ({state})"


class LicenseAddon(models.Model):
    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="addon_rows")
    addon = models.ForeignKey(Addon, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["license", "addon"], name="addon_once_per_license")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.addon}"


class EntitlementOverride(models.Model):
    """A grant by an admin on one license: a feature, or a different limit (blank value:
    unlimited). It stops counting at `ends_at`, or when revoked."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="overrides")
    feature = models.ForeignKey(
        "licensing.Feature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    metric = models.ForeignKey(
        "licensing.LimitMetric", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    value = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="For a limit: the value to use. Blank: unlimited."
    )
    reason = models.TextField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(feature__isnull=False) & Q(metric__isnull=True))
                | (Q(feature__isnull=True) & Q(metric__isnull=False)),
                name="override_is_feature_or_limit",
            )
        ]

    def __str__(self) -> str:
        return f"Override on {self.license}: {self.feature or self.metric}"

    def clean(self) -> None:
        if not self.reason.strip():
            raise ValidationError({"reason": "Say why; the reason is kept on record."})
        if self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The end must come after the start."})


class EventKind(models.TextChoices):
    CREATED = "created", "License issued"
    STATUS = "status", "Status changed"
    SEATS = "seats", "Seats changed"
    VERSION = "version", "Tier or version changed"
    # Once one overloaded "term" kind; split so the ledger says which (0005 migrated the
    # old rows by what their before and after show).
    TERM_STARTED = "term_started", "New term started"
    TERM_EXTENDED = "term_extended", "Term extended"
    AUTO_RENEW = "auto_renew", "Auto-renew changed"
    ADDON = "addon", "Add-on changed"
    OVERRIDE_GRANTED = "override_granted", "Override granted"
    OVERRIDE_REVOKED = "override_revoked", "Override revoked"
    KEY_ROTATED = "key_rotated", "Key rotated"
    MACHINE_ACTIVATED = "machine_activated", "Machine activated"
    MACHINE_DEACTIVATED = "machine_deactivated", "Machine deactivated"
    # Trials (licensing.trials): the tier and dates are in before/after.
    TRIAL_STARTED = "trial_started", "Trial started"
    TRIAL_EXTENDED = "trial_extended", "Trial extended"
    TRIAL_CONVERTED = "trial_converted", "Trial converted"
    TRIAL_ENDED = "trial_ended", "Trial ended by the customer"
    TRIAL_REVERTED = "trial_reverted", "Trial ended at its end date"


def _append_only(model) -> AppendOnlyError:
    return AppendOnlyError(f"{model._meta.verbose_name_plural.capitalize()} are append-only.")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise _append_only(self.model)

    def delete(self):
        raise _append_only(self.model)


class AppendOnlyModel(models.Model):
    """A row written once, never updated, never deleted (through the ORM; on PostgreSQL a
    trigger refuses it too)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise _append_only(self)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise _append_only(self)


class LedgerEntry(AppendOnlyModel):
    """A ledger row: who changed something, when, why, and what it was before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who, in words, as it was at the time: "olivia@… (owner)", "API token ci (twk_ab12…)".
    actor_label = models.CharField(max_length=200)
    reason = models.TextField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    happened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-happened_at", "-pk"]


class LicenseEvent(LedgerEntry):
    """The ledger: one row per change to a license."""

    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    revision = models.PositiveIntegerField(help_text="The license's revision after the change.")

    class Meta(LedgerEntry.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.license_id} by {self.actor_label}"


class LicenseFile(models.Model):
    """A signed license file as issued. `body` is exactly what is downloaded."""

    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="files")
    serial = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    revision = models.PositiveIntegerField()
    content_digest = models.CharField(
        max_length=64, help_text="SHA-256 of the payload without its dates, to spot no-ops."
    )
    body = models.TextField()
    key_id = models.CharField(max_length=32)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField()

    class Meta:
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return f"License file {self.serial} for {self.license_id}"
