"""The error contract as the OpenAPI file states it (core/api/schema.py): every error response an operation
lists has a body, and every operation that needs a signed-in caller lists 401."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

API_ERROR = {"$ref": "#/components/schemas/ApiError"}


@cache
def _schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _operations() -> dict[str, dict[str, Any]]:
    return {
        op["operationId"]: op
        for methods in _schema()["paths"].values()
        for op in methods.values()
        if isinstance(op, dict) and "operationId" in op
    }


def _body(response: dict[str, Any]) -> Any:
    return response["content"]["application/json"]["schema"]


@pytest.mark.parametrize(
    "operation", ["queue_window_call_next", "queue_ticket_finish", "queue_ticket_transfer", "queue_stats"]
)
def test_queue_staff_operations_describe_each_error_with_the_shared_body(operation):
    responses = _operations()[operation]["responses"]
    assert {"400", "401", "403", "404", "409"} <= set(responses)
    for code in ("400", "401", "403", "404", "409"):
        assert _body(responses[code]) == API_ERROR, code
    assert responses["409"]["description"].startswith("Conflict")  # the view's own words are kept


def test_every_listed_error_response_has_a_body():
    bare = [
        (operation_id, code)
        for operation_id, op in _operations().items()
        for code, response in op["responses"].items()
        if code[0] in "45" and "content" not in response
    ]
    assert bare == []
    assert set(_schema()["components"]["schemas"]["ApiError"]["properties"]) == {"error"}


def test_401_is_listed_exactly_where_a_signed_in_caller_is_needed():
    ops = _operations()
    for operation_id, op in ops.items():
        security = op.get("security") or []
        needs_sign_in = bool(security) and {} not in security
        if needs_sign_in:
            assert "401" in op["responses"], operation_id
    public = ["queue_ticket_issue", "queue_display", "queue_ticket_follow", "catalog_centers_list"]
    assert [o for o in public if "401" in ops[o]["responses"]] == []
    assert _body(ops["applications_list"]["responses"]["401"]) == API_ERROR


def test_the_window_path_parameter_is_said_to_be_the_windows_id_not_its_number():
    ops = _operations()
    for operation_id in ("queue_window_call_next", "queue_window_pause", "queue_window_resume"):
        (window,) = [p for p in ops[operation_id]["parameters"] if p["name"] == "window"]
        assert window["in"] == "path" and window["required"] is True
        assert window["schema"] == {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
        assert "the window's id" in window["description"] and "not its number" in window["description"]
    schemas = _schema()["components"]["schemas"]
    assert "not the window's id" in schemas["TicketOut"]["properties"]["window"]["description"]
    assert "not its id" in schemas["TransferInRequest"]["properties"]["window"]["description"]
