import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation
from rest_framework import exceptions as drf
from rest_framework import serializers

from tongban.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    RateLimited,
    Unavailable,
    ValidationError,
    api_exception_handler,
)


def handle(exc):
    return api_exception_handler(exc, {})


def test_business_error_shape_and_status():
    response = handle(
        ValidationError(
            "缺少必需材料：出生医学证明",
            "Required material missing",
            code="application.material_missing",
            details={"material": 3},
        )
    )
    assert response.status_code == 400
    assert response.data == {
        "error": {
            "code": "application.material_missing",
            "message": "缺少必需材料：出生医学证明",
            "message_en": "Required material missing",
            "details": {"material": 3},
        }
    }


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (NotFound(), 404, "not_found"),
        (Conflict(), 409, "conflict"),
        (InvalidTransition(), 409, "invalid_transition"),
        (Unavailable(), 503, "unavailable"),
        (ValidationError(status_code=413, code="upload.too_large"), 413, "upload.too_large"),
    ],
)
def test_defaults(exc, status, code):
    response = handle(exc)
    assert (response.status_code, response.data["error"]["code"]) == (status, code)
    assert response.data["error"]["message"] and response.data["error"]["message_en"]
    assert "details" not in response.data["error"]


def test_rate_limited_sets_retry_after():
    response = handle(RateLimited(retry_after=42))
    assert (response.status_code, response["Retry-After"]) == (429, "42")


def test_drf_validation_error_keeps_field_details():
    class S(serializers.Serializer):
        n = serializers.IntegerField()

    with translation.override("zh-hans"):
        s = S(data={"n": "x"})
        assert not s.is_valid()
    response = handle(drf.ValidationError(s.errors))
    assert response.status_code == 400
    assert response.data["error"]["code"] == "invalid"
    assert response.data["error"]["details"] == {"n": ["请填写合法的整数值。"]}


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (drf.NotAuthenticated(), 401, "not_authenticated"),
        (drf.PermissionDenied(), 403, "forbidden"),
        (PermissionDenied(), 403, "forbidden"),
        (Http404(), 404, "not_found"),
        (drf.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
        (drf.Throttled(wait=7), 429, "rate_limited"),
        (drf.NotAcceptable("Could not satisfy the request Accept header."), 406, "not_acceptable"),
    ],
)
def test_framework_errors_use_the_same_shape(exc, status, code):
    response = handle(exc)
    assert response.status_code == status
    assert set(response.data) == {"error"}
    assert response.data["error"]["code"] == code
    assert response.data["error"]["message"]


@pytest.mark.parametrize("reason", ["CSRF token missing.", "CSRF cookie not set."])
def test_a_csrf_refusal_is_named_not_called_forbidden(reason):
    # what SessionAuthentication.enforce_csrf raises for a session-authenticated write without a valid token
    response = handle(drf.PermissionDenied(f"CSRF Failed: {reason}"))
    assert response.status_code == 403
    assert response.data == {
        "error": {
            "code": "csrf_failed",
            "message": "请求缺少或带有无效的 CSRF 令牌，请刷新页面后重试",
            "message_en": "CSRF token missing or invalid; reload the page and try again",
            "details": {"reason": reason},
        }
    }


def test_other_permission_denials_stay_forbidden():
    response = handle(drf.PermissionDenied("You do not have permission to perform this action."))
    assert response.data["error"]["code"] == "forbidden"
    assert "details" not in response.data["error"]


def test_throttled_keeps_retry_after():
    assert handle(drf.Throttled(wait=7))["Retry-After"] == "7"


def test_unknown_exceptions_are_left_to_django():
    assert handle(RuntimeError("boom")) is None
