from datetime import timedelta

from django import forms
from django.utils import timezone

from licensing.models import TierVersion, VersionStatus
from licensing.services import DEFAULT_NOTICE_DAYS


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
        self.fields["notice_date"].initial = timezone.localdate() + timedelta(
            days=DEFAULT_NOTICE_DAYS
        )

    def clean_notice_date(self):
        value = self.cleaned_data["notice_date"]
        if value < timezone.localdate():
            raise forms.ValidationError("The notice date cannot be in the past.")
        return value
