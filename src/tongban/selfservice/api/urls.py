from django.urls import path

from tongban.selfservice.api import views

urlpatterns = [
    path("guide/search", views.GuideSearchApi.as_view(), name="guide-search"),
]
