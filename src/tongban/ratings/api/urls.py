from django.urls import path

from tongban.ratings.api import views

urlpatterns = [
    path("ratings", views.RatingCreateView.as_view(), name="ratings-create"),
    path("ratings/export", views.RatingExportView.as_view(), name="ratings-export"),
    path("ratings/<str:number>/appeals", views.AppealCreateView.as_view(), name="ratings-appeal-create"),
    path("appeals/<id:pk>/decision", views.AppealDecideView.as_view(), name="ratings-appeal-decide"),
    path("rectifications", views.WorkOrderListView.as_view(), name="rectifications-list"),
    path("rectifications/<str:number>/steps", views.WorkOrderStepView.as_view(), name="rectifications-step"),
]
