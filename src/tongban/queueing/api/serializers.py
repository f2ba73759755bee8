"""Input and output serializers of the queue API (one pair per operation)."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tongban.core.api.serializers import datetime_out
from tongban.core.converters import MAX_ID
from tongban.queueing.models import PriorityReason

REASONS = [r for r in PriorityReason.values if r]


class TicketIssueIn(serializers.Serializer):
    queue = serializers.CharField(required=False, max_length=2, help_text="队列前缀，如 A")
    matter = serializers.CharField(required=False, max_length=60, help_text="事项编码")
    bundle = serializers.CharField(required=False, max_length=60, help_text="一件事编码")
    appointment_code = serializers.CharField(required=False, max_length=8, help_text="预约码（签到）")
    id_number = serializers.CharField(
        required=False,
        max_length=18,
        help_text="身份证号：老年人优先核验年龄；单独提交时按身份证号签到当天预约",
    )
    priority_reason = serializers.ChoiceField(
        choices=[r for r in REASONS if r != "appointment"],
        required=False,
        allow_blank=True,  # a machine that sends every field: "" is no reason, as when left out
        help_text="优先原因；空字符串等同于不填",
    )
    notify_phone = serializers.RegexField(
        r"^1\d{10}$", required=False, help_text="前面还剩 3 人时短信提醒（按中心设置）"
    )


# --- fast paths of the hot endpoints ----------------------------------------------------------
# The ticket machine, call-next and finish run thousands of times an hour. A DRF serializer instance
# deep-copies its fields on every request, which costs more CPU than the rest of the request; these
# functions give exactly what the serializers above give (test_api_fast.py checks it), and the
# serializers stay the documented schema and the fallback for every unusual input and every error.

_ISSUE_LIMITS = {
    "queue": 2,
    "matter": 60,
    "bundle": 60,
    "appointment_code": 8,
    "id_number": 18,
}
_ISSUE_REASONS = frozenset([*(r for r in REASONS if r != "appointment"), ""])  # "": no reason
_PHONE = re.compile(r"1[0-9]{10}")


def _plain(value: Any, limit: int) -> bool:
    """A string every CharField accepts unchanged: non-blank, no surrounding space, printable ASCII."""
    return (
        type(value) is str
        and 0 < len(value) <= limit
        and value.isascii()
        and value.isprintable()
        and value == value.strip()
    )


def ticket_issue_in(data: Any) -> dict[str, str] | None:
    """``TicketIssueIn(data=data).validated_data`` for a JSON object of plain short strings; ``None``
    when the serializer has to decide (anything else, including every invalid input)."""
    if type(data) is not dict:
        return None
    out: dict[str, str] = {}
    for key, limit in _ISSUE_LIMITS.items():
        if key in data:
            if not _plain(data[key], limit):
                return None
            out[key] = data[key]
    if "priority_reason" in data:
        if type(data["priority_reason"]) is not str or data["priority_reason"] not in _ISSUE_REASONS:
            return None
        out["priority_reason"] = data["priority_reason"]
    if "notify_phone" in data:
        if type(data["notify_phone"]) is not str or not _PHONE.fullmatch(data["notify_phone"]):
            return None
        out["notify_phone"] = data["notify_phone"]
    return out


def finish_in(data: Any) -> list[int] | None:
    """``FinishIn(data=data).validated_data["applications"]`` for a JSON object whose ``applications`` is
    absent or a list of positive integers that can be keys; ``None`` when the serializer has to decide
    (receipt numbers among them included)."""
    if type(data) is not dict:
        return None
    ids = data.get("applications", [])
    if type(ids) is not list or not all(type(x) is int and 1 <= x <= MAX_ID for x in ids):
        return None
    return list(ids)


def ticket_out(ticket: Any) -> dict[str, Any]:
    """``TicketOut(ticket).data`` as a plain dict (reads ``queue``, ``called_window`` and ``matter``, like
    the serializer: the caller makes sure they are loaded)."""
    window = ticket.called_window
    matter = ticket.matter
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "queue": ticket.queue.prefix,
        "state": str(ticket.state),
        "priority_reason": ticket.priority_reason,
        "window": None if window is None else window.number,
        "call_count": ticket.call_count,
        "matter": None if matter is None else matter.code,
        "issued_at": datetime_out(ticket.issued_at),
        "called_at": datetime_out(ticket.called_at),
        "served_at": datetime_out(ticket.served_at),
        "finished_at": datetime_out(ticket.finished_at),
    }


class TicketIssueOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    queue = serializers.CharField(help_text="队列前缀")
    queue_name = serializers.CharField()
    priority_reason = serializers.CharField(allow_blank=True)
    waiting_before = serializers.IntegerField(
        help_text="前面等候的人数，最多数到 500（500 表示 500 人或更多）/ "
        "tickets ahead in the fair call order, counted up to 500 (500 means 500 or more)"
    )
    estimated_wait_minutes = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    follow_url = serializers.URLField(
        help_text="本号票的排队进度页（印成小票上的二维码；免登录，链接即凭证）/ "
        "the ticket's own progress page, to print as a QR code on the slip (no sign-in: the link is the key)"
    )


class TicketFollowOut(serializers.Serializer):
    """A ticket as its holder sees it: no personal data, no priority reason."""

    number = serializers.CharField(source="ticket.number")
    queue = serializers.CharField(source="ticket.queue.prefix")
    queue_name = serializers.CharField(source="ticket.queue.name")
    center = serializers.CharField(source="ticket.center.code")
    state = serializers.CharField(source="ticket.state")
    valid_today = serializers.BooleanField(
        source="today", help_text="否：其他日期的号票，已失效 / false: another day's ticket, void"
    )
    waiting_before = serializers.IntegerField(
        source="ahead",
        allow_null=True,
        help_text="仅等候中：前面的人数，最多数到 500 / only while waiting, up to 500",
    )
    estimated_wait_minutes = serializers.IntegerField(source="eta_minutes", allow_null=True)
    window = serializers.IntegerField(
        source="window_number",
        allow_null=True,
        help_text="已叫号或办理中：请前往的窗口号 / the window it is called to",
    )
    called_at = serializers.DateTimeField(source="ticket.called_at", allow_null=True)
    cancellable = serializers.BooleanField(
        help_text="可否由持票人取消排队 / whether its holder can still cancel it"
    )


class TicketOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    queue = serializers.CharField(source="queue.prefix")
    state = serializers.CharField()
    priority_reason = serializers.CharField(allow_blank=True)
    window = serializers.IntegerField(
        source="called_window.number",
        allow_null=True,
        default=None,
        help_text="叫到的窗口号（不是窗口ID）/ the number of the window that called it, not the window's id",
    )
    call_count = serializers.IntegerField()
    matter = serializers.CharField(source="matter.code", allow_null=True, default=None)
    issued_at = serializers.DateTimeField()
    called_at = serializers.DateTimeField(allow_null=True)
    served_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class CallNextOut(serializers.Serializer):
    ticket = TicketOut()
    announcement = serializers.CharField()


class TransferIn(serializers.Serializer):
    queue = serializers.CharField(required=False, max_length=2, help_text="目标队列前缀")
    window = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="目标窗口号（不是窗口ID）/ the target window's number, not its id",
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("queue") and not attrs.get("window"):
            raise serializers.ValidationError("请选择转移到的队列或窗口 / queue or window is required")
        return attrs


APPLICATION_NUMBER_MAX = 64  # Application.number


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "string",
                "minLength": 1,
                "maxLength": APPLICATION_NUMBER_MAX,
                "description": "办件编号",
            },
            {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "办件ID（旧客户端）"},
        ]
    }
)
class ApplicationRefField(serializers.Field):
    """A case named by its receipt number (a string, as the Applications API shows it) or, for clients written
    before numbers were accepted, by its id (an integer). Each kind is checked, and its errors worded, by the
    field DRF has for it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._number = serializers.CharField(max_length=APPLICATION_NUMBER_MAX)
        self._id = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, str):
            return self._number.run_validation(data)  # type: ignore[no-any-return]
        return self._id.run_validation(data)  # type: ignore[no-any-return]

    def to_representation(self, value: Any) -> Any:
        return value


