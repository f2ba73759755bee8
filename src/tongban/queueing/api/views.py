"""Queue API views: parse, check permission, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.accounts.http import client_ip
from tongban.accounts.models import Role, User
from tongban.applications.selectors import application_ids_by_number, application_numbers
from tongban.catalog.models import Center, Matter, Window
from tongban.core.api.serializers import datetime_out
from tongban.core.converters import MAX_ID
from tongban.core.errors import Forbidden, NotFound, ValidationError
from tongban.queueing import selectors, services
from tongban.queueing.api import serializers as s
from tongban.queueing.errors import TicketNotFound, WindowNotFound
from tongban.queueing.links import follow_url, ticket_id_from_token
from tongban.queueing.models import Appointment, AppointmentSlot

ERRORS = {
    400: OpenApiResponse(description="Invalid input / 输入无效"),
    403: OpenApiResponse(description="Not allowed / 无权操作"),
    404: OpenApiResponse(description="Not found / 不存在"),
    409: OpenApiResponse(description="Conflict, e.g. wrong state or hall closed / 状态冲突"),
}
STATS_ROLES = {Role.MANAGER, Role.ADMIN, Role.SUPERVISOR}
_KEY = {"type": "integer", "minimum": 0, "maximum": MAX_ID}  # the ``<id:…>`` path converter's schema
# Two different things are called "window": the path of /windows/<window>/… takes its id (a key), while
# ticket.window, transfer's window and the display speak of its number (the one over the counter).
WINDOW_ID = OpenApiParameter(
    "window",
    _KEY,
    OpenApiParameter.PATH,
    description="窗口ID（`GET /api/v1/centers/{code}/windows` 返回的 `id`），不是窗口号 / the window's id, "
    "as `GET /api/v1/centers/{code}/windows` returns it; not its number (`ticket.window` and transfer's "
    "`window` are numbers). Unknown: `404 queue.window_not_found`",
)
TICKET_ID = OpenApiParameter(
    "ticket",
    _KEY,
    OpenApiParameter.PATH,
    description="号票ID（`ticket.id`），不是号码 A001 / the ticket's id (`ticket.id`), not its number "
    "such as A001. Unknown: `404 queue.ticket_not_found`",
)


def _center(code: str) -> Center:
    center = selectors.center_by_code(code)
    if center is None:
        raise NotFound("服务中心不存在", "Unknown center", code="queue.center_not_found")
    return center


def _window(pk: int) -> Window:
    window = selectors.window_by_pk(pk)
    if window is None:
        raise WindowNotFound()
    return window


def _user(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):  # IsAuthenticated ran first; this narrows the type
        raise Forbidden()
    return user


def _ticket_out(ticket: Any) -> dict[str, Any]:
    return s.ticket_out(ticket)  # = TicketOut(ticket).data, without a serializer per request


class TicketIssueView(APIView):
    """The hall's public ticket machine: no login (kiosks issue hundreds of tickets an hour)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="queue_ticket_issue",
        tags=["queue"],
        request=s.TicketIssueIn,
        responses={201: s.TicketIssueOut, **ERRORS},
        summary="取号 / take a ticket",
    )
    def post(self, request: Request, center: str) -> Response:
        v = s.ticket_issue_in(request.data)
        if v is None:  # anything but plain short strings: the serializer decides and words the errors
            data = s.TicketIssueIn(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
        issued = services.ticket_issue(
            center=_center(center),
            queue=v.get("queue"),
            matter=v.get("matter"),
            bundle=v.get("bundle"),
            appointment_code=v.get("appointment_code"),
            id_number=v.get("id_number", ""),
            priority_reason=v.get("priority_reason", ""),
            notify_phone=v.get("notify_phone", ""),
            client_ip=client_ip(request) or "",
        )
        t = issued.ticket
        out = {  # = TicketIssueOut(...).data (test_api_fast.py)
            "id": t.pk,
            "number": t.number,
            "queue": t.queue.prefix,
            "queue_name": t.queue.name,
            "priority_reason": t.priority_reason,
            "waiting_before": issued.waiting_before,
            "estimated_wait_minutes": issued.estimated_wait_minutes,
            "issued_at": datetime_out(t.issued_at),
            "follow_url": follow_url(t.pk, request._request),
        }
        return Response(out, status=status.HTTP_201_CREATED)


class CallNextView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="queue_window_call_next",
        tags=["queue"],
        parameters=[WINDOW_ID],
        request=None,
        responses={
            200: s.CallNextOut,
            204: OpenApiResponse(description="Nobody is waiting / 无人等候"),
            **ERRORS,
        },
        summary="叫下一位 / call the next ticket",
    )
    def post(self, request: Request, window: int) -> Response:
        win = _window(window)
        ticket = services.ticket_call_next(window=win, clerk=_user(request))
        if ticket is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        body = {
            "ticket": _ticket_out(ticket),
            "announcement": services.announcement_text(ticket.number, win.number),
        }
        return Response(body)


