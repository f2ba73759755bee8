from django.contrib.auth import views as auth_views
from django.urls import path

from tongban.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.staff_login, name="login"),
    path("login/otp/", views.login_otp, name="login-otp"),
    path("otp/setup/", views.otp_setup, name="otp-setup"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("resident/login/", views.resident_login, name="resident-login"),
    path("enterprise/register/", views.enterprise_register, name="enterprise-register"),
    # OIDC (TONGBAN_OIDC_ENABLED=1): 404 while it is off; the SMS code stays the dev identity provider.
    path("oidc/authenticate/", views.oidc_authenticate, name="oidc-authenticate"),
    path("oidc/callback/", views.oidc_callback, name="oidc-callback"),
    path("oidc/failed/", views.oidc_failure, name="oidc-failed"),
]
