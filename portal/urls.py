from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path

from portal.errors import api_not_found
from portal.views import (
    billing_details,
    cards,
    catalog,
    checkout,
    invitations,
    invoices,
    licenses,
    manage,
    organizations,
    proposal_downloads,
    proposals_customer,
    proposals_staff,
    proration,
    roi,
    site,
    subscriptions,
    trials,
)

# The admin signs in through allauth, so rate limits and two-factor apply there too.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Tierwise administration"
admin.site.workspace = proposals_staff.admin_workspace
admin.site.site_title = "Tierwise admin"

app_patterns = [
    path("", organizations.app_home, name="app_home"),
    path("new/", organizations.organization_create, name="organization_create"),
    path("buy/", checkout.buy, name="buy"),
    path("<slug:slug>/", licenses.license_dashboard, name="organization_detail"),
    path(
        "<slug:slug>/settings/", organizations.organization_settings, name="organization_settings"
    ),
    path("<slug:slug>/settings/billing/", billing_details.billing_details, name="billing_details"),
    path("<slug:slug>/members/", organizations.organization_members, name="organization_members"),
    path("<slug:slug>/members/invite/", organizations.invitation_create, name="invitation_create"),
    path(
        "<slug:slug>/members/<int:membership_id>/role/",
        organizations.membership_role,
        name="membership_role",
    ),
    path(
        "<slug:slug>/members/<int:membership_id>/remove/",
        organizations.membership_remove,
        name="membership_remove",
    ),
    path(
        "<slug:slug>/invitations/<int:invitation_id>/revoke/",
        organizations.invitation_revoke,
        name="invitation_revoke",
    ),
    path("<slug:slug>/leave/", organizations.organization_leave, name="organization_leave"),
    path("<slug:slug>/roi/scenarios/", roi.scenarios, name="roi_scenarios"),
    path(
        "<slug:slug>/roi/scenarios/<int:scenario_id>/",
        roi.scenario_open,
        name="roi_scenario_open",
    ),
    path(
        "<slug:slug>/roi/scenarios/<int:scenario_id>/delete/",
        roi.scenario_delete,
        name="roi_scenario_delete",
    ),
    path(
        "<slug:slug>/licenses/<int:license_id>/file/",
        licenses.license_file_download,
        name="license_file_download",
    ),
    path(
        "<slug:slug>/licenses/<int:license_id>/rotate-key/",
        licenses.license_key_rotate,
        name="license_key_rotate",
    ),
    path(
        "<slug:slug>/licenses/<int:license_id>/rotate-key/new-key/",
        licenses.license_key_rotated,
        name="license_key_rotated",
    ),
    path(
        "<slug:slug>/licenses/<int:license_id>/cancel/",
        subscriptions.subscription_cancel_view,
        name="subscription_cancel",
    ),
    path(
        "<slug:slug>/licenses/<int:license_id>/resume/",
        subscriptions.subscription_resume_view,
        name="subscription_resume",
    ),
    path(
        "<slug:slug>/licenses/<int:license_id>/key.txt",
        licenses.license_key_download,
        name="license_key_download",
    ),
    path("<slug:slug>/checkout/", checkout.checkout_new, name="checkout_new"),
    path("<slug:slug>/checkout/<slug:token>/", checkout.checkout_page, name="checkout"),
    path(
        "<slug:slug>/checkout/<slug:token>/confirm/",
        checkout.checkout_confirm_view,
        name="checkout_confirm",
    ),
    path("<slug:slug>/checkout/<slug:token>/done/", checkout.checkout_done, name="checkout_done"),
    path(
        "<slug:slug>/checkout/<slug:token>/abandon/",
        checkout.checkout_abandon_view,
        name="checkout_abandon",
    ),
    path(
        "<slug:slug>/licenses/<int:license_id>/scheduled-change/cancel/",
        checkout.scheduled_change_cancel_view,
        name="scheduled_change_cancel",
    ),
    path("<slug:slug>/trials/start/<slug:tier>/", trials.trial_start_view, name="trial_start"),
    path("<slug:slug>/trials/<int:trial_id>/", trials.trial_detail, name="trial_detail"),
    path("<slug:slug>/trials/<int:trial_id>/started/", trials.trial_started, name="trial_started"),
    path("<slug:slug>/trials/<int:trial_id>/end/", trials.trial_end_view, name="trial_end"),
    # The customer's proposals (issue 20): read by members, answered by billing.
    path("<slug:slug>/proposals/", proposals_customer.proposal_list, name="proposals"),
    path(
        "<slug:slug>/proposals/<int:proposal_id>/",
        proposals_customer.proposal_detail,
        name="proposal_detail",
    ),
    path(
        "<slug:slug>/proposals/<int:proposal_id>/accept/<int:option_id>/",
        proposals_customer.proposal_accept_view,
        name="proposal_accept",
    ),
    path(
        "<slug:slug>/proposals/<int:proposal_id>/decline/",
        proposals_customer.proposal_decline_view,
        name="proposal_decline",
    ),
    path("<slug:slug>/invoices/", invoices.invoice_list, name="invoice_list"),
    path("<slug:slug>/invoices/<str:number>/", invoices.invoice_detail, name="invoice_detail"),
    path("<slug:slug>/invoices/<str:number>.pdf", invoices.invoice_pdf, name="invoice_pdf"),
    path("<slug:slug>/invoices/<str:number>/pay/", cards.invoice_pay, name="invoice_pay"),
    path(
        "<slug:slug>/invoices/<str:number>/pay/return/",
        cards.invoice_pay_return,
        name="invoice_pay_return",
    ),
    path("<slug:slug>/card/remove/", cards.saved_card_remove, name="saved_card_remove"),
    path(
        "<slug:slug>/credit-notes/<str:number>.pdf",
        invoices.credit_note_pdf,
        name="credit_note_pdf",
    ),
    path("<slug:slug>/api-tokens/", licenses.token_create, name="api_token_create"),
    path(
        "<slug:slug>/api-tokens/<int:token_id>/revoke/",
        licenses.token_revoke,
        name="api_token_revoke",
    ),
]