class _TicketActionView(APIView):
    permission_classes = [IsAuthenticated]
    action_name = ""

    def act(self, request: Request, ticket_id: int) -> Any:
        raise NotImplementedError

    def post(self, request: Request, ticket: int) -> Response:
        return Response({"ticket": _ticket_out(self.act(request, ticket))})


class TicketActionOut(s.serializers.Serializer):
    ticket = s.TicketOut()


def _action_schema(op: str, summary: str, request: Any = None) -> Any:
    return extend_schema(
        operation_id=f"queue_ticket_{op}",
        tags=["queue"],
        parameters=[TICKET_ID],
        request=request,
        responses={200: TicketActionOut, **ERRORS},
        summary=summary,
    )


class TicketRecallView(_TicketActionView):
    @_action_schema("recall", "重呼 / call again")
    def post(self, request: Request, ticket: int) -> Response:
        return super().post(request, ticket)

    def act(self, request: Request, ticket_id: int) -> Any:
        return services.ticket_recall(ticket_id=ticket_id, actor=_user(request))


class TicketStartView(_TicketActionView):
    @_action_schema("start", "开始办理 / the resident arrived")
    def post(self, request: Request, ticket: int) -> Response:
        return super().post(request, ticket)

    def act(self, request: Request, ticket_id: int) -> Any:
        return services.ticket_start(ticket_id=ticket_id, actor=_user(request))


class TicketNoShowView(_TicketActionView):
    @_action_schema("no_show", "过号 / did not come")
    def post(self, request: Request, ticket: int) -> Response:
        return super().post(request, ticket)

    def act(self, request: Request, ticket_id: int) -> Any:
        return services.ticket_no_show(ticket_id=ticket_id, actor=_user(request))


class TicketRequeueView(_TicketActionView):
    @_action_schema("requeue", "过号重新排队 / re-queue a late arrival")
    def post(self, request: Request, ticket: int) -> Response:
        return super().post(request, ticket)

    def act(self, request: Request, ticket_id: int) -> Any:
        return services.ticket_requeue(ticket_id=ticket_id, actor=_user(request))


class TicketTransferView(_TicketActionView):
    @_action_schema("transfer", "转移到其他队列或窗口 / transfer", s.TransferIn)
    def post(self, request: Request, ticket: int) -> Response:
        return super().post(request, ticket)

    def act(self, request: Request, ticket_id: int) -> Any:
        data = s.TransferIn(data=request.data)
        data.is_valid(raise_exception=True)
        current = selectors.ticket_get(ticket_id)
        if current is None:
            raise TicketNotFound()
        to_queue, to_window = services.transfer_targets(
            current.center_id,
            queue_prefix=data.validated_data.get("queue") or "",
            window_number=data.validated_data.get("window"),
        )
        return services.ticket_transfer(
            ticket_id=ticket_id,
            actor=_user(request),
            to_queue=to_queue,
            to_window=to_window,
        )


def _finish_application_ids(
    ticket_id: int, refs: Sequence[int | str], user: User
) -> tuple[list[int], dict[int, str]]:
    """The ids of the cases ``refs`` names (integers are ids; strings receipt numbers, of the ticket's center
    only) and the numbers known for them. Only a request that names numbers pays for the look-ups."""
    numbers = sorted({r for r in refs if isinstance(r, str)})
    ids = [r for r in refs if isinstance(r, int)]
    if not numbers:
        return ids, {}
    current = selectors.ticket_get(ticket_id)
    if current is None:
        raise TicketNotFound()
    found = application_ids_by_number(center_id=current.center_id, numbers=numbers)
    missing = [n for n in numbers if n not in found]
    if missing:
        if user.role != Role.ADMIN and user.center_id != current.center_id:
            raise Forbidden()  # as the service would: nothing is said about another center's cases
        raise ValidationError(
            f"办件编号不存在或不属于本中心：{'、'.join(missing)}",
            f"Unknown receipt number, or not of this center: {', '.join(missing)}",
            code="queue.application_unknown",
            details={"applications": missing},
        )
    return ids + [found[n] for n in numbers], {pk: number for number, pk in found.items()}


