"""The doors on the landing page. A front end is 'available' once its URL name resolves.

Apps add their page under the URL name given here; until then the landing page
says plainly that it is not available yet — never a fake page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Frontend:
    url_name: str
    title: object
    who: object
    icon: str

    @property
    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


FRONTENDS = [
    Frontend(
        "selfservice:portal-home",
        _("一网通办 居民门户"),
        _("居民、企业：查指南、网上申请、查进度、预约"),
        "bi-phone",
    ),
    Frontend(
        "selfservice:kiosk-home",
        _("24小时自助服务终端"),
        _("自助区触摸屏：查进度、打印、问百事通"),
        "bi-display",
    ),
    Frontend("selfservice:guide-home", _("百事通"), _("用大白话问：我要办什么、去哪办"), "bi-chat-dots"),
    Frontend("queueing:ticket-machine-home", _("取号机"), _("大厅取号、预约签到"), "bi-ticket-perforated"),
    Frontend("queueing:display-home", _("叫号屏"), _("等候区大屏，语音叫号"), "bi-tv"),
    Frontend(
        "applications:workbench",
        _("窗口工作台"),
        _("综合窗口：叫号、受理、一次性告知"),
        "bi-person-workspace",
    ),
    Frontend("applications:review-inbox", _("部门审核"), _("并联审查：给出部门意见"), "bi-inboxes"),
    Frontend("cabinet:home", _("智能文件柜"), _("24小时取件、投递材料"), "bi-safe"),
    Frontend("ratings:pad-home", _("好差评评价器"), _("窗口评价：一次一评"), "bi-emoji-smile"),
    Frontend("dashboard:home", _("运行看板"), _("中心与全区的办件、等候、评价数据"), "bi-bar-chart"),
    Frontend(
        "queueing:stats",
        _("排队叫号统计"),
        _("各队列等候、过号与放弃率，窗口与人员办理时长"),
        "bi-graph-up",
    ),
    Frontend("catalog:home", _("事项目录"), _("全部事项与办事指南"), "bi-journal-text"),
    Frontend("admin:index", _("后台管理"), _("维护事项、窗口、日历、账号"), "bi-gear"),
]
