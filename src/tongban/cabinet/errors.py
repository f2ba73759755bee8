"""Cabinet business errors (stable codes, Chinese first)."""

from __future__ import annotations

from tongban.core.errors import Conflict, Forbidden, RateLimited, Unavailable, ValidationError


class WrongCode(Forbidden):
    code = "cabinet.wrong_code"
    message = "取件码不正确或已失效，请核对短信后重新输入"
    message_en = "Wrong or expired code; check the SMS and try again"


class CodeIncomplete(ValidationError):
    """Nothing typed, or too few digits to be any code: said at once and not counted as a wrong code (an
    empty tap by a resident must not lock the keypad for everyone)."""

    code = "cabinet.code_incomplete"
    message = "请输入短信中的取件码（数字）"
    message_en = "Enter the pickup code from the SMS (digits)"


class KeypadLocked(RateLimited):
    code = "cabinet.locked"
    message = "输入错误次数过多，键盘已暂时锁定，请稍后再试"
    message_en = "Too many wrong codes; the keypad is locked for a while"


class ResendLimit(RateLimited):
    code = "cabinet.resend_limit"
    message = "今天已重新发送过多次取件码，请查看短信，或到中心窗口、拨打中心电话请工作人员帮忙"
    message_en = "The code was sent again several times today; check your SMS, or ask staff at the center"


class CabinetOffline(Unavailable):
    code = "cabinet.offline"
    message = "文件柜暂时离线，请稍后再试或联系工作人员"
    message_en = "The cabinet is offline; try again later or ask staff"


class CompartmentFaulty(Unavailable):
    code = "cabinet.compartment_faulty"
    message = "该格口暂时故障，请联系工作人员取件"
    message_en = "This compartment is out of order; please ask staff"


class CabinetFull(Conflict):
    code = "cabinet.full"
    message = "没有合适的空闲格口"
    message_en = "No free compartment of a suitable size"


class PhoneRequired(ValidationError):
    code = "cabinet.phone_required"
    message = "请填写办件号；没有办件号的物品，请填写接收取件码的手机号"
    message_en = (
        "Enter the application number; for an item without one, the mobile number to receive the code"
    )
