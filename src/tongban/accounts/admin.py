"""Accounts admin (Chinese): people with masked personal data, roles and assignments, API tokens.

Phone and ID number are never shown in full here: lists and forms show the masked
value, a "查看" link reveals one field through ``pii_reveal`` (role check + audit),
and new values are typed into write-only fields that go through ``user_update_pii``.

The admin site itself signs in through the staff sign-in page (password → TOTP),
and refuses anyone not OTP-verified while ``STAFF_2FA_REQUIRED`` is on.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from tongban.accounts import services
from tongban.accounts.http import client_ip
from tongban.accounts.models import ApiToken, SmsCode, User
from tongban.core.audit import audit_log
from tongban.core.crypto import blind_index
from tongban.core.errors import TongbanError

# --- the admin site: Chinese titles, our sign-in page, second factor ------------------------------

admin.site.site_header = _("通办 后台管理")
admin.site.site_title = _("通办 后台管理")
admin.site.index_title = _("维护事项、窗口、日历、账号")

_default_has_permission = admin.site.has_permission


def _admin_has_permission(request: HttpRequest) -> bool:
    if not _default_has_permission(request):
        return False
    if settings.STAFF_2FA_REQUIRED:
        is_verified = getattr(request.user, "is_verified", None)
        return bool(is_verified is not None and is_verified())
    return True


def _admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin's sign-in is the staff sign-in page (same throttling, same second factor)."""
    from tongban.accounts.views import staff_login

    if "next" not in request.GET and request.method == "GET":
        return HttpResponseRedirect(f"{request.path}?{urlencode({'next': reverse('admin:index')})}")
    return staff_login(request)


admin.site.has_permission = _admin_has_permission  # type: ignore[method-assign]
admin.site.login = _admin_login  # type: ignore[method-assign]

# TOTP secrets must not be readable in the admin; a lost phone is handled by the reset action below.
with contextlib.suppress(NotRegistered):
    admin.site.unregister(TOTPDevice)


# --- users -----------------------------------------------------------------------------------------


class UserChangeForm(forms.ModelForm):
    new_phone = forms.CharField(
        label=_("新手机号"), required=False, max_length=20, help_text=_("留空则不修改；输入后加密保存")
    )
    new_id_number = forms.CharField(
        label=_("新证件号码"), required=False, max_length=18, help_text=_("留空则不修改；输入后加密保存")
    )

    class Meta:
        model = User
        fields = (
            "username",
            "display_name",
            "role",
            "center",
            "department",
            "default_window",
            "credit_code",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        )


