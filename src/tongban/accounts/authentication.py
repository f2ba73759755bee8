"""``Authorization: Bearer <token>`` for staff API clients (tokens from POST /api/v1/auth/token).

Only a SHA-256 of each token is stored. A token stops working when it expires,
is revoked, or its user is deactivated or no longer holds a staff role.
Tokens are issued only after every required sign-in factor (password + TOTP),
so a request authenticated by a token counts as two-factor verified.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions

from tongban.core import sql
from tongban.core.crypto import EncryptedTextField

LAST_USED_RESOLUTION = timedelta(minutes=1)

# Every staff API request runs this look-up: written out (column lists from the models), because compiling
# the ORM's select_related query cost several times what PostgreSQL spends executing it.
_LOOKUP_SQL = (
    "SELECT {token}, {user} FROM accounts_apitoken t JOIN accounts_user u ON u.id = t.user_id"
    " WHERE t.key_hash = %s"
)


@functools.cache
def _user_omit() -> tuple[str, ...]:
    """The user's encrypted fields (phone, ID number), which the look-up does not read: a request
    authenticated by a token rarely needs them, and decrypting them for every call and finish put the
    clerk's personal data in memory for nothing. They load on first access, as after ``defer()``."""
    from tongban.accounts.models import User

    return tuple(f.attname for f in User._meta.concrete_fields if isinstance(f, EncryptedTextField))


def _token_with_user(key_hash: str) -> Any:
    """The token with that hash and its user (already attached, its encrypted fields deferred), or None.
    One statement."""
    from tongban.accounts.models import ApiToken, User

    omit = _user_omit()
    statement = _LOOKUP_SQL.format(token=sql.columns(ApiToken, "t"), user=sql.columns(User, "u", omit=omit))
    with connection.cursor() as cursor:
        sql.execute(cursor, statement, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(ApiToken._meta.concrete_fields)
    token = sql.from_row(ApiToken, row[:split])
    token.user = sql.from_row(User, row[split:], omit=omit)
    return token


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
        from tongban.accounts.models import STAFF_ROLES, ApiToken

        token = header[1].decode("ascii", errors="replace")
        row = _token_with_user(hash_token(token))
        if row is None or row.revoked_at is not None:
            raise exceptions.AuthenticationFailed("Invalid token")
        user = row.user
        if not user.is_active or user.role not in STAFF_ROLES:
            raise exceptions.AuthenticationFailed("Invalid token")
        now = timezone.now()
        if row.expires_at and row.expires_at <= now:
            raise exceptions.AuthenticationFailed("Token expired")
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            # Bookkeeping, not a domain state change: at most one write a minute per token.
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        user.otp_device = None  # type: ignore[attr-defined]  # is_verified() answers for sessions only
        return (user, row)

    def authenticate_header(self, request: Any) -> str:
        return self.keyword
