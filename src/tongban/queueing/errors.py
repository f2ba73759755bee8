"""Queue errors: stable codes, Chinese message first (kiosks and windows show ``message``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tongban.core.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    RateLimited,
    ValidationError,
)

if TYPE_CHECKING:
    from tongban.queueing.models import Ticket


class HallClosed(Conflict):
    code = "queue.hall_closed"
    message = "服务中心当前不在开放时间"
    message_en = "The service center is closed now"


class NotATicketMachine(Forbidden):
    code = "queue.not_a_ticket_machine"
    message = "请在服务中心大厅的取号机上取号或签到；也可以在网上预约"
    message_en = "Tickets are taken and appointments checked in at the center's own ticket machines; you can book online"


class QueueNotFound(NotFound):
    code = "queue.not_found"
    message = "没有可取号的队列"
    message_en = "No queue to issue a ticket in"


class InvalidTicketRequest(ValidationError):
    code = "queue.invalid_request"
    message = "请选择队列、事项、一件事或输入预约码中的一项"
    message_en = "Give exactly one of queue, matter, bundle or appointment code"


class PriorityNotAllowed(ValidationError):
    code = "queue.priority_not_allowed"
    message = "该优先类型在本中心未启用"
    message_en = "This priority group is not enabled at this center"


class NotElderly(ValidationError):
    code = "queue.not_elderly"
    message = "根据身份证号，未达到老年人优先年龄"
    message_en = "The ID number does not reach the elderly priority age"


class InvalidIdNumber(ValidationError):
    code = "queue.invalid_id_number"
    message = "身份证号码不对，请核对这18位（最后一位可能是 X），或直接刷身份证"
    message_en = (
        "This ID number is not valid: check the 18 characters (the last may be X), or tap your ID card"
    )


class CheckInLocked(RateLimited):
    code = "queue.checkin_locked"
    message = "这台取号机签到失败次数过多，请稍后再试，或到咨询台请工作人员帮助签到；也可以普通取号"
    message_en = "Too many failed check-ins at this machine: try again later, ask at the help desk, or take a regular ticket"


class WindowNotStaffed(Forbidden):
    code = "queue.window_not_staffed"
    message = "您不是该窗口的值守人员"
    message_en = "You are not staffing this window"


class WindowStaffedByOther(Conflict):
    code = "queue.window_staffed_by_other"
    message = "该窗口已由其他工作人员值守"
    message_en = "Another clerk is staffing this window"

    @classmethod
    def naming(cls, clerk: str) -> WindowStaffedByOther:
        """The refusal naming who staffs the window (their display name), so that the clerk knows whom to ask;
        ``details.clerk`` names them to an API client."""
        if not clerk:
            return cls()
        return cls(
            f"该窗口已由{clerk}值守；如需接替，请其先结束值守，或请中心负责人释放窗口",
            f"{clerk} is staffing this window; ask them to sign off first, or a center manager to release it",
            details={"clerk": clerk},
        )


class ClerkAtOtherWindow(Conflict):
    code = "queue.clerk_at_other_window"
    message = "您正在值守另一个窗口，请先结束该窗口服务"
    message_en = "You are staffing another window; close it first"


class WindowPaused(Conflict):
    code = "queue.window_paused"
    message = "窗口已暂停服务，请先恢复"
    message_en = "The window is paused; resume it first"


class WindowBusy(Conflict):
    code = "queue.window_busy"
    message = "当前号码尚未办结或过号，不能叫下一位"
    message_en = "Finish or mark the current ticket as no-show before calling the next one"


class TicketNotFound(NotFound):
    code = "queue.ticket_not_found"
    message = "号票不存在"
    message_en = "Ticket not found"


class WindowNotFound(NotFound):
    code = "queue.window_not_found"
    message = "窗口不存在"
    message_en = "Window not found"


# A ticket's state as invalid_transition names it: the workbench's label (Ticket.State), and English words that
# follow "The ticket …".
TICKET_STATE_WORDS: dict[str, tuple[str, str]] = {
    "waiting": ("等候中", "is waiting"),
    "called": ("已叫号", "has been called"),
    "serving": ("办理中", "is being served"),
    "finished": ("已办结", "is finished"),
    "no_show": ("过号", "was marked as a no-show"),
    "abandoned": ("未办理离开", "was given up by its holder"),
}


class TicketStateError(InvalidTransition):
    """The action does not fit the ticket's state. Given the ticket, the message says which state it is in
    (a workbench that lost track sees "finished", not a bare refusal) and ``details`` carries it:
    ``{"state": "finished", "ticket": "A001"}``."""

    code = "queue.invalid_transition"
    message = "号票当前状态不允许此操作"
    message_en = "This action is not allowed for the ticket's current state"

    def __init__(
        self,
        message: str | None = None,
        message_en: str | None = None,
        *,
        ticket: Ticket | None = None,
        **kwargs: Any,
    ) -> None:
        if ticket is not None:
            state = str(ticket.state)
            label, words = TICKET_STATE_WORDS.get(state, (state, f"is {state}"))
            message = message or f"号码当前状态为“{label}”，不能执行此操作"
            message_en = message_en or f"The ticket {words}; this action is not possible"
            kwargs["details"] = {"state": state, "ticket": ticket.number, **(kwargs.get("details") or {})}
        super().__init__(message, message_en, **kwargs)


class TicketNotCancellable(Conflict):
    code = "queue.not_cancellable"
    message = "这个号码已经叫到或已经结束，不能再取消；需要帮助请到窗口或咨询台"
    message_en = "This ticket has been called or is closed, so it can no longer be cancelled; please ask at a window or the help desk"


class RequeueExpired(Conflict):
    code = "queue.requeue_expired"
    message = "过号已超过可重新排队的时限，请重新取号"
    message_en = "Too late to re-queue this ticket; take a new one"


class AppointmentNotFound(NotFound):
    code = "appointment.not_found"
    message = "没有找到这个预约。请核对短信里的预约码，或刷身份证签到；也可以返回选择业务，现场取号"
    message_en = (
        "No such appointment: check the code in the SMS or use your ID card, or go back and take a ticket"
    )


class AppointmentNotToday(Conflict):
    code = "appointment.outside_window"
    message = "不在预约时段内，无法签到"
    message_en = "Not within the appointment's check-in window"


class AppointmentStateError(InvalidTransition):
    code = "appointment.invalid_transition"
    message = "预约当前状态不允许此操作"
    message_en = "This action is not allowed for the appointment's current state"


class AppointmentOver(Conflict):
    code = "appointment.over"
    message = "预约时段已结束，不能再改约或取消"
    message_en = "The appointment's time is over; it can no longer be changed or cancelled"


class SlotFull(Conflict):
    code = "appointment.slot_full"
    message = "该时段已约满，请选择其他时段"
    message_en = "This slot is fully booked; choose another"


class SlotPast(Conflict):
    code = "appointment.slot_past"
    message = "该时段已过，不能预约"
    message_en = "This slot is in the past"


class AlreadyBooked(Conflict):
    code = "appointment.already_booked"
    message = "您当天在本中心已有预约"
    message_en = "You already have an appointment at this center that day"


class BookingSuspended(Forbidden):
    code = "appointment.suspended"
    message = "因多次爽约，预约功能已暂停"
    message_en = "Booking is suspended after repeated no-shows"


class SuspensionNotFound(NotFound):
    code = "appointment.suspension_not_found"
    message = "没有找到这条暂停预约记录"
    message_en = "No such booking suspension"


class SuspensionLiftForbidden(Forbidden):
    code = "appointment.suspension_lift_forbidden"
    message = "只有该中心的负责人或系统管理员可以解除暂停预约"
    message_en = "Only a manager of the center or an administrator can lift a booking suspension"