class UserAddForm(forms.ModelForm):
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput, strip=False, required=False)

    class Meta:
        model = User
        fields = ("username", "display_name", "role", "center", "department", "default_window")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserAddForm
    list_display = (
        "username",
        "display_name",
        "role",
        "post",
        "masked_phone_col",
        "masked_id_col",
        "two_factor",
        "is_active",
    )
    list_filter = ("role", "is_active", "center", "department")
    list_select_related = ("center", "department", "default_window__center")
    search_fields = ("username", "display_name", "credit_code")
    search_help_text = _("按用户名、姓名、信用代码搜索；输入完整手机号或身份证号可精确查找")
    ordering = ("role", "username")
    readonly_fields = ("masked_phone_field", "masked_id_field", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "display_name", "role", "is_active")}),
        (_("工作岗位"), {"fields": ("center", "department", "default_window")}),
        (
            _("个人信息（加密保存）"),
            {
                "fields": (
                    "masked_phone_field",
                    "new_phone",
                    "masked_id_field",
                    "new_id_number",
                    "credit_code",
                )
            },
        ),
        (_("后台权限"), {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "username",
                    "display_name",
                    "role",
                    "center",
                    "department",
                    "default_window",
                    "password1",
                ),
                "description": _("工作人员账号请在此创建；居民和企业账号在其首次登录或注册时自动建立。"),
            },
        ),
    )
    actions = ("reset_totp",)

    @admin.display(description=_("工作岗位"))
    def post(self, obj: User) -> str:
        """Center code and window number, or the department: where the person works."""
        center = obj.center.code if obj.center is not None else ""
        if obj.department is not None:
            return obj.department.short_name or obj.department.name
        if obj.default_window is not None:
            return f"{center} {obj.default_window.number}号窗口"
        return center or "—"

    @admin.display(description=_("手机号"))
    def masked_phone_col(self, obj: User) -> str:
        return obj.masked_phone

    @admin.display(description=_("证件号码"))
    def masked_id_col(self, obj: User) -> str:
        return obj.masked_id_number

    @admin.display(description=_("双因素"), boolean=True)
    def two_factor(self, obj: User) -> bool:
        return bool(getattr(obj, "has_totp", False))

    def _reveal_link(self, obj: User, field: str, masked: str) -> str:
        if not obj.pk or not masked:
            return masked or "—"
        url = reverse("admin:accounts_user_reveal", args=[obj.pk, field])
        return format_html('{} &nbsp;<a href="{}">{}</a>', masked, url, _("查看完整（将记录审计日志）"))

    @admin.display(description=_("手机号"))
    def masked_phone_field(self, obj: User) -> str:
        return self._reveal_link(obj, "phone", obj.masked_phone)

    @admin.display(description=_("证件号码"))
    def masked_id_field(self, obj: User) -> str:
        return self._reveal_link(obj, "id_number", obj.masked_id_number)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        from django.db.models import Exists, OuterRef

        devices = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(has_totp=Exists(devices))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[User], search_term: str) -> Any:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = "".join(search_term.split())
        if term and (term.isdigit() or term[:-1].isdigit()) and len(term) in {11, 15, 18}:
            hashed = blind_index(term)
            results = results | queryset.filter(phone_hash=hashed) | queryset.filter(id_number_hash=hashed)
        return results, may_have_duplicates

    def get_urls(self) -> list[Any]:
        custom = [
            path(
                "<id:pk>/reveal/<str:field>/",
                self.admin_site.admin_view(self.reveal_view),
                name="accounts_user_reveal",
            )
        ]
        return custom + super().get_urls()

    def reveal_view(self, request: HttpRequest, pk: int, field: str) -> HttpResponse:
        subject = get_object_or_404(User, pk=pk)
        if not self.has_view_permission(request, subject):
            return HttpResponseRedirect(reverse("admin:index"))
        try:
            value = services.pii_reveal(
                actor=request.user,  # type: ignore[arg-type]
                user=subject,
                field=field,
                reason="admin",
                ip=client_ip(request),
            )
        except TongbanError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("查看个人信息"),
            "subject": subject,
            "field_label": {"phone": _("手机号"), "id_number": _("证件号码")}.get(field, field),
            "value": value,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accounts/user/reveal.html", context)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None
        if not change:
            password = form.cleaned_data.get("password1") or None
            created = services.user_create_staff(
                actor=actor,
                username=obj.username,
                role=obj.role,
                display_name=obj.display_name,
                password=password,
                center=obj.center,
                department=obj.department,
                default_window=obj.default_window,
            )
            obj.pk = created.pk
            obj._state.adding = False
            return
        super().save_model(request, obj, form, change)
        changed = [f for f in form.changed_data if f not in {"new_phone", "new_id_number"}]
        if changed:
            audit_log(actor=actor, action="accounts.user.admin_change", obj=obj, data={"fields": changed})
        new_phone = form.cleaned_data.get("new_phone") or None
        new_id = form.cleaned_data.get("new_id_number") or None
        if new_phone or new_id:
            services.user_update_pii(actor=actor, user=obj, phone=new_phone, id_number=new_id)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def response_add(
        self, request: HttpRequest, obj: User, post_url_continue: str | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[obj.pk]))

    @admin.action(description=_("重置身份验证器（手机丢失时），下次登录重新绑定"))
    def reset_totp(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        total = 0
        for user in queryset:
            try:
                total += services.totp_device_reset(actor=request.user, user=user)  # type: ignore[arg-type]
            except TongbanError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
        self.message_user(request, _("已重置 %(n)d 个身份验证器。") % {"n": total})


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at", "last_used_at", "revoked_at", "created_ip")
    list_filter = ("revoked_at",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    readonly_fields = ("user", "created_at", "expires_at", "last_used_at", "revoked_at", "created_ip")
    exclude = ("key_hash",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued only by POST /api/v1/auth/token

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            services.api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
        self.message_user(request, _("已吊销。"))


@admin.register(SmsCode)
class SmsCodeAdmin(admin.ModelAdmin):
    """For support: was a code sent, and what became of it. Codes themselves are not stored."""

    list_display = ("created_at", "purpose", "ip", "attempts", "live", "outcome", "expires_at")
    list_filter = ("purpose", "outcome", "live")
    fields = ("created_at", "purpose", "ip", "attempts", "live", "outcome", "expires_at", "closed_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
