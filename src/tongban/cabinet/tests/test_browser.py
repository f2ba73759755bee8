"""The flow people click through, in Chromium: a clerk deposits, the resident types the code at the cabinet."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tongban.accounts.tests.factories import PASSWORD
from tongban.cabinet.consumer import EventConsumer
from tongban.cabinet.models import Cabinet, Item
from tongban.cabinet.simulator import CabinetSimulator
from tongban.cabinet.tests.helpers import wait_for
from tongban.notifications.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def running_cabinet(cabinet):
    """The demo's arrangement: embedded transport, event consumer and simulator in this process."""
    consumer = EventConsumer(close_connections=True)
    consumer.start()
    simulator = CabinetSimulator(
        cabinet_code=cabinet.code,
        compartments=list(cabinet.compartments.values_list("number", flat=True)),
        close_after=1.5,
        heartbeat_every=60,
    )
    simulator.start()
    wait_for(lambda: Cabinet.objects.filter(pk=cabinet.pk, firmware="tongban-sim/1.0").exists())
    yield simulator
    simulator.stop()
    consumer.stop()


@pytest.mark.postgres
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="a live server plus the in-process event consumer writing at once needs a real database "
    "(SQLite's shared in-memory test database fails with 'table is locked'; the demo's file database is fine)",
)
def test_clerk_deposits_and_resident_collects(browser_page, live_server, cabinet, clerk, running_cabinet):
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/?next=/cabinet/{cabinet.code}/staff/")
    page.fill("input[name=username]", clerk.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"**/cabinet/{cabinet.code}/staff/")
    page.locator("summary", has_text="无办件号的物品").click()
    page.fill("#dep-label", "营业执照副本")
    page.fill("#dep-phone", "13912345678")
    page.click("text=预留格口并开门")
    page.wait_for_selector("text=已预留 1 号格口")
    wait_for(lambda: Item.objects.filter(state="stored").exists())
    body = Message.objects.get(purpose="cabinet.pickup_code").body
    code = re.search(r"取件码(\d{6})", body).group(1)

    page.goto(f"{live_server.url}/cabinet/{cabinet.code}/")
    assert page.locator("text=营业执照").count() == 0  # the cabinet screen shows nothing about items
    for digit in code:
        page.click(f"[data-digit='{digit}']")
    page.click("text=开 门")
    page.wait_for_selector("#door-status[data-state='open'], #door-status[data-state='closed']")
    assert page.locator(".door-number").inner_text() == "1"
    page.wait_for_selector("#door-status[data-state='closed']", timeout=15_000)
    assert "已完成" in page.locator("#result").inner_text()
    assert Item.objects.get().state == Item.State.DONE


def test_wrong_codes_lock_the_screen(browser_page, live_server, cabinet):
    page = browser_page
    page.goto(f"{live_server.url}/cabinet/{cabinet.code}/")
    for attempt in range(5):
        page.fill("#code", "000000")
        with page.expect_response(lambda r: r.url.endswith("/code")):
            page.click("text=开 门")
        page.wait_for_selector("#result .alert")
        if attempt < 4:
            assert "取件码不正确" in page.locator("#result").inner_text()
    assert "键盘已锁定" in page.locator("#result").inner_text()
    page.reload()
    assert page.locator("#code").is_disabled()
