"""allauth forms we replace (settings.ACCOUNT_FORMS)."""

from allauth.account.adapter import get_adapter
from allauth.account.forms import RequestLoginCodeForm


class LoginCodeRequestForm(RequestLoginCodeForm):
    """Asking for a sign-in code by email. allauth's form skips the adapter's
    clean_email, which its other forms call and where an address too long to store is
    refused; this one mails even an unknown address (through the outbox), so it calls
    it too."""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email:
            get_adapter().clean_email(email)
        return super().clean_email()
