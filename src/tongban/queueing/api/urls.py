from django.urls import path

from tongban.queueing.api import views

# The busiest first: Django tries the patterns in order (the ticket machine, call next, finish).
urlpatterns = [
    path("centers/<str:center>/tickets", views.TicketIssueView.as_view(), name="queue-ticket-issue"),
    path("windows/<id:window>/call-next", views.CallNextView.as_view(), name="queue-call-next"),
    path("tickets/<id:ticket>/finish", views.TicketFinishView.as_view(), name="queue-ticket-finish"),
    path("centers/<str:center>/display", views.DisplayView.as_view(), name="queue-display"),
    path("centers/<str:center>/queue-stats", views.StatsView.as_view(), name="queue-stats"),
    path("centers/<str:center>/appointment-slots", views.SlotsView.as_view(), name="queue-slots"),
    path("windows/<id:window>/pause", views.WindowPauseView.as_view(), name="queue-window-pause"),
    path("windows/<id:window>/resume", views.WindowResumeView.as_view(), name="queue-window-resume"),
    path("tickets/<id:ticket>/recall", views.TicketRecallView.as_view(), name="queue-ticket-recall"),
    path("tickets/<id:ticket>/start", views.TicketStartView.as_view(), name="queue-ticket-start"),
    path("tickets/<id:ticket>/no-show", views.TicketNoShowView.as_view(), name="queue-ticket-no-show"),
    path("tickets/<id:ticket>/requeue", views.TicketRequeueView.as_view(), name="queue-ticket-requeue"),
    path("tickets/<id:ticket>/transfer", views.TicketTransferView.as_view(), name="queue-ticket-transfer"),
    path("tickets/follow/<str:token>", views.TicketFollowView.as_view(), name="queue-ticket-follow"),
    path(
        "tickets/follow/<str:token>/cancel",
        views.TicketFollowCancelView.as_view(),
        name="queue-ticket-follow-cancel",
    ),
    path("appointments", views.AppointmentsView.as_view(), name="queue-appointments"),
    path(
        "appointments/<id:appointment>/change",
        views.AppointmentChangeView.as_view(),
        name="queue-appointment-change",
    ),
    path(
        "appointments/<id:appointment>/cancel",
        views.AppointmentCancelView.as_view(),
        name="queue-appointment-cancel",
    ),
]
