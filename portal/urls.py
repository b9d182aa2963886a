from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from licensing import dashboard_views
from portal.views import invitations, manage, organizations, roi, site

# The admin signs in through allauth, so rate limits and two-factor apply there too.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Tierwise administration"
admin.site.site_title = "Tierwise admin"

app_patterns = [
    path("", organizations.app_home, name="app_home"),
    path("new/", organizations.organization_create, name="organization_create"),
    path("<slug:slug>/", dashboard_views.license_dashboard, name="organization_detail"),
    path(
        "<slug:slug>/settings/", organizations.organization_settings, name="organization_settings"
    ),
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
]

urlpatterns = [
    path("", site.home, name="home"),
    path("healthz", site.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("app/", include(app_patterns)),
    # A token is URL-safe base64 (portal.models._invitation_token), a slug's alphabet.
    path("invitations/<slug:token>/", invitations.invitation_detail, name="invitation_detail"),
    path("manage/", manage.accounts, name="manage_accounts"),
    path("roi/", roi.calculator, name="roi"),
    path("", include("licensing.urls")),
    path("", include("licensing.license_urls")),
    path("admin/", admin.site.urls),
]
handler400 = "portal.views.errors.bad_request"
handler403 = "portal.views.errors.permission_denied"
handler404 = "portal.views.errors.page_not_found"
handler500 = "portal.unavailable.server_error"