def _linked_numbers(ticket: Any, known: dict[int, str]) -> list[str]:
    """The receipt numbers of the cases linked to the finished ticket: no query when none were linked (the
    workbench's plain finish) or the request named them all by number."""
    ids = ticket.linked_application_ids
    if ids is None:  # finished before (a double click): read the links
        return selectors.ticket_application_numbers(ticket.pk)
    if all(pk in known for pk in ids):
        return sorted(known[pk] for pk in ids)
    return application_numbers(ids)


class TicketFinishView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="queue_ticket_finish",
        tags=["queue"],
        parameters=[TICKET_ID],
        request=s.FinishIn,
        responses={200: s.TicketFinishOut, **ERRORS},
        summary="办结 / finish (links the applications handled)",
        description=(
            "`applications` names cases handled besides those found from the clerk's history since the call: "
            'receipt numbers (`"YP-20261125-0001"`, as the Applications API shows them) or ids (integers, '
            "as before). A number that is not a case of the ticket's center is `400 queue.application_unknown` "
            "naming it. The answer lists the receipt numbers of every case linked to the ticket."
        ),
    )
    def post(self, request: Request, ticket: int) -> Response:
        refs = s.finish_in(request.data)
        if refs is None:  # anything but plain ids: the serializer decides and words the errors
            data = s.FinishIn(data=request.data)
            data.is_valid(raise_exception=True)
            refs = data.validated_data["applications"]
        user = _user(request)
        ids, known = _finish_application_ids(ticket, refs, user)
        done = services.ticket_finish(ticket_id=ticket, actor=user, application_ids=ids)
        return Response({"ticket": _ticket_out(done), "applications": _linked_numbers(done, known)})


class WindowPauseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="queue_window_pause",
        tags=["queue"],
        parameters=[WINDOW_ID],
        request=s.PauseIn,
        responses={200: s.WindowStateOut, **ERRORS},
    )
    def post(self, request: Request, window: int) -> Response:
        data = s.PauseIn(data=request.data)
        data.is_valid(raise_exception=True)
        win = _window(window)
        session = services.window_pause(
            window=win, clerk=_user(request), reason=data.validated_data.get("reason", "")
        )  # type: ignore[arg-type]
        return Response(s.WindowStateOut(session).data)


class WindowResumeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="queue_window_resume",
        tags=["queue"],
        parameters=[WINDOW_ID],
        request=None,
        responses={200: s.WindowStateOut, **ERRORS},
    )
    def post(self, request: Request, window: int) -> Response:
        win = _window(window)
        session = services.window_resume(window=win, clerk=_user(request))
        return Response(s.WindowStateOut(session).data)


def _follow_state(token: str) -> selectors.FollowState:
    state = selectors.ticket_follow(token)
    if state is None:
        raise TicketNotFound()
    return state


class TicketFollowView(APIView):
    """Public: the holder of a slip follows their ticket by its ``follow_url`` token (no personal data)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="queue_ticket_follow",
        tags=["queue"],
        responses={200: s.TicketFollowOut, 404: ERRORS[404]},
        summary="排队进度（持票人）/ a ticket's progress, for its holder",
    )
    def get(self, request: Request, token: str) -> Response:
        return Response(s.TicketFollowOut(_follow_state(token)).data)


class TicketFollowCancelView(APIView):
    """Public: the holder gives up their place while the ticket still waits (409 once it is called)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="queue_ticket_follow_cancel",
        tags=["queue"],
        request=None,
        responses={200: s.TicketFollowOut, 404: ERRORS[404], 409: ERRORS[409]},
        summary="持票人取消排队 / the holder cancels the ticket",
    )
    def post(self, request: Request, token: str) -> Response:
        ticket_id = ticket_id_from_token(token)
        if ticket_id is None:
            raise TicketNotFound()
        services.ticket_cancel(ticket_id=ticket_id, ip=client_ip(request) or "")
        return Response(s.TicketFollowOut(_follow_state(token)).data)


