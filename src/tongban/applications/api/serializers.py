"""Input and output serializers of the applications API (one pair per operation where they differ)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, tzinfo
from typing import Any

from django.utils import timezone, translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tongban.applications.models import (
    Application,
    ApplicationMaterial,
    Channel,
    DeliveryMethod,
    Extension,
    Outcome,
    Review,
    Status,
    StatusChange,
    Suspension,
)
from tongban.applications.selectors import application_deadline_ex, deadline_of
from tongban.core.api.serializers import datetime_out
from tongban.core.converters import MAX_ID
from tongban.core.crypto import mask_id_number, mask_phone

# --- output ------------------------------------------------------------------------


class DeadlineOut(serializers.Serializer):
    due_date = serializers.DateField(allow_null=True)
    colour = serializers.ChoiceField(choices=["", "green", "yellow", "red"])
    provisional = serializers.BooleanField()
    elapsed_workdays = serializers.IntegerField()
    allowed_workdays = serializers.IntegerField()


def deadline_dict(app: Application, *, ongoing_days: int | None = None) -> dict[str, Any]:
    d = application_deadline_ex(application=app, ongoing_days=ongoing_days)
    return {
        "due_date": d.due_date,
        "colour": d.colour.value,
        "provisional": d.provisional,
        "elapsed_workdays": d.elapsed,
        "allowed_workdays": d.allowed,
    }


class ApplicationListOut(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.SerializerMethodField()
    matter_code = serializers.CharField(source="matter.code")
    matter_name = serializers.CharField(source="matter.name")
    center_code = serializers.CharField(source="center.code")
    department_code = serializers.CharField(source="department.code")
    applicant_name = serializers.CharField()
    applicant_id_last4 = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    bundle_case = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.SerializerMethodField()

    def get_status_label(self, obj: Application) -> str:
        return str(Status(obj.status).label)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_bundle_case(self, obj: Application) -> str | None:
        return obj.number.rsplit("-", 1)[0] if obj.bundle_case_id else None

    @extend_schema_field(DeadlineOut)
    def get_deadline(self, obj: Application) -> dict[str, Any]:
        # lists never query per row: an ongoing suspension is shown with the stored due date
        return deadline_dict(obj, ongoing_days=0)


def list_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """:class:`ApplicationListOut` items from rows of ``selectors.LIST_COLUMNS``: the same JSON (a test
    compares them) without a serializer per row - the list's hot path. The time zone and today's date
    are looked up once per page, not per row; the status labels once per language and process."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate(timezone=tz)
    labels = _status_labels(translation.get_language())
    return [_list_row(row, tz=tz, today=today, labels=labels) for row in rows]


@functools.cache
def _status_labels(language: str | None) -> dict[str, str]:
    """The states' labels in ``language`` (the active one: the caller passes it for the cache key)."""
    return {value: str(label) for value, label in Status.choices}


def _list_row(row: dict[str, Any], *, tz: tzinfo, today: date, labels: dict[str, str]) -> dict[str, Any]:
    d = deadline_of(
        status=row["status"],
        accepted_at=row["accepted_at"],
        promised_days=row["promised_days"],
        extension_days=row["extension_days"],
        suspended_days=row["suspended_days"],
        today=today,
        tz=tz,
    )
    return {
        "number": row["number"],
        "status": row["status"],
        "status_label": labels[row["status"]],
        "matter_code": row["matter__code"],
        "matter_name": row["matter__name"],
        "center_code": row["center__code"],
        "department_code": row["department__code"],
        "applicant_name": row["applicant_name"],
        "applicant_id_last4": row["applicant_id_last4"],
        "channel": row["channel"],
        "bundle_case": row["number"].rsplit("-", 1)[0] if row["bundle_case_id"] else None,
        "created_at": datetime_out(row["created_at"], tz),
        "accepted_at": datetime_out(row["accepted_at"], tz),
        "deadline": {
            "due_date": d.due_date.isoformat() if d.due_date else None,
            "colour": d.colour.value,
            "provisional": d.provisional,
            "elapsed_workdays": d.elapsed,
            "allowed_workdays": d.allowed,
        },
    }


class MaterialOut(serializers.ModelSerializer):
    class Meta:
        model = ApplicationMaterial
        fields = [
            "id",
            "material_type_id",
            "name",
            "form",
            "count",
            "required",
            "rongque",
            "state",
            "received_form",
            "received_count",
            "problem",
        ]


class HistoryOut(serializers.ModelSerializer):
    class Meta:
        model = StatusChange
        fields = ["from_status", "to_status", "action", "actor_repr", "at", "reason"]


class ReviewOut(serializers.ModelSerializer):
    department_code = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    application_number = serializers.CharField(source="application.number")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "application_number",
            "department_code",
            "department_name",
            "requested_at",
            "due_date",
            "opinion",
            "text",
            "answered_at",
            "late",
            "overdue",
        ]

    def get_overdue(self, obj: Review) -> bool:
        return obj.answered_at is None and obj.due_date < timezone.localdate()


class SuspensionOut(serializers.ModelSerializer):
    class Meta:
        model = Suspension
        fields = ["id", "kind", "reason", "started_on", "ended_on", "days"]


class ExtensionOut(serializers.ModelSerializer):
    class Meta:
        model = Extension
        fields = [
            "id",
            "days",
            "reason",
            "state",
            "requested_at",
            "decided_at",
            "previous_due_date",
            "new_due_date",
        ]


class SupplementNoticeOut(serializers.Serializer):
    items = serializers.ListField(child=serializers.DictField())
    note = serializers.CharField()
    issued_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)


