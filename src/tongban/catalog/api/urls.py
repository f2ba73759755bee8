from django.urls import path

from . import views

urlpatterns = [
    path("matters", views.MatterListApi.as_view(), name="catalog-matters"),
    path("matters/<str:code>", views.MatterDetailApi.as_view(), name="catalog-matter"),
    path("matters/<str:code>/versions", views.MatterVersionsApi.as_view(), name="catalog-matter-versions"),
    path("bundles", views.BundleListApi.as_view(), name="catalog-bundles"),
    path("bundles/<str:code>", views.BundleDetailApi.as_view(), name="catalog-bundle"),
    path("centers", views.CenterListApi.as_view(), name="catalog-centers"),
    path("centers/<str:code>", views.CenterDetailApi.as_view(), name="catalog-center"),
    path("centers/<str:code>/windows", views.CenterWindowsApi.as_view(), name="catalog-center-windows"),
]
