from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tongban.accounts.tests.factories import PASSWORD, ClerkFactory, ManagerFactory
from tongban.catalog.tests.factories import CenterFactory, MatterFactory, WindowFactory
from tongban.notifications.models import Message
from tongban.queueing.models import Queue, Ticket
from tongban.ratings.models import WorkOrder


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_very_unsatisfied_on_the_pad_reaches_the_manager_and_closes_the_loop(
    browser_page, live_server, settings
):
    settings.RATINGS_LINK_BASE_URL = live_server.url
    page = browser_page
    center = CenterFactory(code="YP-E2E", name="长白新村社区事务受理服务中心")
    window = WindowFactory(center=center, number=3)
    clerk = ClerkFactory(center=center, display_name="李晓")
    manager = ManagerFactory(center=center, username="boss")
    queue = Queue.objects.create(center=center, prefix="A", name="综合")
    now = timezone.now() - timedelta(minutes=2)
    Ticket.objects.create(
        center=center,
        queue=queue,
        day=timezone.localdate(now),
        seq=7,
        number="A007",
        state="finished",
        matter=MatterFactory(name="居住证办理"),
        queued_at=now,
        issued_at=now,
        called_at=now,
        served_at=now,
        finished_at=now,
        called_window=window,
        called_by=clerk,
        notify_phone="13800000001",
    )

    # the resident, at window 3's pad
    page.goto(f"{live_server.url}/ratings/pad/")
    page.get_by_role("link", name="3号窗口").click()
    page.get_by_text("请为刚才的服务评价（A007号）").wait_for()
    page.locator("label[for=level-1]").click()
    page.get_by_label("意见建议（选填）").fill("等了很久没人理")
    page.get_by_role("button", name="提交评价").click()
    page.get_by_text("感谢您的评价！").wait_for()
    order = WorkOrder.objects.get()
    assert order.rating.level == 1

    # the manager sees it and follows it to closure
    page.goto(f"{live_server.url}/accounts/login/?next=/ratings/work-orders/")
    page.get_by_label("用户名").fill(manager.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("main form button").click()
    page.get_by_role("link", name=order.number).click()
    assert page.get_by_text("等了很久没人理").is_visible()
    for label, note in [
        ("记录回访", "已电话联系评价人，了解等候情况"),
        ("记录核实情况", "调取叫号记录，等候52分钟属实"),
        ("记录整改措施", "高峰期增开2号窗口"),
        ("反馈评价人并办结", "已告知评价人整改措施"),
    ]:
        form = page.locator("form.card", has=page.get_by_role("button", name=label))
        form.locator("textarea").fill(note)
        form.get_by_role("button", name=label).click()
        page.get_by_text("已记录").wait_for()
    order.refresh_from_db()
    assert order.state == WorkOrder.State.CLOSED

    # the rater is asked again, by SMS
    sms = Message.objects.get(purpose="ratings.follow_up")
    link = sms.body[sms.body.index(live_server.url) :]
    page.goto(link)
    page.locator("label[for=level-4]").click()
    page.get_by_role("button", name="提交评价").click()
    page.get_by_text("感谢您对整改结果的评价！").wait_for()
    order.refresh_from_db()
    assert order.follow_up_level == 4
