"""The test clock's page in the admin (/admin/clock/): where the site's date is, the
business jobs it runs when moved, and a form to move it forward. Admins only; a 404
while the test clock is off, as for any page that does not exist."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from portal import clock
from portal.schedule import JOBS


class AdvanceForm(forms.Form):
    to = forms.DateField(
        label="Move the site's date to",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Forward only, up to 92 days at a time (manage.py clock moves further). "
        "Every business job due on the way runs, in time order.",
    )


# A move runs every hourly job of the way inside one request: a quarter is about ten
# seconds, within the web server's timeout; manage.py clock moves up to three years.
PAGE_LIMIT = timedelta(days=92)


def clock_view(site):
    # Each job commits on its own, as on a worker, not in the request's one transaction.
    @transaction.non_atomic_requests
    def view(request: HttpRequest) -> HttpResponse:
        if not clock.is_simulated() or not request.user.is_admin:
            raise Http404("No such page.")
        form = AdvanceForm(request.POST or None, initial={"to": clock.today()})
        if request.method == "POST" and form.is_valid():
            try:
                runs = clock.advance(
                    to=form.cleaned_data["to"], by=request.user.email, limit=PAGE_LIMIT
                )
            except clock.ClockError as error:
                form.add_error("to", str(error))
            else:
                messages.success(
                    request,
                    f"The site's date is now {clock.today():%-d %B %Y}; "
                    f"{len(runs)} scheduled job runs on the way.",
                )
                return redirect(request.path)
        return TemplateResponse(
            request,
            "admin/test_clock.html",
            {
                **site.each_context(request),
                "title": "Test clock",
                "form": form,
                "jobs": [job for job in JOBS if job.business],
            },
            status=400 if form.errors else 200,
        )

    return view
