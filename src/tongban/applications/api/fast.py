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

from django.utils import timezone

from tongban.applications.api.serializers import ApplicationDetailOut, deadline_dict
from tongban.applications.models import ApplicationMaterial, Channel, DeliveryMethod, Status
from tongban.core.api.serializers import datetime_out
from tongban.core.converters import MAX_ID
from tongban.core.crypto import mask_id_number, mask_phone

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
    if (
        type(type_id) is not int
        or not 1 <= type_id <= MAX_ID
        or type(state) is not str
        or state not in _STATES
    ):
        return None
    if not (count is None or (type(count) is int and 0 <= count <= 9999)):
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


# --- the answer ---------------------------------------------------------------------------------
# ``ApplicationDetailOut`` walks ~55 fields through DRF's generic machinery (~0.6 ms per case);
# :func:`detail_out` builds the same dict directly (test_api_fast.py compares them, key order
# included, on new cases and on cases with suspensions, extensions and a one-time notice).


def _s(value: Any) -> str | None:
    """A ``CharField``/``ChoiceField`` value as DRF renders it (choices are plain strings here)."""
    return None if value is None else str(value)


def _i(value: Any) -> int | None:
    return None if value is None else int(value)


def _d(value: Any) -> str | None:
    return value.isoformat() if value else None


def _material(m: ApplicationMaterial) -> dict[str, Any]:
    return {
        "id": m.pk,
        "material_type_id": m.material_type_id,
        "name": _s(m.name),
        "form": _s(m.form),
        "count": _i(m.count),
        "required": m.required,
        "rongque": m.rongque,
        "state": _s(m.state),
        "received_form": _s(m.received_form),
        "received_count": _i(m.received_count),
        "problem": _s(m.problem),
    }


def detail_out(app: Any) -> dict[str, Any]:
    """``serializers.detail_data(app)``, built directly: the intake's 201 answer."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    return {
        "number": _s(app.number),
        "status": _s(app.status),
        "status_label": str(Status(app.status).label),
        "matter_code": _s(app.matter.code),
        "matter_name": _s(app.matter.name),
        "center_code": _s(app.center.code),
        "department_code": _s(app.department.code),
        "applicant_name": _s(app.applicant_name),
        "applicant_id_last4": _s(app.applicant_id_last4),
        "channel": _s(app.channel),
        "bundle_case": app.number.rsplit("-", 1)[0] if app.bundle_case_id else None,
        "created_at": datetime_out(app.created_at, tz),
        "accepted_at": datetime_out(app.accepted_at, tz),
        "deadline": deadline_dict(app),
        "applicant_id_masked": mask_id_number(app.applicant.id_number) if app.applicant.id_number else "",
        "contact_phone_masked": mask_phone(app.contact_phone),
        "guide_version": _i(app.guide.version),
        "delivery": _s(app.delivery),
        "outcome": _s(app.outcome),
        "outcome_reason": _s(app.outcome_reason),
        "refusal_reason": _s(app.refusal_reason),
        "refusal_basis": _s(app.refusal_basis),
        "promised_days": _i(app.promised_days),
        "extension_days": _i(app.extension_days),
        "suspended_days": _i(app.suspended_days),
        "version": _i(app.version),
        "materials": [_material(m) for m in app.materials.all()],
        "history": [
            {
                "from_status": _s(h.from_status),
                "to_status": _s(h.to_status),
                "action": _s(h.action),
                "actor_repr": _s(h.actor_repr),
                "at": datetime_out(h.at, tz),
                "reason": _s(h.reason),
            }
            for h in app.history.all()
        ],
        "reviews": [
            {
                "id": r.pk,
                "application_number": _s(r.application.number),
                "department_code": _s(r.department.code),
                "department_name": _s(r.department.name),
                "requested_at": datetime_out(r.requested_at, tz),
                "due_date": _d(r.due_date),
                "opinion": _s(r.opinion),
                "text": _s(r.text),
                "answered_at": datetime_out(r.answered_at, tz),
                "late": r.late,
                "overdue": r.answered_at is None and r.due_date < today,
            }
            for r in app.reviews.all()
        ],
        "suspensions": [
            {
                "id": x.pk,
                "kind": _s(x.kind),
                "reason": _s(x.reason),
                "started_on": _d(x.started_on),
                "ended_on": _d(x.ended_on),
                "days": _i(x.days),
            }
            for x in app.suspensions.all()
        ],
        "extensions": [
            {
                "id": e.pk,
                "days": _i(e.days),
                "reason": _s(e.reason),
                "state": _s(e.state),
                "requested_at": datetime_out(e.requested_at, tz),
                "decided_at": datetime_out(e.decided_at, tz),
                "previous_due_date": _d(e.previous_due_date),
                "new_due_date": _d(e.new_due_date),
            }
            for e in app.extensions.all()
        ],
        "supplement_notice": ApplicationDetailOut.get_supplement_notice(None, app),  # type: ignore[arg-type]
    }
