from django.urls import path

from licensing import views

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
    path("pricing/compare/", views.compare_pick, name="pricing_compare_pick"),
    path(
        "pricing/compare/<slug:source>/<slug:target>/",
        views.pricing_compare,
        name="pricing_compare",
    ),
    path("changelog/", views.changelog, name="changelog"),
    path("changelog/feed/", views.ChangelogFeed(), name="changelog_feed"),
    path("policy/upgrades/", views.policy_upgrades, name="policy_upgrades"),
    path(
        "policy/upgrades/v<int:number>/",
        views.policy_upgrades_version,
        name="policy_upgrades_version",
    ),
]
