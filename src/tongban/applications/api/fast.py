"""Fast paths of the intake endpoint (``POST /api/v1/applications``), which runs for every case.

A DRF serializer instance deep-copies its fields on every request (``CreateIn`` and its nested
applicant and material serializers: ~0.7 ms of the intake's CPU), which costs more than parsing the
input itself. :func:`create_in` gives exactly ``CreateIn(data=…).validated_data`` for well-formed
bodies (``test_api_fast.py`` checks it on valid and invalid input); every other body — anything
unusual, every invalid input — goes to the serializer, which stays the documented schema and gives
the errors. Same pattern as ``queueing/api/serializers.py`` (``ticket_issue_in``).
"""

from __future__ import annotations

from typing import Any

from tongban.applications.models import ApplicationMaterial, Channel, DeliveryMethod

_CHANNELS = frozenset(Channel.values)
_DELIVERIES = {m.value: m for m in DeliveryMethod}
_STATES = frozenset(ApplicationMaterial.State.values)
# optional text fields of CreateIn: their max_length (None: no limit); all allow blank
_CREATE_TEXT = {
    "matter_code": None,
    "bundle_code": None,
    "center_code": None,
    "delivery_address": 300,
    "note": 2000,
}
_CREATE_KEYS = frozenset({*_CREATE_TEXT, "applicant", "channel", "delivery", "materials", "accept"})
_APPLICANT_KEYS = frozenset({"id_number", "name", "phone"})
_TICK_KEYS = frozenset({"material_type_id", "state", "received_form", "received_count", "problem"})


def _text(value: Any, limit: int | None, *, blank: bool = True) -> bool:
    """A string a ``CharField`` takes unchanged: no surrounding white space (it would be trimmed), only
    printable characters (no NUL, no surrogates, no line breaks), within ``limit``."""
    return (
        type(value) is str
        and (limit is None or len(value) <= limit)
        and (blank or value != "")
        and value.isprintable()
        and value == value.strip()
    )


def _applicant(data: Any) -> dict[str, str] | None:
    if type(data) is not dict or not data.keys() <= _APPLICANT_KEYS:
        return None
    id_number, name, phone = data.get("id_number"), data.get("name", ""), data.get("phone", "")
    if not (_text(id_number, 30, blank=False) and _text(name, 100) and _text(phone, 20)):
        return None
    return {"id_number": id_number, "name": name, "phone": phone}


def _tick(data: Any) -> dict[str, Any] | None:
    if type(data) is not dict or not data.keys() <= _TICK_KEYS:
        return None
    type_id, state = data.get("material_type_id"), data.get("state", "received")
    form, count, problem = data.get("received_form", ""), data.get("received_count"), data.get("problem", "")
    if type(type_id) is not int or type(state) is not str or state not in _STATES:
        return None
    if not (count is None or (type(count) is int and count >= 0)):
        return None
    if not (_text(form, None) and _text(problem, 300)):
        return None
    return {
        "material_type_id": type_id,
        "state": state,
        "received_form": form,
        "received_count": count,
        "problem": problem,
    }


def create_in(data: Any) -> dict[str, Any] | None:
    """``CreateIn(data=data).validated_data`` for a well-formed JSON body; ``None`` when the serializer
    has to decide (anything else, including every invalid input)."""
    if type(data) is not dict or not data.keys() <= _CREATE_KEYS:
        return None
    out: dict[str, Any] = {}
    for key, limit in _CREATE_TEXT.items():
        value = data.get(key, "")
        if not _text(value, limit):
            return None
        out[key] = value
    channel = data.get("channel")
    if type(channel) is not str or channel not in _CHANNELS:
        return None
    out["channel"] = channel
    delivery = data.get("delivery", DeliveryMethod.WINDOW.value)
    if type(delivery) is not str or delivery not in _DELIVERIES:
        return None
    out["delivery"] = delivery if "delivery" in data else DeliveryMethod.WINDOW
    if "applicant" in data:
        applicant = _applicant(data["applicant"])
        if applicant is None:
            return None
        out["applicant"] = applicant
    materials = data.get("materials", [])
    if type(materials) is not list:
        return None
    ticks = []
    for item in materials:
        tick = _tick(item)
        if tick is None:
            return None
        ticks.append(tick)
    out["materials"] = ticks
    accept = data.get("accept", False)
    if type(accept) is not bool:
        return None
    out["accept"] = accept
    return out
