"""The OpenAPI schema class of every API view (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``).

Every error this API answers has one body, ``ApiError`` (``core.errors.api_exception_handler``). Views list
the error statuses an operation can answer, mostly as a bare description
(``{409: OpenApiResponse(description=...)}``); this class gives each such 4xx/5xx the ``ApiError`` body, and
adds ``401`` to every operation that needs a signed-in caller, so that the contract is in the file and not
in every view. A response a view describes with its own body is left as it is.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from tongban.core.api.serializers import ApiErrorSerializer

NOT_SIGNED_IN = (
    "未登录，或令牌无效、已过期 / Not signed in, or the token is invalid or expired "
    "(`not_authenticated`, `authentication_failed`)"
)


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses: dict[str, Any] = operation["responses"]
        # the security requirements drf-spectacular derived from the view: ``{}`` among them means "or
        # anonymous" (AllowAny); none at all, no authentication classes (a device key, a token in the path)
        security = operation.get("security") or []
        if security and {} not in security and "401" not in responses:
            responses["401"] = {"description": NOT_SIGNED_IN}
        for code, response in responses.items():
            if code[:1] in {"4", "5"} and "content" not in response:
                response["content"] = self._error_content()
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_content(self) -> dict[str, Any]:
        schema = self.resolve_serializer(ApiErrorSerializer, "response").ref
        return {media_type: {"schema": schema} for media_type in self.map_renderers("media_type")}
