"""Typed errors of the applications domain, each with a stable code."""

from __future__ import annotations

from tongban.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError


class ApplicationNotFound(NotFound):
    code = "application.not_found"
    message = "办件不存在"
    message_en = "Application not found"


class ApplicationForbidden(Forbidden):
    code = "application.forbidden"
    message = "无权办理此办件"
    message_en = "You may not act on this application"


class ApplicationInvalidTransition(InvalidTransition):
    code = "application.invalid_transition"
    message = "办件当前状态不允许此操作"
    message_en = "This action is not allowed in the application's current state"


class ApplicationStale(Conflict):
    code = "application.stale"
    message = "办件已被他人修改，请刷新后重试"
    message_en = "Someone else changed this application first; reload and try again"


class ApplicantPhoneTaken(Conflict):
    """A new applicant given a phone that is another resident's sign-in (one account per phone)."""

    code = "applicant.phone_taken"

    def __init__(self, masked_phone: str) -> None:
        super().__init__(
            f"手机号 {masked_phone} 已是另一位居民的登录手机号，不能登记给新申请人；请换一个号码，或留空后登记",
            f"{masked_phone} is already another resident's sign-in phone and cannot be given to a new applicant;"
            " use another number, or leave it empty",
        )


class MaterialMissing(ValidationError):
    code = "application.material_missing"
    message = "缺少必需材料"
    message_en = "Required material missing"


class SupplementAlreadyIssued(Conflict):
    code = "application.supplement_already_issued"
    message = "一次性告知书已出具，不能再次告知；材料仍不齐全的请作不予受理"
    message_en = "The one-time supplement notice was already issued; it cannot be issued twice"


class ReviewsPending(InvalidTransition):
    code = "application.reviews_pending"
    message = "尚有部门未反馈审查意见"
    message_en = "Some departments have not given their opinion yet"


class InvalidInput(ValidationError):
    code = "application.invalid_input"
    message = "输入有误"
    message_en = "Invalid input"


class UnknownMatter(ValidationError):
    code = "application.unknown_matter"
    message = "事项不存在或未在办"
    message_en = "Unknown or inactive matter"


class AttachmentRejected(ValidationError):
    code = "application.attachment_rejected"
    message = "附件不符合要求"
    message_en = "Attachment rejected"
