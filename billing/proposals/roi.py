"""The ROI inputs a proposal version keeps when no saved scenario is chosen: the
customer's numbers, validated by the calculator's own form (billing.roi.forms.RoiForm)
and kept as its query, exactly as a saved scenario keeps them."""

from __future__ import annotations

from django.http import QueryDict

from billing.roi.forms import RoiForm, initial_query
from billing.roi.selectors import roi_catalog


class RoiInputsInvalid(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


def validated_roi_inputs(inputs: dict[str, str] | QueryDict) -> dict[str, str]:
    """The calculator's validated query for `inputs` (the calculator's defaults for any
    input left out), or RoiInputsInvalid naming each field that is wrong."""
    catalog = roi_catalog()
    products = catalog.products
    product = inputs.get("product") or (products[0][0] if products else "")
    if product not in dict(products):
        raise RoiInputsInvalid({"product": "Choose one of the products in the calculator."})
    tiers = catalog.tiers_of(product)
    data = initial_query(
        tiers,
        product=product,
        currency=catalog.currencies[0] if catalog.currencies else "",
        team_size=10,
    )
    data.update({key: inputs[key] for key in inputs if key in data})
    form = RoiForm(data, tiers=tiers, currencies=catalog.currencies, products=products)
    if not form.is_valid():
        raise RoiInputsInvalid({name: " ".join(messages) for name, messages in form.errors.items()})
    return form.query()
