"""Root URLconf. Each app owns its pages under a fixed prefix and its API under /api/v1/."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from tongban.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # First: Django tries the patterns in order on every request, and the API carries the busiest traffic
    # (ticket machines, window calls, case lists).
    path("api/v1/", include("tongban.api.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("tongban.accounts.urls")),
    path("catalog/", include("tongban.catalog.urls")),
    path("notifications/", include("tongban.notifications.urls")),
    path("cases/", include("tongban.applications.urls")),
    path("queue/", include("tongban.queueing.urls")),
    path("cabinet/", include("tongban.cabinet.urls")),
    path("ratings/", include("tongban.ratings.urls")),
    path("dashboard/", include("tongban.dashboard.urls")),
    # portal/, kiosk/ and guide/ live in selfservice
    path("", include("tongban.selfservice.urls")),
    path("", include("tongban.web.urls")),
]
handler404 = "tongban.core.views.not_found"
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
