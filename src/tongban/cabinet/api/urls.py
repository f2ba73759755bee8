from django.urls import path

from tongban.cabinet.api import views

urlpatterns = [
    path("cabinets", views.CabinetListView.as_view(), name="cabinet-list"),
    path("cabinets/<str:cabinet>/deposits", views.DepositCreateView.as_view(), name="cabinet-deposits"),
    path("cabinets/<str:cabinet>/pickup", views.PickupView.as_view(), name="cabinet-pickup"),
]
