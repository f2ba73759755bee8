"""Milestone messages to the applicant and deadline warnings to staff (SMS through the plugin registry).

Called inside the service's transaction: ``sms_send`` records the message there and
delivers it on commit, so a rolled-back transition sends nothing.
"""

from __future__ import annotations

from tongban.accounts.models import Role, User
from tongban.applications.models import Application, SupplementNotice
from tongban.notifications.services import sms_send


def _to_applicant(app: Application, body: str, purpose: str) -> None:
    phone = app.contact_phone or app.applicant.phone  # the number given for this case, if any
    if phone:
        sms_send(to_phone=phone, body=f"【{app.center.name}】{body}", purpose=purpose)


def accepted(app: Application) -> None:
    due = f"，承诺于{app.due_date:%Y年%m月%d日}前办结" if app.due_date else ""
    _to_applicant(app, f"您的“{app.matter.name}”已受理，受理编号{app.number}{due}。", "application.accepted")


def supplement(app: Application, notice: SupplementNotice) -> None:
    names = "、".join(item["name"] for item in notice.items)
    _to_applicant(
        app,
        f"您的“{app.matter.name}”（{app.number}）需补正以下材料：{names}。请一次性补齐后到窗口提交。",
        "application.supplement",
    )


def refused(app: Application) -> None:
    _to_applicant(
        app, f"您的“{app.matter.name}”（{app.number}）不予受理，详见不予受理通知书。", "application.refused"
    )


def decided(app: Application) -> None:
    result = "已办结" if app.outcome == "approved" else "已作出不予许可决定"
    _to_applicant(app, f"您的“{app.matter.name}”（{app.number}）{result}。", "application.decided")


def ready(app: Application) -> None:
    how = {
        "window": "请携带身份证件到窗口领取",
        "cabinet": "将存入智能文件柜，取件码另行短信告知，24小时可取",
        "post": "将通过邮寄送达",
    }[app.delivery]
    _to_applicant(app, f"您的“{app.matter.name}”（{app.number}）结果已备好，{how}。", "application.ready")


def deadline_warning(app: Application, *, level: str) -> None:
    """Tell the responsible clerk and the center's managers."""
    what = "已超期" if level == "red" else "临近办结期限"
    body = (
        f"【通办预警】办件{app.number}“{app.matter.name}”{what}（期限{app.due_date:%Y-%m-%d}），请及时处理。"
    )
    recipients: list[User] = list(
        User.objects.filter(role=Role.MANAGER, center_id=app.center_id, is_active=True).exclude(phone="")
    )
    if app.handler is not None and app.handler.phone:
        recipients.append(app.handler)
    seen: set[int] = set()
    for user in recipients:
        if user.pk in seen or not user.phone:
            continue
        seen.add(user.pk)
        sms_send(to_phone=user.phone, body=body, purpose=f"application.deadline_{level}")
