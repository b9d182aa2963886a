"""Saving or deleting a catalog object that is not frozen — a tier (its name, order,
whether it is public), a product, a feature, a limit metric, a currency — starts a new
catalog generation, as publishing does: the cached pricing page and the catalog each
process holds (licensing.catalog.frozen) are read again."""

from django.db.models.signals import post_delete, post_save

from licensing.catalog.cache import catalog_changed
from licensing.models import Currency, Feature, LimitMetric, Product, Tier

MODELS = (Tier, Product, Feature, LimitMetric, Currency)


def _catalog_object_changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):
        return  # loaddata: no cache to tell yet
    catalog_changed()


for model in MODELS:
    post_save.connect(_catalog_object_changed, sender=model, dispatch_uid=f"catalog-{model}")
    post_delete.connect(_catalog_object_changed, sender=model, dispatch_uid=f"catalog-del-{model}")
