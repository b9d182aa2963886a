"""Forms behind the admin's operations: publishing and retiring catalog versions, and the
license operations. Each one only parses and checks input; the change itself is a
service call (licensing.catalog.publishing, licensing.licenses.services), so the ledger
row, the new license file and the cache invalidation happen exactly as they do
everywhere else."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django import forms

from licensing.catalog.publishing import DEFAULT_NOTICE_DAYS
from licensing.licenses.services import MAX_EXTENSION_YEARS, latest_extension
from licensing.models import (
    Addon,
    EntitlementOverride,
    Feature,
    License,
    LimitMetric,
    TierVersion,
    VersionStatus,
)
from portal import clock


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Kept in the license's ledger: say why, for whoever reads it next.",
    )

    def __init__(self, *args, license: License | None, **kwargs) -> None:
        # None when one reason covers several licenses (the changelist's bulk actions).
        super().__init__(*args, **kwargs)
        self.license = license


class SeatsForm(ReasonForm):
    seats = forms.IntegerField(min_value=1, max_value=1_000_000, label="Seats")
    field_order = ["seats", "reason"]

    def __init__(self, *args, license: License, **kwargs) -> None:
        super().__init__(*args, license=license, **kwargs)
        self.fields["seats"].initial = license.seats


def end_of_day(day) -> datetime:
    """An end date means "through that day": the override stops at the next midnight
    (UTC), the same rule as a license term."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


class OverrideForm(ReasonForm):
    feature = forms.ModelChoiceField(
        queryset=Feature.objects.none(), required=False, help_text="Grant a feature…"
    )
    metric = forms.ModelChoiceField(
        queryset=LimitMetric.objects.none(),
        required=False,
        label="Limit",
        help_text="…or set a limit to a different value.",
    )
    value = forms.IntegerField(
        min_value=0,
        max_value=10**15,
        required=False,
        help_text="For a limit: the value it is raised to (an override never lowers the "
        "plan's limit, nor what an upgrade grants later). Blank: unlimited.",
    )
    ends_on = forms.DateField(
        required=False,
        label="Last day (optional)",
        help_text="The override stops counting at the end of this day (UTC). Blank: no end.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    field_order = ["feature", "metric", "value", "ends_on", "reason"]

    def __init__(self, *args, license: License, **kwargs) -> None:
        super().__init__(*args, license=license, **kwargs)
        self.fields["feature"].queryset = Feature.objects.filter(product_id=license.product_id)
        self.fields["metric"].queryset = LimitMetric.objects.filter(product_id=license.product_id)

    def clean_ends_on(self):
        ends_on = self.cleaned_data["ends_on"]
        if ends_on is not None and ends_on < clock.now().astimezone(UTC).date():
            raise forms.ValidationError("The end date is in the past.")
        return ends_on

    def clean(self):
        data = super().clean()
        feature, metric = data.get("feature"), data.get("metric")
        if (feature is None) == (metric is None) and not self.has_error("feature"):
            if feature is None:
                raise forms.ValidationError("Choose a feature or a limit to grant.")
            raise forms.ValidationError("Choose either a feature or a limit, not both.")
        if feature is not None and data.get("value") is not None:
            self.add_error("value", "A value applies to a limit, not to a feature.")
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        ends_on = data["ends_on"]
        return {
            "feature": data["feature"],
            "metric": data["metric"],
            "value": data["value"],
            "ends_at": end_of_day(ends_on) if ends_on else None,
        }


class OverrideRevokeForm(ReasonForm):
    override = forms.ModelChoiceField(queryset=EntitlementOverride.objects.none())
    field_order = ["override", "reason"]

    def __init__(self, *args, license: License, **kwargs) -> None:
        super().__init__(*args, license=license, **kwargs)
        self.fields["override"].queryset = license.overrides.filter(
            revoked_at__isnull=True
        ).select_related("feature", "metric")
        self.fields["override"].label_from_instance = _describe_override


def _describe_override(override: EntitlementOverride) -> str:
    if override.feature:
        granted = f"feature {override.feature.name}"
    else:
        value = "unlimited" if override.value is None else f"{override.value:,}"
        granted = f"{override.metric.name}: {value}"
    until = f", until {override.ends_at:%Y-%m-%d %H:%M} UTC" if override.ends_at else ""
    return f"{granted}{until} ({override.reason[:60]})"


class AddonForm(ReasonForm):
    addon = forms.ModelChoiceField(queryset=Addon.objects.none(), label="Add-on")
    quantity = forms.IntegerField(
        min_value=0, max_value=10_000, help_text="Units the license has; 0 removes the add-on."
    )
    field_order = ["addon", "quantity", "reason"]

    def __init__(self, *args, license: License, **kwargs) -> None:
        super().__init__(*args, license=license, **kwargs)
        self.fields["addon"].queryset = Addon.objects.filter(product_id=license.product_id)


class VersionForm(ReasonForm):
    version = forms.ModelChoiceField(
        queryset=TierVersion.objects.none(),
        label="Move to",
        help_text="A published version of this product (an upgrade, a downgrade, or leaving "
        "a legacy version).",
    )
    field_order = ["version", "reason"]

    def __init__(self, *args, license: License, **kwargs) -> None:
        super().__init__(*args, license=license, **kwargs)
        self.fields["version"].queryset = (
            TierVersion.objects.filter(
                tier__product_id=license.product_id, status=VersionStatus.PUBLISHED
            )
            .exclude(pk=license.version_id)
            .select_related("tier")
        )


class RenewForm(ReasonForm):
    term_end = forms.DateField(
        label="New last day of the term", widget=forms.DateInput(attrs={"type": "date"})
    )
    field_order = ["term_end", "reason"]

    def clean_term_end(self):
        term_end = self.cleaned_data["term_end"]
        if term_end <= self.license.term_end:
            raise forms.ValidationError(
                f"A renewal extends the term: pick a day after {self.license.term_end}."
            )
        latest = latest_extension(self.license)
        if term_end > latest:
            raise forms.ValidationError(
                f"An extension runs at most {MAX_EXTENSION_YEARS} years past the current "
                f"last day: pick {latest:%-d %B %Y} or earlier."
            )
        return term_end


class PublishForm(forms.Form):
    notice_days = forms.IntegerField(
        min_value=0,
        max_value=3650,
        initial=DEFAULT_NOTICE_DAYS,
        label="Notice for customers on the version it replaces (days)",
    )


class RetireForm(forms.Form):
    successor = forms.ModelChoiceField(
        queryset=TierVersion.objects.none(),
        label="Suggested successor",
        help_text="The published version customers on the retired one are invited to move to.",
    )
    notice_date = forms.DateField(
        label="Guaranteed until",
        help_text="Customers on the retired version keep it at least until this date.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, excluded_tier_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = (
            TierVersion.objects.filter(status=VersionStatus.PUBLISHED, tier__is_public=True)
            .exclude(tier_id__in=excluded_tier_ids)
            .select_related("tier")
        )
        self.fields["notice_date"].initial = clock.today() + timedelta(days=DEFAULT_NOTICE_DAYS)

    def clean_notice_date(self):
        value = self.cleaned_data["notice_date"]
        if value < clock.today():
            raise forms.ValidationError("The notice date cannot be in the past.")
        return value
