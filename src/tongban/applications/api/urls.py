from django.urls import path

from tongban.applications.api import views as v

urlpatterns = [
    path("applications", v.ApplicationListCreateView.as_view(), name="applications-list"),
    path("applications/progress", v.ProgressView.as_view(), name="applications-progress"),
    path("applications/<str:number>", v.ApplicationDetailView.as_view(), name="applications-detail"),
    path("applications/<str:number>/materials", v.TickMaterialsView.as_view(), name="applications-materials"),
    path("applications/<str:number>/submit", v.SubmitView.as_view(), name="applications-submit"),
    path("applications/<str:number>/accept", v.AcceptView.as_view(), name="applications-accept"),
    path(
        "applications/<str:number>/supplement-request",
        v.SupplementRequestView.as_view(),
        name="applications-supplement-request",
    ),
    path(
        "applications/<str:number>/supplement-received",
        v.SupplementReceivedView.as_view(),
        name="applications-supplement-received",
    ),
    path("applications/<str:number>/refuse", v.RefuseView.as_view(), name="applications-refuse"),
    path("applications/<str:number>/decide", v.DecideView.as_view(), name="applications-decide"),
    path("applications/<str:number>/ready", v.ReadyView.as_view(), name="applications-ready"),
    path("applications/<str:number>/deliver", v.DeliverView.as_view(), name="applications-deliver"),
    path("applications/<str:number>/withdraw", v.WithdrawView.as_view(), name="applications-withdraw"),
    path(
        "applications/<str:number>/contact-phone",
        v.ContactPhoneView.as_view(),
        name="applications-contact-phone",
    ),
    path("applications/<str:number>/suspend", v.SuspendView.as_view(), name="applications-suspend"),
    path("applications/<str:number>/resume", v.ResumeView.as_view(), name="applications-resume"),
    path(
        "applications/<str:number>/extensions",
        v.ExtensionRequestView.as_view(),
        name="applications-extensions",
    ),
    path(
        "applications/<str:number>/extensions/<id:pk>/decision",
        v.ExtensionDecisionView.as_view(),
        name="applications-extension-decision",
    ),
    path(
        "applications/<str:number>/attachments",
        v.AttachmentUploadView.as_view(),
        name="applications-attachments",
    ),
    path(
        "applications/<str:number>/documents/<str:kind>.pdf",
        v.DocumentView.as_view(),
        name="applications-document",
    ),
    path("reviews", v.ReviewInboxView.as_view(), name="reviews-inbox"),
    path("reviews/<id:pk>/opinion", v.ReviewOpinionView.as_view(), name="reviews-opinion"),
]
