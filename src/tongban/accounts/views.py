"""Sign-in pages: staff (password → TOTP), TOTP enrolment, residents (phone → SMS code), OIDC hand-off.

Thin: parse the form, call one service, log the person in, redirect. Until every
required factor is given, a staff member is only *pending* in the session
(``tb_pending``), not signed in, so no page treats them as authenticated.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from tongban.accounts import services
from tongban.accounts.forms import CodeForm, EnterpriseForm, OtpForm, OtpSetupForm, PhoneForm, StaffLoginForm
from tongban.accounts.http import client_ip
from tongban.accounts.models import SmsCode, User
from tongban.accounts.permissions import is_staff_role, two_factor_satisfied
from tongban.core.crypto import decrypt_str, encrypt_str, mask_phone
from tongban.core.errors import RateLimited, TongbanError
from tongban.core.qr import qr_svg

PENDING_KEY = "tb_pending"
PENDING_SECONDS = 300
SMS_KEY = "tb_sms_login"
REG_KEY = "tb_enterprise_registration"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
RESIDENT_AREAS = ("/portal/", "/kiosk/")


def _session_put(request: HttpRequest, key: str, data: dict[str, Any]) -> None:
    """Keep sign-in state (it holds a phone number) encrypted: session rows are not personal-data storage."""
    request.session[key] = encrypt_str(json.dumps(data, ensure_ascii=False))


def _session_get(request: HttpRequest, key: str) -> dict[str, Any]:
    raw = request.session.get(key)
    if not raw:
        return {}
    try:
        data = json.loads(decrypt_str(raw))
    except (ValueError, TypeError):
        request.session.pop(key, None)
        return {}
    return data if isinstance(data, dict) else {}


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _error_response(
    request: HttpRequest, template: str, context: dict[str, Any], exc: TongbanError
) -> HttpResponse:
    context["error"] = exc
    status = exc.status_code if isinstance(exc, RateLimited) else 200
    response = render(request, template, context, status=status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


# --- staff -------------------------------------------------------------------------------------


def _set_pending(request: HttpRequest, user: User) -> None:
    request.session[PENDING_KEY] = {"uid": user.pk, "at": int(time.time())}


def _pending_user(request: HttpRequest) -> User | None:
    data = request.session.get(PENDING_KEY)
    if not data or int(time.time()) - int(data.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    return User.objects.filter(pk=data["uid"], is_active=True).first()


STAFF_SESSION_SECONDS = 8 * 3600  # one working day; then sign in again (both factors)
RESIDENT_SESSION_SECONDS = 3600  # residents often use shared devices (kiosk, a relative's phone)


def _session_seconds(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _complete_staff_login(request: HttpRequest, user: User, device: TOTPDevice | None) -> None:
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=MODEL_BACKEND)
    request.session.set_expiry(_session_seconds("STAFF_SESSION_SECONDS", STAFF_SESSION_SECONDS))
    if device is not None:
        otp_login(request, device)
    services.staff_sign_in_record(
        user=user, method="password+totp" if device is not None else "password", ip=client_ip(request)
    )


def _otp_subject(request: HttpRequest) -> tuple[User | None, bool]:
    """Who is giving the second factor: a pending sign-in, or a signed-in staff member not yet verified."""
    pending = _pending_user(request)
    if pending is not None:
        return pending, True
    user = request.user
    if isinstance(user, User) and user.is_authenticated and is_staff_role(user):
        return user, False
    return None, False


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def staff_login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    user = request.user
    if user.is_authenticated and is_staff_role(user):
        if two_factor_satisfied(user):
            return redirect(next_url)
        step = "accounts:login-otp" if services.user_has_totp(user) else "accounts:otp-setup"
        return redirect(_with_next(step, next_url))
    if request.method == "GET" and next_url.startswith(RESIDENT_AREAS):
        # settings.LOGIN_URL is this page; a resident sent here by @login_required goes to the SMS sign-in.
        return redirect(_with_next("accounts:resident-login", next_url))
    form = StaffLoginForm(request.POST or None)
    context: dict[str, Any] = {
        "form": form,
        "next": next_url,
        "STAFF_2FA_REQUIRED": settings.STAFF_2FA_REQUIRED,
    }
    if request.method == "POST" and form.is_valid():
        try:
            staff = services.staff_password_check(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except TongbanError as exc:
            return _error_response(request, "accounts/login.html", context, exc)
        if services.otp_needed(staff):
            _set_pending(request, staff)
            step = "accounts:login-otp" if services.user_has_totp(staff) else "accounts:otp-setup"
            return redirect(_with_next(step, next_url))
        _complete_staff_login(request, staff, None)
        return redirect(next_url)
    return render(request, "accounts/login.html", context)


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def login_otp(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    subject, pending = _otp_subject(request)
    if subject is None:
        return redirect(_with_next("accounts:login", next_url))
    if not services.user_has_totp(subject):
        return redirect(_with_next("accounts:otp-setup", next_url))
    form = OtpForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "next": next_url, "subject": subject}
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_verify(
                user=subject, token=form.cleaned_data["token"], ip=client_ip(request)
            )
        except TongbanError as exc:
            return _error_response(request, "accounts/login_otp.html", context, exc)
        if pending:
            _complete_staff_login(request, subject, device)
        else:
            otp_login(request, device)
            services.staff_sign_in_record(user=subject, method="totp", ip=client_ip(request))
        return redirect(next_url)
    return render(request, "accounts/login_otp.html", context)


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app (QR code). Re-enrolling needs the current second factor first."""
    next_url = _safe_next(request)
    subject, pending = _otp_subject(request)
    if subject is None:
        return redirect(_with_next("accounts:login", next_url))
    if services.user_has_totp(subject) and (pending or not _is_verified(request)):
        # Replacing a device is allowed only to someone who has just proved the current one.
        return redirect(_with_next("accounts:login-otp", next_url))
    device = services.totp_device_start(user=subject)
    form = OtpSetupForm(request.POST or None, initial={"device": device.pk})
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode("ascii")
    context: dict[str, Any] = {
        "form": form,
        "next": next_url,
        "subject": subject,
        "device": device,
        "qr_svg": qr_svg(device.config_url),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "required": settings.STAFF_2FA_REQUIRED,
    }
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = services.totp_device_confirm(
                user=subject,
                device_id=form.cleaned_data["device"],
                token=form.cleaned_data["token"],
                ip=client_ip(request),
            )
        except TongbanError as exc:
            return _error_response(request, "accounts/otp_setup.html", context, exc)
        if pending:
            _complete_staff_login(request, subject, confirmed)
        else:
            otp_login(request, confirmed)
        messages.success(request, _("身份验证器已绑定。以后登录时请输入它显示的6位动态码。"))
        return redirect(next_url)
    return render(request, "accounts/otp_setup.html", context)


