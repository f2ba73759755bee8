"""``Authorization: Bearer <token>`` for staff API clients (tokens from POST /api/v1/auth/token)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header")
        from tongban.accounts.models import ApiToken

        token = header[1].decode("ascii", errors="replace")
        row = ApiToken.objects.select_related("user").filter(key_hash=hash_token(token)).first()
        if row is None or not row.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token")
        if row.expires_at and row.expires_at < timezone.now():
            raise exceptions.AuthenticationFailed("Token expired")
        return (row.user, row)

    def authenticate_header(self, request: Any) -> str:
        return self.keyword
