"""Saving or deleting a catalog object that is not frozen — a tier (its name, order,
whether it is public), a product, a feature, a limit metric, a currency — starts a new
catalog generation, as publishing does: the cached pricing page and the catalog each
process holds (licensing.catalog.frozen) are read again. And a bought add-on's features
stay as they were bought (licensing.models.licenses.refuse_if_bought), and a feature's or
limit metric's key stays once it is in use (licensing.models.licenses.refuse_key_change_if_used)."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from licensing.catalog.cache import catalog_changed
from licensing.models import Addon, Currency, Feature, LimitMetric, Product, Tier
from licensing.models.licenses import (
    BoughtAddonError,
    bought_addons_with,
    refuse_if_bought,
    refuse_key_change_if_used,
)

MODELS = (Tier, Product, Feature, LimitMetric, Currency)


def _catalog_object_changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):
        return  # loaddata: no cache to tell yet
    catalog_changed()


for model in MODELS:
    post_save.connect(_catalog_object_changed, sender=model, dispatch_uid=f"catalog-{model}")
    post_delete.connect(_catalog_object_changed, sender=model, dispatch_uid=f"catalog-del-{model}")


def _addon_features_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """A bought add-on's features are frozen with the rest of what it grants
    (licensing.models.licenses.refuse_if_bought), whichever side the change comes from."""
    if not action.startswith("pre_"):
        return
    if not reverse:
        refuse_if_bought(instance.pk)
    elif action == "pre_clear":
        for addon in Addon.objects.filter(features=instance):
            refuse_if_bought(addon.pk)
    else:
        for addon_id in pk_set or ():
            refuse_if_bought(addon_id)


m2m_changed.connect(
    _addon_features_changed, sender=Addon.features.through, dispatch_uid="addon-features-frozen"
)


def _feature_deleted(sender, instance, **kwargs) -> None:
    """Deleting a feature removes it from the add-ons that grant it, without an
    m2m_changed: a bought add-on's feature stays (the admin shows it as protected)."""
    addons = bought_addons_with([instance.pk])
    if addons:
        names = ", ".join(addon.name for addon in addons)
        raise BoughtAddonError(
            f"{instance.name} is granted by bought add-ons ({names}): it cannot be deleted."
        )


pre_delete.connect(_feature_deleted, sender=Feature, dispatch_uid="feature-of-bought-addon")


def _keyed_saving(sender, instance, raw=False, **kwargs) -> None:
    """License files and the API name a feature or limit metric by its key: once it is in
    use, the key stays (the admin shows it read-only, with why)."""
    if raw:
        return  # loaddata: the rows are written as they were
    refuse_key_change_if_used(instance)


pre_save.connect(_keyed_saving, sender=Feature, dispatch_uid="feature-key-in-use")
pre_save.connect(_keyed_saving, sender=LimitMetric, dispatch_uid="metric-key-in-use")
