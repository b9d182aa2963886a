"""The catalog: products, features, limit metrics, tiers and their versions.

A TierVersion is the definition customers buy: features, limits, support and prices.
Published versions are frozen; changing a tier means publishing a new version, and
customers on an older one keep it (licenses point at a TierVersion, not at a Tier).
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import is_currency
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from billing.money import Money
from billing.pricing import BillingCycle, SeatPrice


class FrozenVersionError(ValidationError):
    """Raised when something tries to change a published or retired version."""


class Currency(models.Model):
    """A currency prices can be set in. Enabled ones are offered on the pricing page and
    every public tier must be priced in each of them before it can be published."""

    code = models.CharField(
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use the three-letter ISO code, e.g. EUR.")],
    )
    name = models.CharField(max_length=60)
    enabled = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "code"]
        verbose_name_plural = "currencies"

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if self.code and not is_currency(self.code):
            raise ValidationError({"code": f"{self.code} is not an ISO 4217 currency code."})


class Product(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.CharField(max_length=240, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


def validate_key_unique_ignoring_case(instance: Feature | LimitMetric, exclude=None) -> None:
    """A product's feature (or limit metric) keys differ ignoring case: "SSO" beside "sso"
    would look like one key to a person and two to the database, and which one a license
    file or usage report means would be a guess. (The constraint below is case-sensitive;
    this is checked wherever the model is validated, as the admin's form does.)"""
    exclude = exclude or ()
    if "key" in exclude or "product" in exclude or not instance.key or not instance.product_id:
        return
    model = type(instance)
    taken = (
        model.objects.filter(product_id=instance.product_id, key__iexact=instance.key)
        .exclude(pk=instance.pk)
        .values_list("key", flat=True)
        .first()
    )
    if taken is not None:
        noun = model._meta.verbose_name
        raise ValidationError(
            {
                "key": f"This product already has a {noun} with the key {taken!r}; keys must "
                "differ by more than upper and lower case."
            }
        )


class FeatureCategory(models.TextChoices):
    CORE = "core", "Core"
    EXTENDED = "extended", "Extended"
    PREMIUM = "premium", "Premium"


class Feature(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="features")
    key = models.SlugField(max_length=60, help_text="Stable identifier used by the API.")
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=16, choices=FeatureCategory.choices)
    outcome = models.CharField(
        max_length=200, help_text="One line: what the customer can achieve with it."
    )
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["product", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "key"], name="feature_key_per_product")
        ]

    def __str__(self) -> str:
        return self.name

    def validate_unique(self, exclude=None) -> None:
        super().validate_unique(exclude)
        validate_key_unique_ignoring_case(self, exclude)


class ResetPeriod(models.TextChoices):
    NEVER = "never", "Does not reset"
    MONTHLY = "monthly", "Resets monthly"
    ANNUALLY = "annually", "Resets yearly"


class LimitMetric(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="metrics")
    key = models.SlugField(max_length=60, help_text="Stable identifier used by usage reports.")
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=30, help_text="Plural unit, e.g. seats, calls, GB.")
    reset_period = models.CharField(
        max_length=16, choices=ResetPeriod.choices, default=ResetPeriod.NEVER
    )
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["product", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "key"], name="metric_key_per_product")
        ]

    def __str__(self) -> str:
        return self.name

    def validate_unique(self, exclude=None) -> None:
        super().validate_unique(exclude)
        validate_key_unique_ignoring_case(self, exclude)


class Tier(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="tiers")
    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    tagline = models.CharField(max_length=160, help_text="The outcome this tier is for.")
    is_public = models.BooleanField(
        "public", default=True, help_text="Shown on the pricing page and open to comparison."
    )
    is_highlighted = models.BooleanField(
        "highlighted", default=False, help_text="Marked as the most popular choice."
    )
    trial_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="How many days a customer may try this tier, once; blank: no trial.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["product", "order", "name"]

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


# The fields that define what a customer buys; none of them changes once published.
DEFINITION_FIELDS = (
    "tier_id",
    "number",
    "support_level",
    "support_response_hours",
    "support_channels",
    "named_account_manager",
    "training",
    "roi_hours_saved_per_person_week",
    "roi_errors_avoided_per_year",
    "changelog_note",
)


