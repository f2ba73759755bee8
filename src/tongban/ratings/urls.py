from django.urls import path

from tongban.ratings import views

app_name = "ratings"
urlpatterns = [
    path("", views.ratings_index, name="index"),
    path("pad/", views.pad_home, name="pad-home"),
    path("pad/w/<id:window_id>/", views.pad_window, name="pad"),
    path("pad/w/<id:window_id>/current", views.pad_current, name="pad-current"),
    path("pad/w/<id:window_id>/rate", views.pad_submit, name="pad-submit"),
    path("r/<str:token>/", views.link_rate, name="link"),
    path("f/<str:token>/", views.follow_up, name="follow-up"),
    path("work-orders/", views.work_order_list, name="work-orders"),
    path("work-orders/<id:pk>/", views.work_order_detail, name="work-order"),
    path("appeals/", views.appeal_list, name="appeals"),
    path("mine/", views.my_ratings, name="mine"),
]
