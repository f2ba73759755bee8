from django.urls import path

from tongban.dashboard.api import views

urlpatterns = [
    path("stats/summary", views.StatsSummaryView.as_view(), name="stats-summary"),
]
