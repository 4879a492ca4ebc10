"""Routes of the console, mounted at / (config/urls.py)."""

from __future__ import annotations

from django.urls import include, path

from console.views import auth, details, home, notify
from console.views import cases as cases_views
from console.views import oversight as oversight_views
from console.views import patrols as patrols_views
from console.views import plans as plans_views
from console.views import readings as readings_views
from console.views import reports as reports_views
from console.views.ledgers import LEDGER_URLS, ledger_view

app_name = "console"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    *[path(route, ledger_view(name, slug), name=name) for name, (route, slug) in LEDGER_URLS.items()],
    path("water/intakes/<int:pk>/", details.intake_detail, name="intake_detail"),
    path("river/patrols/<str:pk>/", details.patrol_detail, name="patrol_detail"),
    path("quality/sections/<int:pk>/", details.section_detail, name="section_detail"),
    path("notifications/", notify.inbox, name="notify_inbox"),
    path("notifications/<int:pk>/read/", notify.mark_read, name="notify_read"),
    path("notifications/read-all/", notify.mark_all_read, name="notify_read_all"),
    path("map/", include("console.map.urls")),
    *oversight_views.urlpatterns,
    *reports_views.urlpatterns,
    *readings_views.urlpatterns,
    *plans_views.urlpatterns,
    *patrols_views.urlpatterns,
    *cases_views.urlpatterns,
]
