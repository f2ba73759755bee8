"""Self-service pages: the portal (portal/), the kiosk (kiosk/) and the 百事通 (guide/)."""

from django.urls import path

from tongban.selfservice.views import guide, kiosk, portal

app_name = "selfservice"
urlpatterns = [
    # 百事通
    path("guide/", guide.guide_home, name="guide-home"),
    path("guide/review/", guide.guide_review, name="guide-review"),
    path("guide/review/synonym", guide.guide_review_synonym, name="guide-review-synonym"),
    path("guide/review/<id:pk>/dismiss", guide.guide_review_dismiss, name="guide-review-dismiss"),
    # 一网通办 portal
    path("portal/", portal.home, name="portal-home"),
    path("portal/matters/<str:code>/", portal.matter_detail, name="portal-matter"),
    path("portal/bundles/<str:code>/", portal.bundle_detail, name="portal-bundle"),
    path("portal/apply/<str:code>/", portal.apply_matter, name="portal-apply"),
    path("portal/apply-bundle/<str:code>/", portal.apply_bundle, name="portal-apply-bundle"),
    path("portal/cases/", portal.my_cases, name="portal-cases"),
    path("portal/cases/<id:pk>/", portal.case_detail, name="portal-case"),
    path("portal/cases/<id:pk>/<str:kind>.pdf", portal.case_pdf, name="portal-case-pdf"),
    path("portal/appointments/", portal.appointments, name="portal-appointments"),
    # 24-hour kiosk
    path("kiosk/", kiosk.home, name="kiosk-home"),
    path("kiosk/progress/", kiosk.progress, name="kiosk-progress"),
    path("kiosk/guide/", kiosk.guide, name="kiosk-guide"),
    path("kiosk/ticket/", kiosk.ticket, name="kiosk-ticket"),
    path("kiosk/print/<str:kind>/", kiosk.print_page, name="kiosk-print-page"),
    path("kiosk/print/<str:kind>.pdf", kiosk.print_pdf, name="kiosk-print"),
    path("kiosk/reset/", kiosk.reset, name="kiosk-reset"),
]
