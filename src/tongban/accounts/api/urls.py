from django.urls import path

from tongban.accounts.api import views

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="auth-token"),
    path("auth/sms-code", views.SmsCodeView.as_view(), name="auth-sms-code"),
]
