from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter, get_current_site
from allauth.account.utils import get_next_redirect_url
from allauth.core import context as allauth_context
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from portal.emails import queue_email
from portal.http import client_address
from portal.models import PENDING_PLAN_SESSION_KEY, PendingPlan, PendingPlanKind

# How emails name the site (allauth's default is the host the request came in on).
SITE_NAME = "Tierwise"

EMAIL_MAX_LENGTH = app_settings.EMAIL_MAX_LENGTH  # the size of every email column


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's emails as usual, but deliver them through the outbox and the
        worker like every other email, so a slow SMTP server never stalls a page. They
        name the site (not the host a request came in on) and, for a new account, the
        plan its owner chose before signing up."""
        request = allauth_context.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": self._site(request),
            "site_name": SITE_NAME,
            "site_url": settings.SITE_URL,
        }
        ctx.update(context)
        if context.get("activate_url"):
            # The HTML layout's button (templates/emails/_layout.html).
            ctx |= {"action_url": context["activate_url"], "action_label": "Confirm your email"}
        user = context.get("user")
        if getattr(user, "pk", None):
            ctx["pending_plan"] = PendingPlan.objects.filter(user=user).first()
        message = self.render_mail(template_prefix, email, ctx)
        html = next(
            (
                content
                for content, mimetype in getattr(message, "alternatives", [])
                if mimetype == "text/html"
            ),
            "",
        )
        queue_email(to=email, subject=message.subject, body_text=message.body, body_html=html)

    def save_user(self, request, user, form, commit=True):
        """Sign-up: the plan chosen on the pricing page (kept in the session by
        /app/buy/, or the trial by /pricing/try/<tier>/) goes onto the new account, so
        it outlives this browser."""
        user = super().save_user(request, user, form, commit)
        chosen = request.session.get(PENDING_PLAN_SESSION_KEY) if request else None
        if commit and chosen:
            PendingPlan.objects.update_or_create(
                user=user,
                defaults={
                    "query": chosen["query"],
                    "label": chosen["label"],
                    "kind": chosen.get("kind", PendingPlanKind.PURCHASE),
                },
            )
        return user

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        """The confirmation link keeps where the visitor was going (the plan chosen on the
        pricing page): the same browser is signed in and sent on there by allauth; a link
        opened elsewhere confirms, asks to sign in, and then goes on there."""
        url = super().get_email_confirmation_url(request, emailconfirmation)
        going = get_next_redirect_url(request) if request is not None else None
        if not going:
            return url
        sign_in = f"{reverse('account_login')}?{urlencode({'next': going})}"
        return f"{url}?{urlencode({'next': sign_in})}"

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's rate limits count, read as the licensing API reads it.
        (allauth's own reading answers a 500 when X-Forwarded-For is shorter than the
        trusted proxy count; this one falls back to the connecting address.)"""
        address = client_address(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address

    def clean_email(self, email: str) -> str:
        """An address longer than the database keeps (254 characters, which is also the
        longest a mail server takes) is refused with a form error. allauth's email fields
        set no maximum: sign-up cut such an address short silently, and adding one or
        asking a password reset for one failed to store it (a 500)."""
        MaxLengthValidator(EMAIL_MAX_LENGTH)(email)
        return super().clean_email(email)

    @staticmethod
    def _site(request: HttpRequest | None):
        return get_current_site(request)
