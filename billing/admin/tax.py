"""The tax rate table in the admin, versioned like prices: a rate in force is read-only
and stays (a change of rate is a new row from a later day); a rate not yet in force may
be corrected or withdrawn. Each change is kept in the table's history, with who made
it."""

from django import forms
from django.contrib import admin

from billing.models import TaxRate
from billing.tax.countries import countries
from portal import clock
from portal.admin_history import HistoryAdmin


class InForce(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", "In force (read-only)"), ("no", "From a later day")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(effective_from__lte=clock.today())
        if self.value() == "no":
            return queryset.filter(effective_from__gt=clock.today())
        return queryset


class CountryChoiceField(forms.ChoiceField):
    """An ISO 3166-1 country from a list; "de" typed or posted is taken as DE."""

    def to_python(self, value) -> str:
        return super().to_python(value).strip().upper()


class TaxRateForm(forms.ModelForm):
    country = CountryChoiceField()

    class Meta:
        model = TaxRate
        fields = ["country", "rate", "effective_from", "note"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [
            ("", "Choose a country"),
            *((code, f"{name} ({code})") for code, name in countries().items()),
        ]


@admin.register(TaxRate)
class TaxRateAdmin(HistoryAdmin):
    form = TaxRateForm
    list_display = ["country", "rate", "effective_from", "note"]
    list_filter = [InForce, "country"]
    search_fields = ["country", "note"]
    date_hierarchy = "effective_from"
    fields = ["country", "rate", "effective_from", "note"]

    def _in_force(self, obj) -> bool:
        return obj is not None and obj.in_force_on(clock.today())

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not self._in_force(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not self._in_force(obj)
