from django.urls import path

from tongban.cabinet import views

app_name = "cabinet"
urlpatterns = [
    path("", views.home, name="home"),
    path("<str:code>/", views.screen, name="screen"),
    path("<str:code>/code", views.screen_code, name="screen-code"),
    path("<str:code>/door/<uuid:request_id>", views.screen_door, name="screen-door"),
    path("<str:code>/staff/", views.staff, name="staff"),
    path("<str:code>/staff/deposit", views.staff_deposit, name="staff-deposit"),
    path("<str:code>/staff/dropoff", views.staff_dropoff, name="staff-dropoff"),
    path("<str:code>/staff/items/<uuid:reference>/<str:action>", views.staff_item, name="staff-item"),
    path("<str:code>/staff/compartments/<id:number>", views.staff_compartment, name="staff-compartment"),
    path("<str:code>/staff/remote/<id:pk>", views.staff_remote_decide, name="staff-remote"),
]