# The public catalog: pricing, comparison, changelog and the upgrade policy.
catalog_patterns = [
    path("pricing/", catalog.pricing, name="pricing"),
    path("pricing/compare/", catalog.compare_pick, name="pricing_compare_pick"),
    path(
        "pricing/compare/<slug:source>/<slug:target>/",
        catalog.pricing_compare,
        name="pricing_compare",
    ),
    path("pricing/try/<slug:tier>/", trials.trial_try, name="trial_try"),
    path("changelog/", catalog.changelog, name="changelog"),
    path("changelog/feed/", catalog.ChangelogFeed(), name="changelog_feed"),
    path("policy/upgrades/", catalog.policy_upgrades, name="policy_upgrades"),
    path(
        "policy/upgrades/v<int:number>/",
        catalog.policy_upgrades_version,
        name="policy_upgrades_version",
    ),
    path(
        "policy/upgrades/calculator/",
        proration.calculator,
        name="policy_upgrades_calculator",
    ),
    path(
        ".well-known/tierwise-license-key.pem",
        licenses.public_key,
        name="license_public_key",
    ),
]

# The account manager's proposals (portal.views.proposals_staff); numbers are P-2026-0042.
proposal_staff_patterns = [
    path("", proposals_staff.proposal_list, name="manage_proposals"),
    path("approvals/", proposals_staff.proposal_approvals, name="manage_proposal_approvals"),
    path(
        "organizations/<slug:slug>/",
        proposals_staff.organization_proposals,
        name="manage_organization_proposals",
    ),
    path(
        "organizations/<slug:slug>/licenses/<int:license_id>/new/",
        proposals_staff.proposal_new,
        name="manage_proposal_new",
    ),
    path("<slug:number>/", proposals_staff.proposal_builder, name="manage_proposal"),
    path(
        "<slug:number>/options/",
        proposals_staff.proposal_option_save,
        name="manage_proposal_option_add",
    ),
    path(
        "<slug:number>/options/<int:position>/",
        proposals_staff.proposal_option_save,
        name="manage_proposal_option",
    ),
    path(
        "<slug:number>/options/<int:position>/remove/",
        proposals_staff.proposal_option_delete,
        name="manage_proposal_option_remove",
    ),
    path(
        "<slug:number>/details/", proposals_staff.proposal_details, name="manage_proposal_details"
    ),
    path("<slug:number>/send/", proposals_staff.proposal_send_view, name="manage_proposal_send"),
    path(
        "<slug:number>/submit/", proposals_staff.proposal_submit_view, name="manage_proposal_submit"
    ),
    path(
        "<slug:number>/recall/", proposals_staff.proposal_recall_view, name="manage_proposal_recall"
    ),
    path(
        "<slug:number>/withdraw/",
        proposals_staff.proposal_withdraw_view,
        name="manage_proposal_withdraw",
    ),
    path(
        "<slug:number>/approve/",
        proposals_staff.proposal_decide,
        {"decision": "approve"},
        name="manage_proposal_approve",
    ),
    path(
        "<slug:number>/reject/",
        proposals_staff.proposal_decide,
        {"decision": "reject"},
        name="manage_proposal_reject",
    ),
]

urlpatterns = [
    path("", site.home, name="home"),
    path("healthz", site.healthz, name="healthz"),
    path("stripe/webhook/", cards.stripe_webhook, name="stripe_webhook"),
    path("accounts/", include("allauth.urls")),
    path("app/", include(app_patterns)),
    # A token is URL-safe base64 (portal.models._invitation_token), a slug's alphabet.
    path("invitations/<slug:token>/", invitations.invitation_detail, name="invitation_detail"),
    path("manage/", manage.accounts, name="manage_accounts"),
    path("manage/accounts.csv", manage.accounts_csv, name="manage_accounts_csv"),
    path("manage/accounts/<int:organization_id>/", manage.account, name="manage_account"),
    path("manage/proposals/", include(proposal_staff_patterns)),
    path(
        "manage/proposals/<int:proposal_id>/versions/<int:version_number>.pdf",
        proposal_downloads.staff_version_pdf,
        name="proposal_version_pdf_staff",
    ),
    # The customer's proposal as the email and the PDF link it (same name as the page
    # under /app/<slug>/, reversed with the proposal alone): on to that page.
    path(
        "proposals/<int:proposal_id>/",
        proposals_customer.proposal_open,
        name="proposal_detail",
    ),
    path(
        "proposals/<int:proposal_id>/versions/<int:version_number>.pdf",
        proposal_downloads.customer_version_pdf,
        name="proposal_version_pdf",
    ),
    path("roi/", roi.calculator, name="roi"),
    path("", include(catalog_patterns)),
    path("api/v1/", include("licensing.api.urls")),
    re_path(r"^api(/|$)", api_not_found),  # JSON, even where a DEBUG run skips handler404
    path("admin/", admin.site.urls),
]
handler400 = "portal.views.errors.bad_request"
handler403 = "portal.views.errors.permission_denied"
handler404 = "portal.views.errors.page_not_found"
handler500 = "portal.unavailable.server_error"
