"""/api/v1/: every app's API, the OpenAPI schema and the browsable docs (assets served locally)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

# Django tries these in order on every request: the busiest first (the hall's ticket machines and window
# calls, then cases). No two apps share a path, so the order decides nothing else.
urlpatterns = [
    path("", include("tongban.queueing.api.urls")),
    path("", include("tongban.applications.api.urls")),
    path("", include("tongban.accounts.api.urls")),
    path("", include("tongban.core.api.urls")),
    path("", include("tongban.catalog.api.urls")),
    path("", include("tongban.notifications.api.urls")),
    path("", include("tongban.cabinet.api.urls")),
    path("", include("tongban.selfservice.api.urls")),
    path("", include("tongban.ratings.api.urls")),
    path("", include("tongban.dashboard.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