def _is_verified(request: HttpRequest) -> bool:
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


# --- residents and enterprises -----------------------------------------------------------------


def _resident_default_next() -> str:
    try:
        return reverse("selfservice:portal-home")
    except NoReverseMatch:
        return "/"


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def resident_login(request: HttpRequest) -> HttpResponse:
    """Phone → “获取验证码” → code. Two steps on one page; the phone waits in the session between them."""
    next_url = _safe_next(request, _resident_default_next())
    if request.GET.get("restart"):
        request.session.pop(SMS_KEY, None)
        return redirect(_with_next("accounts:resident-login", next_url))
    state = _session_get(request, SMS_KEY)
    as_enterprise = bool(state.get("enterprise")) if state else request.GET.get("as") == "enterprise"
    context: dict[str, Any] = {
        "next": next_url,
        "as_enterprise": as_enterprise,
        "step": "code" if state.get("phone") else "phone",
        "masked_phone": mask_phone(state.get("phone", "")),
        "resend_in": max(0, int(state.get("resend_at", 0)) - int(time.time())),
        "phone_form": PhoneForm(),
        "code_form": CodeForm(),
        "oidc_enabled": settings.OIDC_ENABLED,
        "outbox_visible": settings.DEMO or settings.DEBUG,
    }
    if request.method != "POST":
        return render(request, "accounts/resident_login.html", context)

    action = request.POST.get("action")
    ip = client_ip(request)
    if action in {"send", "resend"}:
        if action == "resend" and state.get("phone"):
            phone = state["phone"]
        else:
            phone_form = PhoneForm(request.POST)
            context["phone_form"] = phone_form
            if not phone_form.is_valid():
                return render(request, "accounts/resident_login.html", context)
            phone = phone_form.cleaned_data["phone"]
            as_enterprise = request.POST.get("as") == "enterprise"
        try:
            if as_enterprise:
                services.enterprise_for_phone(phone=phone)
            sent = services.sms_code_request(phone=phone, ip=ip)
        except TongbanError as exc:
            if (exc.details or {}).get("just_sent") and action == "send":
                # the code sent a moment ago (from this page in another tab, or before the browser was
                # closed) is still good: ask for it rather than leave the resident with no box to type it in
                _session_put(
                    request,
                    SMS_KEY,
                    {
                        "phone": phone,
                        "enterprise": as_enterprise,
                        "resend_at": int(time.time()) + int(getattr(exc, "retry_after", 60)),
                    },
                )
                messages.info(request, _("验证码刚刚已发送到这个手机号，请查看短信并输入。"))
                return redirect(_with_next("accounts:resident-login", next_url))
            return _error_response(request, "accounts/resident_login.html", context, exc)
        _session_put(
            request,
            SMS_KEY,
            {
                "phone": sent.phone,
                "enterprise": as_enterprise,
                "resend_at": int(time.time()) + sent.resend_after,
            },
        )
        return redirect(_with_next("accounts:resident-login", next_url))

    if action == "verify" and state.get("phone"):
        code_form = CodeForm(request.POST)
        context["code_form"] = code_form
        if not code_form.is_valid():
            return render(request, "accounts/resident_login.html", context)
        try:
            user = services.sms_sign_in(
                phone=state["phone"], code=code_form.cleaned_data["code"], as_enterprise=as_enterprise, ip=ip
            )
        except TongbanError as exc:
            return _error_response(request, "accounts/resident_login.html", context, exc)
        request.session.pop(SMS_KEY, None)
        login(request, user, backend=MODEL_BACKEND)
        request.session.set_expiry(_session_seconds("RESIDENT_SESSION_SECONDS", RESIDENT_SESSION_SECONDS))
        return redirect(next_url)
    return redirect(_with_next("accounts:resident-login", next_url))


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def enterprise_register(request: HttpRequest) -> HttpResponse:
    """Enterprise self-registration: details → SMS code to the contact's phone → account opened, signed in."""
    next_url = _safe_next(request, _resident_default_next())
    if request.GET.get("restart"):
        request.session.pop(REG_KEY, None)
        return redirect(_with_next("accounts:enterprise-register", next_url))
    draft = _session_get(request, REG_KEY)
    context: dict[str, Any] = {
        "next": next_url,
        "step": "code" if draft else "details",
        "draft": draft,
        "masked_phone": mask_phone(draft.get("phone", "")),
        "resend_in": max(0, int(draft.get("resend_at", 0)) - int(time.time())),
        "form": EnterpriseForm(),
        "code_form": CodeForm(),
        "outbox_visible": settings.DEMO or settings.DEBUG,
    }
    if request.method != "POST":
        return render(request, "accounts/enterprise_register.html", context)
    action = request.POST.get("action")
    ip = client_ip(request)
    if action in {"send", "resend"}:
        if action == "resend" and draft:
            details = {k: draft[k] for k in ("name", "credit_code", "phone", "contact_name")}
        else:
            form = EnterpriseForm(request.POST)
            context["form"] = form
            if not form.is_valid():
                return render(request, "accounts/enterprise_register.html", context)
            details = form.cleaned_data
        try:
            checked = services.enterprise_registration_check(**details)
            sent = services.sms_code_request(phone=checked.phone, purpose=SmsCode.Purpose.REGISTER, ip=ip)
        except TongbanError as exc:
            return _error_response(request, "accounts/enterprise_register.html", context, exc)
        _session_put(
            request,
            REG_KEY,
            {
                "name": checked.name,
                "credit_code": checked.credit_code,
                "phone": checked.phone,
                "contact_name": checked.contact_name,
                "resend_at": int(time.time()) + sent.resend_after,
            },
        )
        return redirect(_with_next("accounts:enterprise-register", next_url))
    if action == "verify" and draft:
        code_form = CodeForm(request.POST)
        context["code_form"] = code_form
        if not code_form.is_valid():
            return render(request, "accounts/enterprise_register.html", context)
        try:
            user = services.enterprise_register_with_code(
                name=draft["name"],
                credit_code=draft["credit_code"],
                phone=draft["phone"],
                contact_name=draft["contact_name"],
                code=code_form.cleaned_data["code"],
                ip=ip,
            )
        except TongbanError as exc:
            return _error_response(request, "accounts/enterprise_register.html", context, exc)
        request.session.pop(REG_KEY, None)
        login(request, user, backend=MODEL_BACKEND)
        request.session.set_expiry(_session_seconds("RESIDENT_SESSION_SECONDS", RESIDENT_SESSION_SECONDS))
        messages.success(request, _("企业账号已开通：%(name)s") % {"name": user.display_name})
        return redirect(next_url)
    return redirect(_with_next("accounts:enterprise-register", next_url))


# --- OIDC (production identity provider for residents) -----------------------------------------


def _oidc_view(kind: str) -> Any:
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("OIDC is not enabled")
        from mozilla_django_oidc import views as oidc_views

        klass: Any = (
            oidc_views.OIDCAuthenticationRequestView
            if kind == "authenticate"
            else oidc_views.OIDCAuthenticationCallbackView
        )
        response: HttpResponse = klass.as_view()(request, *args, **kwargs)
        return response

    view.__name__ = f"oidc_{kind}"
    return view


oidc_authenticate = _oidc_view("authenticate")
oidc_callback = _oidc_view("callback")


def oidc_failure(request: HttpRequest) -> HttpResponseRedirect:
    messages.error(request, _("统一身份认证登录未成功，请改用手机号和短信验证码登录。"))
    return HttpResponseRedirect(reverse("accounts:resident-login"))