class DisplayView(APIView):
    """Public: the hall TV shows numbers and window numbers only, no personal data."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="queue_display", tags=["queue"], responses={200: s.DisplayOut, 404: ERRORS[404]}
    )
    def get(self, request: Request, center: str) -> Response:
        return Response(s.DisplayOut(selectors.display_snapshot(_center(center))).data)


class StatsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="queue_stats",
        tags=["queue"],
        parameters=[s.StatsIn],
        responses={200: s.StatsOut, **ERRORS},
        summary="排队统计 / queue statistics",
    )
    def get(self, request: Request, center: str) -> Response:
        c = _center(center)
        user = _user(request)
        if user.role not in STATS_ROLES or (user.role == Role.MANAGER and user.center_id != c.pk):
            raise Forbidden()
        stray = sorted({"from", "to"} & set(request.query_params))
        if stray:
            # the statistics page's names: silently answered with today's figures, they read as the range asked
            raise ValidationError(
                "日期参数请用 date_from 和 date_to（如 date_from=2026-11-01）",
                "Name the dates date_from and date_to (e.g. date_from=2026-11-01)",
                details={"unknown": stray},
            )
        q = s.StatsIn(data=request.query_params)
        q.is_valid(raise_exception=True)
        today = timezone.localdate()
        day_to = q.validated_data.get("date_to") or today
        day_from = q.validated_data.get("date_from") or day_to
        if day_from > day_to or (day_to - day_from) > timedelta(days=366):
            raise ValidationError("日期范围无效（最长一年）", "Invalid date range (one year at most)")
        return Response(s.StatsOut(selectors.queue_stats(c, day_from=day_from, day_to=day_to)).data)


class SlotsView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="queue_appointment_slots",
        tags=["queue"],
        parameters=[s.SlotsIn],
        responses={200: s.SlotOut(many=True), 404: ERRORS[404]},
        summary="可预约时段 / bookable slots",
        description=(
            "The center's slots from `date_from` (today) for `days` days that have not ended, in order of day and "
            "time: a slot is listed exactly while booking takes it (also once begun; from its end booking answers "
            "`409 appointment.slot_past`). Full slots are listed too, with `available` 0."
        ),
    )
    def get(self, request: Request, center: str) -> Response:
        q = s.SlotsIn(data=request.query_params)
        q.is_valid(raise_exception=True)
        slots = selectors.slots_available(
            _center(center), day_from=q.validated_data.get("date_from"), days=q.validated_data["days"]
        )
        return Response(s.SlotOut(slots, many=True).data)


class AppointmentsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="queue_appointments_mine", tags=["queue"], responses={200: s.AppointmentOut(many=True)}
    )
    def get(self, request: Request) -> Response:
        return Response(s.AppointmentOut(selectors.appointments_of(_user(request))[:50], many=True).data)

    @extend_schema(
        operation_id="queue_appointment_book",
        tags=["queue"],
        request=s.AppointmentBookIn,
        responses={201: s.AppointmentOut, **ERRORS},
        summary="预约 / book (residents for themselves; staff for a resident with name, ID number, phone)",
    )
    def post(self, request: Request) -> Response:
        data = s.AppointmentBookIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        slot = get_object_or_404(AppointmentSlot.objects.select_related("center", "queue"), pk=v["slot"])
        matter = get_object_or_404(Matter, code=v["matter"]) if v.get("matter") else None
        user = _user(request)
        is_staff = user.role in {Role.CLERK, Role.MANAGER, Role.ADMIN}
        appointment = services.appointment_book(
            slot=slot,
            actor=user,  # type: ignore[arg-type]
            resident=None if is_staff else user,
            name=v.get("name", "") if is_staff else "",
            id_number=v.get("id_number", "") if is_staff else "",
            phone=v.get("phone", ""),
            matter=matter,
        )
        return Response(s.AppointmentOut(appointment).data, status=status.HTTP_201_CREATED)


def _appointment(pk: int) -> Appointment:
    return get_object_or_404(Appointment.objects.select_related("slot__center", "slot__queue"), pk=pk)


class AppointmentChangeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="queue_appointment_change",
        tags=["queue"],
        request=s.AppointmentChangeIn,
        responses={200: s.AppointmentOut, **ERRORS},
    )
    def post(self, request: Request, appointment: int) -> Response:
        data = s.AppointmentChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        slot = get_object_or_404(
            AppointmentSlot.objects.select_related("center"), pk=data.validated_data["slot"]
        )
        result = services.appointment_change(
            appointment_id=_appointment(appointment).pk,
            new_slot=slot,
            actor=_user(request),
        )
        return Response(s.AppointmentOut(_appointment(result.pk)).data)


class AppointmentCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="queue_appointment_cancel",
        tags=["queue"],
        request=None,
        responses={200: s.AppointmentOut, **ERRORS},
    )
    def post(self, request: Request, appointment: int) -> Response:
        result = services.appointment_cancel(
            appointment_id=_appointment(appointment).pk, actor=_user(request)
        )
        return Response(s.AppointmentOut(_appointment(result.pk)).data)
