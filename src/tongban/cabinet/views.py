"""Cabinet pages: the list, the cabinet's own touch screen (no login), and the staff screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tongban.accounts.models import STAFF_ROLES
from tongban.accounts.permissions import staff_required
from tongban.cabinet import selectors, services
from tongban.cabinet.api.views import client_source
from tongban.cabinet.errors import KeypadLocked
from tongban.cabinet.models import Compartment, Item, RemoteOpen, Size
from tongban.cabinet.services.hooks import application_find
from tongban.cabinet.services.items import keypad_locked_for
from tongban.cabinet.transport import get_publisher
from tongban.core.errors import NotFound, TongbanError


def _cabinet(code: str) -> Any:
    try:
        return selectors.cabinet_get(code=code)
    except NotFound as exc:
        raise Http404(error_text(exc)) from exc


def error_text(err: TongbanError) -> str:
    """The service's own message in the page's language (errors carry Chinese and English)."""
    return err.message_en if (get_language() or "").startswith("en") else err.message


def home(request: HttpRequest) -> HttpResponse:
    cabinets = selectors.cabinets_public()
    is_staff = request.user.is_authenticated and getattr(request.user, "role", None) in STAFF_ROLES
    return render(request, "cabinet/home.html", {"cabinets": cabinets, "is_staff": is_staff})


# --- the cabinet's touch screen -----------------------------------------------------------------


@require_GET
def screen(request: HttpRequest, code: str) -> HttpResponse:
    cabinet = _cabinet(code)
    locked = keypad_locked_for(cabinet=cabinet, source=client_source(request))
    return render(request, "cabinet/screen.html", {"cabinet": cabinet, "locked": locked})


@require_POST
def screen_code(request: HttpRequest, code: str) -> HttpResponse:
    cabinet = _cabinet(code)
    context: dict[str, Any] = {"cabinet": cabinet}
    status = 200
    try:
        result = services.code_enter(
            cabinet=cabinet,
            code=request.POST.get("code", ""),
            source=client_source(request),
            proxy=request.POST.get("proxy") == "1",
        )
        context.update(
            result=result, door=selectors.door_status(cabinet=cabinet, request_id=result.request_id)
        )
    except KeypadLocked as exc:
        context.update(error=exc, error_text=error_text(exc), locked=exc.retry_after)
        status = 429
    except TongbanError as exc:
        context.update(error=exc, error_text=error_text(exc))
        status = exc.status_code
    response = render(request, "cabinet/_screen_result.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(context["locked"])
    if request.htmx:  # type: ignore[attr-defined]
        response.status_code = 200  # htmx swaps 2xx only; the fragment carries the message
    return response


@require_GET
def screen_door(request: HttpRequest, code: str, request_id: UUID) -> HttpResponse:
    cabinet = _cabinet(code)
    try:
        door = selectors.door_status(cabinet=cabinet, request_id=str(request_id))
    except NotFound:
        return HttpResponse(status=404)
    return render(request, "cabinet/_door.html", {"cabinet": cabinet, "door": door, "request_id": request_id})


# --- staff ----------------------------------------------------------------------------------------


@staff_required
@require_GET
def staff(request: HttpRequest, code: str) -> HttpResponse:
    return _staff_page(request, _cabinet(code))


def _staff_page(
    request: HttpRequest, cabinet: Any, *, kept: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    """The cabinet's staff page; ``kept`` is a refused form's input, shown again so that the clerk corrects
    one field rather than scanning and typing everything anew."""
    publisher = get_publisher()
    context = {
        "cabinet": cabinet,
        "compartments": cabinet.compartments.order_by("number"),
        "rows": selectors.cabinet_items(cabinet=cabinet),
        "recent": selectors.cabinet_recent_items(cabinet=cabinet),
        "alerts": selectors.cabinet_open_alerts(cabinet=cabinet),
        "remote_opens": selectors.cabinet_pending_remote_opens(cabinet=cabinet),
        "queued": selectors.cabinet_queued_commands(cabinet=cabinet),
        "broker_ok": publisher.connected(),
        "transport": publisher.name,
        "mqtt_url": settings.MQTT_URL,
        "sizes": Size.choices,
        # a refused form's input, back in its own form
        "dep": kept if kept and kept["form"] == "deposit" else {},
        "drop": kept if kept and kept["form"] == "dropoff" else {},
    }
    template = "cabinet/_staff_body.html" if request.htmx else "cabinet/staff.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


KEPT_FIELDS = ("application", "label", "phone", "size")


def _act(request: HttpRequest, code: str, action: Callable[[Any], str], *, form: str = "") -> HttpResponse:
    cabinet = _cabinet(code)
    try:
        messages.success(request, action(cabinet))
    except TongbanError as exc:
        messages.error(request, error_text(exc))
        if form:
            kept = {name: request.POST.get(name, "")[:200] for name in KEPT_FIELDS}
            return _staff_page(request, cabinet, kept={"form": form, **kept}, status=exc.status_code)
    return redirect("cabinet:staff", code=cabinet.code)


def _item(cabinet: Any, reference: str) -> Item:
    item = (
        Item.objects.select_related("cabinet", "compartment")
        .filter(cabinet=cabinet, reference=reference)
        .first()
    )
    if item is None:
        raise NotFound("物品不存在", "No such item")
    return item


@staff_required
@require_POST
def staff_deposit(request: HttpRequest, code: str) -> HttpResponse:
    def act(cabinet: Any) -> str:
        number = request.POST.get("application", "").strip()
        application = application_find(number=number, center_id=cabinet.center_id) if number else None
        item = services.deposit_create(
            cabinet=cabinet,
            actor=request.user,
            size=request.POST.get("size", ""),
            application=application,
            label=request.POST.get("label", ""),
            phone=request.POST.get("phone", ""),
        )
        values = {"n": item.compartment.number, "size": item.compartment.get_size_display()}
        if cabinet.online:
            return (
                _("已预留 %(n)s 号格口（%(size)s），柜门已发出开门指令。放入后关好柜门，系统自动发送取件码。")
                % values
            )
        return (
            _(
                "已预留 %(n)s 号格口（%(size)s），文件柜离线，开门指令已排队，恢复在线后执行。"
                "放入后关好柜门，系统自动发送取件码。"
            )
            % values
        )

    return _act(request, code, act, form="deposit")


@staff_required
@require_POST
def staff_dropoff(request: HttpRequest, code: str) -> HttpResponse:
    def act(cabinet: Any) -> str:
        number = request.POST.get("application", "").strip()
        application = application_find(number=number, center_id=cabinet.center_id) if number else None
        item = services.dropoff_create(
            cabinet=cabinet,
            actor=request.user,
            size=request.POST.get("size", ""),
            application=application,
            label=request.POST.get("label", ""),
            phone=request.POST.get("phone", ""),
        )
        return _("已为投递预留 %(n)s 号格口，投递码已短信发送给居民。") % {"n": item.compartment.number}

    return _act(request, code, act, form="dropoff")


ITEM_ACTIONS: dict[str, Callable[..., Any]] = {
    "recall": lambda item, user: services.item_recall(item=item, actor=user),
    "collect": lambda item, user: services.dropoff_collect(item=item, actor=user),
    "reopen": lambda item, user: services.item_reopen(item=item, actor=user),
    "cancel": lambda item, user: services.item_cancel(item=item, actor=user),
    "reissue": lambda item, user: services.item_reissue_code(item=item, actor=user),
}
ITEM_DONE = {
    "recall": gettext_lazy("回收指令已发出：取出材料并关好柜门。原取件码已失效。"),
    "collect": gettext_lazy("开门指令已发出：取出投递材料并关好柜门。"),
    "reopen": gettext_lazy("已重新发出开门指令。"),
    "cancel": gettext_lazy("已取消并释放格口。"),
    "reissue": gettext_lazy("新取件码已短信发送，原取件码已失效。"),
}


@staff_required
@require_POST
def staff_item(request: HttpRequest, code: str, reference: str, action: str) -> HttpResponse:
    if action not in ITEM_ACTIONS:
        return HttpResponse(status=404)

    def act(cabinet: Any) -> str:
        ITEM_ACTIONS[action](_item(cabinet, reference), request.user)
        return str(ITEM_DONE[action])

    return _act(request, code, act)


@staff_required
@require_POST
def staff_compartment(request: HttpRequest, code: str, number: int) -> HttpResponse:
    def act(cabinet: Any) -> str:
        compartment = (
            Compartment.objects.select_related("cabinet").filter(cabinet=cabinet, number=number).first()
        )
        if compartment is None:
            raise NotFound("格口不存在", "No such compartment")
        if request.POST.get("op") == "remote_open":
            services.remote_open_request(
                compartment=compartment, reason=request.POST.get("reason", ""), actor=request.user
            )
            return _("%(n)s号格口远程开门申请已提交，须另一名工作人员审批。") % {"n": number}
        state = request.POST.get("state", "")
        services.compartment_set_state(compartment=compartment, state=state, actor=request.user)
        if state == Compartment.State.DISABLED:
            return _("%(n)s号格口已停用。") % {"n": number}
        return _("%(n)s号格口已恢复使用。") % {"n": number}

    return _act(request, code, act)


@staff_required
@require_POST
def staff_remote_decide(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    def act(cabinet: Any) -> str:
        remote = (
            RemoteOpen.objects.select_related("compartment__cabinet")
            .filter(pk=pk, compartment__cabinet=cabinet)
            .first()
        )
        if remote is None:
            raise NotFound()
        approve = request.POST.get("decision") == "approve"
        services.remote_open_decide(request=remote, actor=request.user, approve=approve)
        return _("已批准，开门指令已发出。") if approve else _("已驳回。")

    return _act(request, code, act)
