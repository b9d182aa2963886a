"""The account manager's workspace: the book of accounts (/manage/), its CSV export, and
one account's page. Account managers see the organizations assigned to them; admins see
every organization and may filter by manager. Sorting and filtering are a plain GET form,
so they work without JavaScript."""

from __future__ import annotations

import csv

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing.accounts import selectors
from billing.accounts.signals import LABELS, Signal
from billing.models import Invoice, ProposalVersion, SubscriptionEvent
from billing.proposals.selectors import proposals_for, rows
from billing.proposals.services import OPEN
from licensing.licenses.selectors import license_panel
from licensing.trials.selectors import trial_summary
from portal import clock
from portal.access import get_organization_for_manager, require_account_manager
from portal.models import ACCOUNT_MANAGERS_GROUP, User

UNASSIGNED = "none"
SORTS = {
    "name": "Name",
    "arr": "ARR",
    "renewal": "Renewal date",
    "days": "Days to go",
    "overdue": "Overdue",
}
# How many ledger events and invoices the account page lists, newest first.
ACCOUNT_PAGE_ROWS = 50


class BookForm(forms.Form):
    """The book's filters and order, from the query string; all optional."""

    signal = forms.ChoiceField(
        required=False,
        choices=[("", "Any signal"), *((s.value, LABELS[s]) for s in Signal)],
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            *((key, f"{label}, ascending") for key, label in SORTS.items()),
            *((f"-{key}", f"{label}, descending") for key, label in SORTS.items()),
        ],
    )
    manager = forms.ChoiceField(required=False, label="Account manager")

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.is_admin = user.is_admin
        if self.is_admin:
            managers = User.objects.filter(
                is_staff=True, groups__name=ACCOUNT_MANAGERS_GROUP
            ).order_by("first_name", "last_name", "email")
            self.fields["manager"].choices = [
                ("", "Every manager"),
                (UNASSIGNED, "No manager"),
                *((str(m.pk), m.display_name) for m in managers),
            ]
        else:
            del self.fields["manager"]


def _sort_key(name: str):
    """A row's key for `name`; rows without the figure (no plan, no ARR) go last."""
    keys = {
        "name": lambda row: row.organization.name.casefold(),
        # No exchange rates: by currency, then by amount within it.
        "arr": lambda row: (row.arr[0].currency, row.arr[0].amount) if row.arr else None,
        "renewal": lambda row: row.renews_on,
        "days": lambda row: row.days_to_go,
        "overdue": lambda row: (row.invoices.overdue_count, row.organization.name.casefold()),
    }
    return keys[name]


def sorted_rows(rows: list, sort: str) -> list:
    descending = sort.startswith("-")
    key = _sort_key(sort.lstrip("-") or "name")
    known = sorted((r for r in rows if key(r) is not None), key=key, reverse=descending)
    return known + [r for r in rows if key(r) is None]


def _book(request: HttpRequest):
    """The rows the query string asks for, its form, and the status to answer with: 400
    with the form's message on a bad parameter (the book then shows unfiltered)."""
    require_account_manager(request.user)
    form = BookForm(request.GET, user=request.user)
    valid = form.is_valid()
    params = form.cleaned_data if valid else {}
    manager = params.get("manager", "")
    if not form.is_admin:
        organizations = selectors.book_organizations(manager_id=request.user.pk)
    elif manager == UNASSIGNED:
        organizations = selectors.book_organizations(unassigned=True)
    else:
        organizations = selectors.book_organizations(manager_id=int(manager) if manager else None)
    at = clock.now()
    rows = selectors.book_rows(organizations, at=at)
    signal = params.get("signal")
    if signal:
        rows = [row for row in rows if row.has(signal)]
    sort = params.get("sort") or "name"
    return sorted_rows(rows, sort), form, sort, (200 if valid else 400), at


def _sort_links(request: HttpRequest, sort: str) -> dict[str, dict]:
    """Per sortable column: the link that sorts by it (the other way when it already
    does) and its aria-sort state."""
    links = {}
    for key in SORTS:
        query = request.GET.copy()
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        query["sort"] = f"-{key}" if current and not descending else key
        links[key] = {
            "href": f"?{query.urlencode()}",
            "aria_sort": ("descending" if descending else "ascending") if current else "none",
        }
    return links


