from django.urls import path

from tongban.queueing import views

app_name = "queueing"
urlpatterns = [
    path("ticket-machine/", views.ticket_machine_home, name="ticket-machine-home"),
    path("ticket-machine/<str:center>/", views.ticket_machine, name="ticket-machine"),
    path("ticket-machine/<str:center>/tickets/<id:ticket>/", views.ticket_issued, name="ticket-issued"),
    path("t/<str:token>/", views.ticket_follow, name="ticket-follow"),
    path("t/<str:token>/cancel/", views.ticket_follow_cancel, name="ticket-follow-cancel"),
    path("a/<str:token>/", views.appointment_own, name="appointment-own"),
    path("a/<str:token>/cancel/", views.appointment_own_cancel, name="appointment-own-cancel"),
    path("a/<str:token>/change/", views.appointment_own_change, name="appointment-own-change"),
    path("display/", views.display_home, name="display-home"),
    path("display/<str:center>/", views.display, name="display"),
    path("display/<str:center>/events", views.display_events, name="display-events"),
    path("display/<str:center>/windows/", views.window_screens, name="window-screens"),
    path("display/<str:center>/windows/<id:number>/", views.window_screen, name="window-screen"),
    path("window/", views.window_page, name="window"),
    path("window/panel/", views.window_panel, name="window-panel"),
    path("window/panel/<str:action>/", views.window_panel_action, name="window-panel-action"),
    path("appointments/", views.appointments, name="appointments"),
    path("stats/", views.stats, name="stats"),
]
