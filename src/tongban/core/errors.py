"""Typed business errors and the one handler that maps them to clear 4xx responses.

Every service raises a subclass of :class:`TongbanError`. The API answers::

    {"error": {"code": "application.material_missing",
               "message": "缺少必需材料：出生医学证明",
               "message_en": "Required material missing: birth certificate",
               "details": {...}}}

with the class's HTTP status. Codes are stable: clients branch on them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler


class TongbanError(Exception):
    status_code: int = 400
    code: str = "invalid"
    message: str = "请求无效"
    message_en: str = "Invalid request"

    def __init__(
        self,
        message: str | None = None,
        message_en: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        self.message = message or self.message
        self.message_en = message_en or self.message_en
        self.code = code or self.code
        self.details = details or {}
        if status_code is not None:
            self.status_code = status_code
        super().__init__(f"{self.code}: {self.message} / {self.message_en}")

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "message_en": self.message_en}
        if self.details:
            body["details"] = self.details
        return body


class ValidationError(TongbanError):
    status_code = 400
    code = "invalid"


class NotFound(TongbanError):
    status_code = 404
    code = "not_found"
    message = "对象不存在"
    message_en = "Not found"


class Forbidden(TongbanError):
    status_code = 403
    code = "forbidden"
    message = "无权执行此操作"
    message_en = "You are not allowed to do this"


class Conflict(TongbanError):
    status_code = 409
    code = "conflict"
    message = "对象已被他人修改，请刷新后重试"
    message_en = "Someone else changed this first; reload and try again"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message = "当前状态不允许此操作"
    message_en = "This action is not allowed in the current state"


class RateLimited(TongbanError):
    status_code = 429
    code = "rate_limited"
    message = "尝试次数过多，请稍后再试"
    message_en = "Too many attempts; try again later"

    def __init__(self, *args: Any, retry_after: int = 60, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class Unavailable(TongbanError):
    status_code = 503
    code = "unavailable"
    message = "服务暂不可用"
    message_en = "Service temporarily unavailable"


_DRF_MESSAGES: dict[type, tuple[str, str, str]] = {
    drf_exceptions.NotAuthenticated: ("not_authenticated", "请先登录", "Authentication required"),
    drf_exceptions.AuthenticationFailed: ("authentication_failed", "身份认证失败", "Authentication failed"),
    drf_exceptions.PermissionDenied: ("forbidden", "无权执行此操作", "You are not allowed to do this"),
    drf_exceptions.NotFound: ("not_found", "对象不存在", "Not found"),
    drf_exceptions.MethodNotAllowed: ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
    drf_exceptions.Throttled: ("rate_limited", "请求过于频繁，请稍后再试", "Too many requests"),
    drf_exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        "不支持的内容类型",
        "Unsupported media type",
    ),
    drf_exceptions.ParseError: ("parse_error", "请求格式错误", "Malformed request"),
}

# DRF's SessionAuthentication.enforce_csrf raises a plain PermissionDenied with this detail prefix (not
# translated) followed by Django's reason ("CSRF token missing.", "CSRF cookie not set." …).
_CSRF_PREFIX = "CSRF Failed: "


def _csrf_failure_reason(exc: Exception) -> str | None:
    """Django's reason when ``exc`` is DRF's CSRF refusal of a session-authenticated write, else None."""
    if not isinstance(exc, drf_exceptions.PermissionDenied):
        return None
    detail = exc.detail
    if isinstance(detail, str) and detail.startswith(_CSRF_PREFIX):
        return detail[len(_CSRF_PREFIX) :]
    return None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: one error shape for business and framework errors."""
    if isinstance(exc, TongbanError):
        response = Response({"error": exc.as_dict()}, status=exc.status_code)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    default = drf_default_handler(exc, context)
    if default is None:
        return None
    response = default
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = {
            "error": {
                "code": "invalid",
                "message": "输入有误，请检查标出的字段",
                "message_en": "Invalid input; see the fields listed",
                "details": response.data,
            }
        }
        return response
    reason = _csrf_failure_reason(exc)
    if reason is not None:  # a stale page, not a missing right: say how to recover
        response.data = {
            "error": {
                "code": "csrf_failed",
                "message": "请求缺少或带有无效的 CSRF 令牌，请刷新页面后重试",
                "message_en": "CSRF token missing or invalid; reload the page and try again",
                "details": {"reason": reason},
            }
        }
        return response
    for klass, (code, zh, en) in _DRF_MESSAGES.items():
        if isinstance(exc, klass):
            response.data = {"error": {"code": code, "message": zh, "message_en": en}}
            return response
    # Any other framework error (NotAcceptable, a third-party APIException …): same shape, its own text.
    detail = getattr(exc, "detail", "")
    text = str(detail) if isinstance(detail, str) else "请求无法处理"
    code = str(getattr(exc, "default_code", "") or "error")
    response.data = {"error": {"code": code, "message": text, "message_en": text}}
    return response
