from django.urls import path

from tongban.applications import views

app_name = "applications"
urlpatterns = [
    path("workbench/", views.workbench, name="workbench"),
    path("workbench/matters/", views.matter_search, name="matter-search"),
    path("workbench/idcard/", views.idcard_read, name="idcard-read"),
    path("new/", views.intake, name="intake"),
    path("reviews/", views.review_inbox_page, name="review-inbox"),
    path("reviews/<id:pk>/opinion/", views.review_opinion, name="review-opinion"),
    path("board/", views.board, name="board"),
    path("progress/", views.progress, name="progress"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/act/", views.act, name="act"),
    path("<str:number>/pdf/<str:kind>/", views.document, name="document"),
]