class ApplicationDetailOut(ApplicationListOut):
    applicant_id_masked = serializers.SerializerMethodField()
    contact_phone_masked = serializers.SerializerMethodField(
        help_text="Where this case's SMS notices go when not to the applicant's own phone (masked); empty: the"
        " applicant's phone."
    )
    guide_version = serializers.IntegerField(source="guide.version")
    delivery = serializers.ChoiceField(choices=DeliveryMethod.choices)
    outcome = serializers.CharField()
    outcome_reason = serializers.CharField()
    refusal_reason = serializers.CharField()
    refusal_basis = serializers.CharField()
    promised_days = serializers.IntegerField(allow_null=True)
    extension_days = serializers.IntegerField()
    suspended_days = serializers.IntegerField()
    version = serializers.IntegerField()
    materials = MaterialOut(many=True)
    history = HistoryOut(many=True)
    reviews = ReviewOut(many=True)
    suspensions = SuspensionOut(many=True)
    extensions = ExtensionOut(many=True)
    supplement_notice = serializers.SerializerMethodField()

    def get_applicant_id_masked(self, obj: Application) -> str:
        return mask_id_number(obj.applicant.id_number) if obj.applicant.id_number else ""

    def get_contact_phone_masked(self, obj: Application) -> str:
        return mask_phone(obj.contact_phone)

    @extend_schema_field(DeadlineOut)
    def get_deadline(self, obj: Application) -> dict[str, Any]:
        return deadline_dict(obj)

    @extend_schema_field(SupplementNoticeOut(allow_null=True))
    def get_supplement_notice(self, obj: Application) -> dict[str, Any] | None:
        notice = getattr(obj, "supplement_notice", None)
        if notice is None:
            return None
        return {
            "items": notice.items,
            "note": notice.note,
            "issued_at": notice.issued_at,
            "received_at": notice.received_at,
        }


@functools.cache
def _detail_serializer() -> ApplicationDetailOut:
    """One ApplicationDetailOut, its fields built and bound once, reused for every case answer.
    Building a serializer's ~55 fields (model introspection, deep copies) cost more than rendering
    the case; ``to_representation`` itself keeps no state, so one instance serves all threads."""
    serializer = ApplicationDetailOut()
    for field in serializer.fields.values():  # build nested serializers' fields now, not racily later
        child = getattr(field, "child", field)
        if isinstance(child, serializers.Serializer):
            assert child.fields
    return serializer


def detail_data(app: Application) -> dict[str, Any]:
    """The case as :class:`ApplicationDetailOut` renders it (what GET /applications/<number> answers)."""
    return _detail_serializer().to_representation(app)


# --- input -------------------------------------------------------------------------


class MaterialTickIn(serializers.Serializer):
    material_type_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    state = serializers.ChoiceField(choices=ApplicationMaterial.State.choices, default="received")
    received_form = serializers.CharField(required=False, allow_blank=True, default="")
    received_count = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=9999, default=None
    )
    problem = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class ApplicantIn(serializers.Serializer):
    id_number = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="A mainland mobile. A new applicant's sign-in phone; where it is not the applicant's own (another"
        " resident signs in with it, or a known applicant gives another number) it becomes the case's contact phone.",
    )


class CreateIn(serializers.Serializer):
    matter_code = serializers.CharField(required=False, allow_blank=True, default="")
    bundle_code = serializers.CharField(required=False, allow_blank=True, default="")
    applicant = ApplicantIn(
        required=False, help_text="Staff: the applicant (found or registered by ID number)."
    )
    center_code = serializers.CharField(required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=Channel.choices)
    delivery = serializers.ChoiceField(choices=DeliveryMethod.choices, default=DeliveryMethod.WINDOW)
    delivery_address = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    materials = MaterialTickIn(many=True, required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    accept = serializers.BooleanField(
        default=False,
        help_text="Staff: accept (受理) at once, all or nothing — 400 if a material is missing.",
    )


class VersionIn(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The version you saw; 409 if it changed."
    )


class TicksIn(VersionIn):
    materials = MaterialTickIn(many=True)


class AcceptIn(VersionIn):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SupplementItemIn(serializers.Serializer):
    material_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, default=None
    )
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    problem = serializers.CharField(max_length=300)


class SupplementRequestIn(VersionIn):
    items = SupplementItemIn(many=True, required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RefuseIn(VersionIn):
    reason = serializers.CharField(max_length=2000)
    legal_basis = serializers.CharField(max_length=2000)


class DecideIn(VersionIn):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class ReadyIn(VersionIn):
    method = serializers.ChoiceField(choices=DeliveryMethod.choices)


class DeliverIn(serializers.Serializer):
    via = serializers.CharField(max_length=40)
    proxy = serializers.BooleanField(default=False)


class ContactPhoneIn(VersionIn):
    phone = serializers.CharField(
        allow_blank=True,
        max_length=20,
        help_text="A mainland mobile where the case's SMS notices go; empty (or the applicant's own phone): the"
        " applicant's phone.",
    )


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SuspendIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Suspension.Kind.choices)
    reason = serializers.CharField(max_length=2000)


class ExtensionIn(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=30)
    reason = serializers.CharField(max_length=2000)


class ExtensionDecisionIn(serializers.Serializer):
    approve = serializers.BooleanField()


class OpinionIn(serializers.Serializer):
    opinion = serializers.ChoiceField(choices=Review.Opinion.choices)
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class AttachmentIn(serializers.Serializer):
    file = serializers.FileField()
    material_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, default=None
    )


class AttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class ProgressOut(serializers.Serializer):
    number = serializers.CharField()
    matter = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    applicant = serializers.CharField()
    accepted_at = serializers.CharField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    provisional = serializers.BooleanField()
    steps = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