class FinishIn(serializers.Serializer):
    applications = serializers.ListField(
        child=ApplicationRefField(),
        required=False,
        default=list,
        help_text="办理的办件：办件编号（如 YP-20261125-0001），或办件ID（整数，兼容旧客户端）/ "
        "the cases handled: receipt numbers (strings) or, as before, ids (integers)",
    )


class TicketFinishOut(serializers.Serializer):
    ticket = TicketOut()
    applications = serializers.ListField(
        child=serializers.CharField(),
        help_text="与该号票关联的办件编号（所点名的及从办理记录找到的）/ "
        "the receipt numbers of the cases linked to the ticket, named or found from the history",
    )


class PauseIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=100)


class WindowStateOut(serializers.Serializer):
    window = serializers.IntegerField(source="window.number", help_text="窗口号 / the window's number")
    state = serializers.CharField()
    clerk = serializers.CharField(source="clerk.username")
    opened_at = serializers.DateTimeField()
    paused_at = serializers.DateTimeField(allow_null=True)


class CallItemOut(serializers.Serializer):
    ticket = serializers.IntegerField()
    number = serializers.CharField()
    window = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.CharField()


class WaitingOut(serializers.Serializer):
    prefix = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField(help_text="English name; empty where none is set")
    kind = serializers.CharField()
    waiting = serializers.IntegerField()


class CenterRefOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField(help_text="English name; empty where none is set")


class DisplayOut(serializers.Serializer):
    center = CenterRefOut()
    current = CallItemOut(many=True)
    recent = CallItemOut(many=True)
    waiting = WaitingOut(many=True)
    at = serializers.DateTimeField()


class StatsQueueOut(serializers.Serializer):
    prefix = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField(help_text="English name; empty where none is set")
    issued = serializers.IntegerField()
    waiting = serializers.IntegerField(
        allow_null=True, help_text="Waiting now; null when the range does not include today"
    )
    avg_wait_minutes = serializers.FloatField(allow_null=True)
    p90_wait_minutes = serializers.FloatField(allow_null=True)


class StatsWindowOut(serializers.Serializer):
    window = serializers.IntegerField()
    served = serializers.IntegerField()
    avg_service_minutes = serializers.FloatField(allow_null=True)


class StatsClerkOut(serializers.Serializer):
    clerk = serializers.CharField()
    served = serializers.IntegerField()
    avg_service_minutes = serializers.FloatField(allow_null=True)


class StatsAppointmentsOut(serializers.Serializer):
    booked = serializers.IntegerField(help_text="Appointments made and not cancelled")
    kept = serializers.IntegerField()
    no_show = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    kept_rate = serializers.FloatField(allow_null=True)


class StatsOut(serializers.Serializer):
    center = serializers.CharField()
    issued = serializers.IntegerField()
    called = serializers.IntegerField()
    finished = serializers.IntegerField()
    avg_wait_minutes = serializers.FloatField(allow_null=True)
    p90_wait_minutes = serializers.FloatField(allow_null=True)
    no_show_rate = serializers.FloatField(allow_null=True)
    abandonment_rate = serializers.FloatField(allow_null=True)
    queues = StatsQueueOut(many=True)
    windows = StatsWindowOut(many=True)
    clerks = StatsClerkOut(many=True)
    appointments = StatsAppointmentsOut()

    def to_representation(self, instance: dict) -> dict:
        data = super().to_representation(instance)
        data["from"] = instance["from"].isoformat()
        data["to"] = instance["to"].isoformat()
        return data


class StatsIn(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class SlotOut(serializers.Serializer):
    id = serializers.IntegerField()
    queue = serializers.CharField(source="queue.prefix")
    day = serializers.DateField()
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M")
    capacity = serializers.IntegerField()
    available = serializers.SerializerMethodField()

    def get_available(self, obj: object) -> int:
        return max(0, obj.capacity - obj.booked)  # type: ignore[attr-defined]


class SlotsIn(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    days = serializers.IntegerField(required=False, min_value=1, max_value=31, default=14)


class AppointmentBookIn(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    matter = serializers.CharField(required=False, max_length=60)
    name = serializers.CharField(required=False, max_length=50, help_text="工作人员代约时填写")
    id_number = serializers.CharField(required=False, max_length=18, help_text="工作人员代约时填写")
    phone = serializers.RegexField(r"^1\d{10}$", required=False, help_text="工作人员代约时填写")


class AppointmentChangeIn(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class AppointmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    state = serializers.CharField()
    center = serializers.CharField(source="slot.center.code")
    queue = serializers.CharField(source="slot.queue.prefix")
    day = serializers.DateField(source="slot.day")
    start = serializers.TimeField(source="slot.start", format="%H:%M")
    end = serializers.TimeField(source="slot.end", format="%H:%M")
    matter = serializers.CharField(source="matter.code", allow_null=True, default=None)
    phone = serializers.SerializerMethodField(help_text="脱敏")

    def get_phone(self, obj: object) -> str:
        from tongban.core.crypto import mask_phone

        return mask_phone(obj.phone)  # type: ignore[attr-defined]
