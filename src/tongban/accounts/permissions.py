"""Role checks used by every app: plain helpers, DRF permission classes and view decorators.

* Services: ``require_role(actor, Role.CLERK, Role.MANAGER)`` raises :class:`~tongban.core.errors.Forbidden`.
* API views: ``permission_classes = [IsStaffRole]`` or ``[HasRole.of(Role.CLERK)]`` or ``[IsResident]``.
* HTML views: ``@staff_required`` / ``@staff_required(roles=(Role.REVIEWER,))`` and ``@resident_required``.

Staff must have passed the second factor (TOTP) when ``settings.STAFF_2FA_REQUIRED`` is on: a session
must be OTP-verified (django-otp), a bearer token counts as verified (it was issued after the OTP).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from rest_framework.permissions import BasePermission

from tongban.accounts.errors import TwoFactorRequired
from tongban.accounts.models import STAFF_ROLES, ApiToken, Role
from tongban.core.errors import Forbidden

END_USER_ROLES = frozenset({Role.RESIDENT, Role.ENTERPRISE})


def is_staff_role(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.role in STAFF_ROLES)


def has_role(user: Any, *roles: str) -> bool:
    return bool(user is not None and user.is_authenticated and user.role in roles)


def two_factor_satisfied(user: Any, auth: Any = None) -> bool:
    """False only for a staff user who still owes the second factor under ``STAFF_2FA_REQUIRED``."""
    if not settings.STAFF_2FA_REQUIRED or not is_staff_role(user):
        return True
    if isinstance(auth, ApiToken):
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


def require_role(user: Any, *roles: str) -> None:
    """Raise :class:`Forbidden` unless ``user`` is signed in with one of ``roles``."""
    if user is None or not user.is_authenticated:
        raise Forbidden("请先登录", "Sign in first", code="auth.login_required")
    if user.role not in roles:
        raise Forbidden()


class IsStaffRole(BasePermission):
    """Signed-in staff (any staff role), two-factor verified when that is required."""

    roles: Iterable[str] = STAFF_ROLES

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # → 401 from the authenticators
        if user.role not in self.roles:
            return False
        if not two_factor_satisfied(user, request.auth):
            raise TwoFactorRequired()
        return True


class HasRole(IsStaffRole):
    """``HasRole.of(Role.CLERK, Role.MANAGER)``: exactly these roles (two-factor applies to staff roles)."""

    roles: Iterable[str] = ()

    @classmethod
    def of(cls, *roles: str) -> type[HasRole]:
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": frozenset(roles)})


class IsResident(BasePermission):
    """A signed-in resident."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return has_role(request.user, Role.RESIDENT)


class IsEndUser(BasePermission):
    """A signed-in resident or enterprise."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return has_role(request.user, *END_USER_ROLES)


ViewFunc = Callable[..., HttpResponse]


def _redirect_with_next(url_name: str, request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}")


def staff_required(view: ViewFunc | None = None, *, roles: Iterable[str] | None = None) -> Any:
    """Page decorator: staff only (optionally given roles), with the second factor when required.

    Anonymous → the staff sign-in page; a signed-in non-staff or wrong role → 403;
    staff that still owe the TOTP step → that step (or the enrolment page), then back.
    """
    allowed = frozenset(roles) if roles is not None else STAFF_ROLES

    def decorator(func: ViewFunc) -> ViewFunc:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return _redirect_with_next("accounts:login", request)
            if user.role not in allowed:
                raise PermissionDenied("无权访问此页面")
            if not two_factor_satisfied(user):
                from tongban.accounts.services import user_has_totp

                step = "accounts:login-otp" if user_has_totp(user) else "accounts:otp-setup"
                return _redirect_with_next(step, request)
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


def resident_required(view: ViewFunc | None = None, *, enterprise: bool = True) -> Any:
    """Page decorator for residents (and enterprises unless ``enterprise=False``): else the SMS sign-in page."""
    allowed = END_USER_ROLES if enterprise else frozenset({Role.RESIDENT})

    def decorator(func: ViewFunc) -> ViewFunc:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return _redirect_with_next("accounts:resident-login", request)
            if request.user.role not in allowed:
                raise PermissionDenied("此页面仅供居民和企业使用")
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
