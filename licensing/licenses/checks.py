from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from licensing.licenses.signing import _load_private_key


@register(Tags.security, deploy=True)
def check_license_signing_key(app_configs, **kwargs) -> list[Error]:
    """A deployment without a signing key would fail only when the first license file
    is issued; say so at deploy time instead."""
    if not settings.LICENSE_SIGNING_KEY:
        if settings.LICENSE_SIGNING_KEY_DEV_FILE:
            return []
        return [
            Error(
                "LICENSE_SIGNING_KEY is not set: license files cannot be signed.",
                hint="Generate an Ed25519 key (see README, 'License files') and set it.",
                id="licensing.E001",
            )
        ]
    try:
        _load_private_key(settings.LICENSE_SIGNING_KEY)
    except (ImproperlyConfigured, ValueError) as exc:
        return [Error(f"LICENSE_SIGNING_KEY is unusable: {exc}", id="licensing.E002")]
    return []