@login_required
@require_GET
def accounts(request: HttpRequest) -> HttpResponse:
    """The book of accounts: per organization what it pays, when it renews, what it owes,
    uses and tries, and the signals that it is ready for a renewal or an upgrade."""
    rows, form, sort, status, at = _book(request)
    return render(
        request,
        "portal/manage/accounts.html",
        {
            "rows": rows,
            "form": form,
            "sort": sort,
            "sorting": _sort_links(request, sort),
            "query": request.GET.urlencode(),
            "arr_totals": selectors.arr_totals(rows),
            "today": timezone.localdate(at),
            "signal_labels": LABELS,
            "open_proposals": _with_open_proposals(rows),
        },
        status=status,
    )


def _with_open_proposals(rows) -> set[int]:
    """The ids of the rows' organizations with a proposal still open (being prepared or
    with the customer): one query whatever the number of rows."""
    return set(
        ProposalVersion.objects.filter(
            proposal__organization_id__in=[row.organization.pk for row in rows],
            status__in=OPEN,
        ).values_list("proposal__organization_id", flat=True)
    )


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet will not read as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _amounts(amounts) -> str:
    return "; ".join(f"{money.amount} {money.currency}" for money in amounts)


CSV_COLUMNS = [
    "Organization",
    "Account manager",
    "Plans",
    "Legacy",
    "Seats bought",
    "Seats used",
    "ARR",
    "Renews on",
    "Days to go",
    "Price locked until",
    "Open invoices",
    "Open amount",
    "Overdue invoices",
    "Overdue amount",
    "Trials running",
    "Signals",
]


@login_required
@require_GET
def accounts_csv(request: HttpRequest) -> HttpResponse:
    """The book's rows as CSV, with the same filters and order as the page."""
    rows, form, _, status, _ = _book(request)
    if status != 200:
        message = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="accounts.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        plans = row.plans
        manager = row.organization.account_manager
        writer.writerow(
            [
                _cell(row.organization.name),
                _cell(manager.email) if manager else "",
                "; ".join(
                    f"{p.license.version.tier.name} v{p.license.version.number}" for p in plans
                ),
                "yes" if any(p.is_legacy for p in plans) else "no",
                sum(p.license.seats for p in plans) if plans else "",
                sum(p.seats_used or 0 for p in plans) if plans else "",
                _amounts(row.arr),
                row.renews_on.isoformat() if row.renews_on else "",
                "" if row.days_to_go is None else row.days_to_go,
                "; ".join(
                    p.subscription.price_locked_until.isoformat()
                    for p in plans
                    if p.subscription and p.subscription.price_locked_until
                ),
                row.invoices.open_count,
                _amounts(row.invoices.open_amounts),
                row.invoices.overdue_count,
                _amounts(row.invoices.overdue_amounts),
                "; ".join(t.trial.tier.name for t in row.trials),
                "; ".join(found.label for found in row.signals),
            ]
        )
    return response


@login_required
@require_GET
def account(request: HttpRequest, organization_id: int) -> HttpResponse:
    """One account: its plans with their usage charts (the dashboard's), the commercial
    ledger, invoices and trials."""
    organization = get_organization_for_manager(request.user, organization_id)
    at = clock.now()
    [row] = selectors.book_rows(selectors.book_organizations().filter(pk=organization.pk), at=at)
    panels = [license_panel(license=plan.license, at=at) for plan in row.plans]
    events = (
        SubscriptionEvent.objects.filter(subscription__license__organization=organization)
        .select_related("version__tier", "subscription")
        .order_by("-effective_at", "-pk")[:ACCOUNT_PAGE_ROWS]
    )
    invoices = Invoice.objects.filter(organization=organization).order_by("-issued_on", "-pk")[
        :ACCOUNT_PAGE_ROWS
    ]
    trials = organization.trials.select_related("tier", "license", "license__version__tier")
    today = timezone.localdate(at)
    return render(
        request,
        "portal/manage/account.html",
        {
            "organization": organization,
            "row": row,
            "plans": list(zip(row.plans, panels, strict=True)),
            "events": events,
            "invoices": [
                (invoice, invoice.is_overdue(today), invoice.money("total")) for invoice in invoices
            ],
            # Every trial with its summary, as it ran: a closed trial keeps its figures.
            "trials": [(trial, trial_summary(trial, at)) for trial in trials],
            "memberships": organization.memberships.select_related("user").order_by("role", "pk"),
            "proposal_rows": rows(
                proposals_for(request.user)
                .filter(organization=organization)
                .order_by("-pk")[:ACCOUNT_PAGE_ROWS]
            ),
            "today": today,
        },
    )