HOURS_IN_A_WEEK = 168


class TierVersion(models.Model):
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(editable=False)
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT, editable=False
    )
    features = models.ManyToManyField(
        Feature, through="TierVersionFeature", related_name="tier_versions", blank=True
    )
    support_level = models.CharField(max_length=60, help_text="e.g. Standard, Priority, Premier.")
    support_response_hours = models.PositiveSmallIntegerField(
        "first response within (hours)",
        validators=[MinValueValidator(1)],
        help_text="Business hours to the first human reply.",
    )
    support_channels = models.CharField(
        max_length=120, help_text="Comma-separated, e.g. Email, Chat, Phone."
    )
    named_account_manager = models.BooleanField(default=False)
    training = models.CharField(
        max_length=120, blank=True, help_text="e.g. Onboarding session. Blank: documentation only."
    )
    roi_hours_saved_per_person_week = models.DecimalField(
        "ROI: hours saved per person a week",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Default for the ROI calculator; customers can change it.",
    )
    roi_errors_avoided_per_year = models.DecimalField(
        "ROI: errors or incidents avoided a year",
        max_digits=7,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Default for the ROI calculator; customers supply their own cost per error.",
    )
    changelog_note = models.TextField(
        "reason for this version",
        blank=True,
        help_text="Why this version exists. Published in the changelog; required to publish.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    notice_date = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="Retired versions: the date until which customers on it are guaranteed it.",
    )
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        editable=False,
        help_text="Retired versions: the suggested version to move to.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["tier__product", "tier__order", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "number"], name="version_number_per_tier"),
            models.UniqueConstraint(
                fields=["tier"],
                condition=models.Q(status="published"),
                name="one_published_version_per_tier",
            ),
            models.UniqueConstraint(
                fields=["tier"],
                condition=models.Q(status="draft"),
                name="one_draft_version_per_tier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tier.name} v{self.number} ({self.get_status_display().lower()})"

    def save(self, *args, **kwargs) -> None:
        if self.number is None and self.tier_id:
            # Services assign numbers under a lock on the tier; this covers the admin's
            # plain "add" form, where the unique constraint still catches a race.
            latest = TierVersion.objects.filter(tier_id=self.tier_id).aggregate(
                n=models.Max("number")
            )["n"]
            self.number = (latest or 0) + 1
        if self.pk:
            stored = (
                TierVersion.objects.filter(pk=self.pk).values("status", *DEFINITION_FIELDS).first()
            )
            if stored and stored["status"] != VersionStatus.DRAFT:
                changed = [f for f in DEFINITION_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise FrozenVersionError(
                        f"{self} is {stored['status']} and cannot be edited. Start a new draft "
                        "from it instead."
                    )
        super().save(*args, **kwargs)

    def clean(self) -> None:
        hours = self.roi_hours_saved_per_person_week
        if hours is not None and hours > HOURS_IN_A_WEEK:
            raise ValidationError(
                {
                    "roi_hours_saved_per_person_week": (
                        f"A week has {HOURS_IN_A_WEEK} hours; enter the hours a person saves "
                        "in one."
                    )
                }
            )

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def channels(self) -> list[str]:
        return [part.strip() for part in self.support_channels.split(",") if part.strip()]


class _VersionPart(models.Model):
    """A row that belongs to a version's definition: frozen with it."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self._check_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_draft()
        return super().delete(*args, **kwargs)

    def _check_draft(self) -> None:
        status = TierVersion.objects.filter(pk=self.version_id).values_list("status", flat=True)
        if status and status[0] != VersionStatus.DRAFT:
            raise FrozenVersionError(
                "This version is no longer a draft; start a new draft to change it."
            )


class TierVersionFeature(_VersionPart):
    version = models.ForeignKey(TierVersion, on_delete=models.CASCADE, related_name="feature_rows")
    feature = models.ForeignKey(Feature, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["feature__order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "feature"], name="feature_once_per_version")
        ]

    def __str__(self) -> str:
        return str(self.feature)

    def clean(self) -> None:
        if (
            self.version_id
            and self.feature_id
            and (self.feature.product_id != self.version.tier.product_id)
        ):
            raise ValidationError({"feature": "This feature belongs to another product."})


def validate_thresholds(value: str) -> None:
    try:
        parse_thresholds(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def parse_thresholds(value: str) -> list[int]:
    """ "80, 100" → [80, 100]: whole percentages between 1 and 100, rising."""
    parts = [part.strip() for part in value.split(",") if part.strip()]
    try:
        numbers = [int(part) for part in parts]
    except ValueError as exc:
        raise ValueError("Warning thresholds are whole percentages separated by commas.") from exc
    if any(not 1 <= n <= 100 for n in numbers):
        raise ValueError("Each warning threshold is a percentage between 1 and 100.")
    if numbers != sorted(set(numbers)):
        raise ValueError("List warning thresholds once each, lowest first (e.g. 80, 100).")
    return numbers


class TierVersionLimit(_VersionPart):
    version = models.ForeignKey(TierVersion, on_delete=models.CASCADE, related_name="limit_rows")
    metric = models.ForeignKey(LimitMetric, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveBigIntegerField(null=True, blank=True, help_text="Blank: unlimited.")
    warning_thresholds = models.CharField(
        max_length=40,
        default="80,100",
        validators=[validate_thresholds],
        help_text="Percentages of the limit at which the customer is warned.",
    )
    grace_percent = models.PositiveSmallIntegerField(
        default=10,
        validators=[MaxValueValidator(100)],
        help_text="How far over the limit (percent) usage may go before anything is blocked.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["metric__order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "metric"], name="metric_once_per_version")
        ]

    def __str__(self) -> str:
        value = "unlimited" if self.value is None else f"{self.value:,}"
        return f"{self.metric}: {value}"

    @property
    def thresholds(self) -> list[int]:
        return parse_thresholds(self.warning_thresholds)

    def clean(self) -> None:
        if (
            self.version_id
            and self.metric_id
            and (self.metric.product_id != self.version.tier.product_id)
        ):
            raise ValidationError({"metric": "This metric belongs to another product."})


class TierVersionPrice(_VersionPart):
    version = models.ForeignKey(TierVersion, on_delete=models.CASCADE, related_name="price_rows")
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, to_field="code", db_column="currency", related_name="+"
    )
    cycle = models.CharField(max_length=16, choices=BillingCycle.choices)
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Monthly: the price of one month. Annual: the price of a whole year. "
        "Per seat: the price of one seat for that time.",
    )
    per_seat = models.BooleanField(
        default=False, help_text="Charged per seat bought; otherwise flat for the tier."
    )
    min_seats = models.PositiveIntegerField(
        "minimum seats",
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Per seat: the fewest seats billed. The tier's seat limit is the most.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["currency__order", "cycle"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "currency", "cycle"], name="price_once_per_currency_cycle"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="price_not_negative"),
            models.CheckConstraint(
                condition=models.Q(min_seats__gte=1), name="price_min_seats_positive"
            ),
        ]

    def __str__(self) -> str:
        if self.amount is None or self.min_seats is None or self.min_seats < 1:
            # A row being edited with a value its form refuses (the admin redraws it).
            return f"{self.currency_id or 'New'} {self.cycle or ''} price".replace("  ", " ")
        return self.seat_price.describe()

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency_id)

    @property
    def seat_price(self) -> SeatPrice:
        return SeatPrice(
            amount=self.money, cycle=self.cycle, per_seat=self.per_seat, min_seats=self.min_seats
        )

    def clean(self) -> None:
        if self.min_seats is not None and self.min_seats < 1:
            raise ValidationError({"min_seats": "A price bills at least one seat."})
        if not self.per_seat:
            if self.min_seats != 1:
                raise ValidationError(
                    {"min_seats": "A flat price has no minimum; leave it at 1 or charge per seat."}
                )
            return
        if self.version_id is None or self.min_seats is None:
            return
        limit = seat_limit(self.version)
        if limit is not None and self.min_seats > limit:
            raise ValidationError(
                {"min_seats": f"The tier allows at most {limit} seats; the minimum cannot be more."}
            )


def seat_limit(version: TierVersion) -> int | None:
    """The most seats one license on `version` can buy; None: no limit. Uses prefetched
    limit rows when they are there."""
    for row in version.limit_rows.all():
        if row.metric.key == "seats":
            return row.value
    return None
