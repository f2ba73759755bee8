from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.home, name="home"),
    path("matters/<str:code>/", views.matter_detail, name="matter-detail"),
    path("bundles/<str:code>/", views.bundle_detail, name="bundle-detail"),
    path("centers/<str:code>/", views.center_detail, name="center-detail"),
]
