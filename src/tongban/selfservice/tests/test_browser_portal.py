"""End to end in Chromium: a resident signs in with the SMS code from the outbox, applies online with an
upload and sees the case in progress; then at the kiosk the case is queried and the screen wipes itself."""

import re

import pytest
from playwright.sync_api import expect

from tongban.applications.models import Application
from tongban.selfservice.selectors import guide_search

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_resident_applies_online_then_checks_progress_at_the_kiosk(
    browser_page, live_server, settings, tmp_path
):
    from tongban.accounts.services import resident_get_or_create_by_phone
    from tongban.catalog.tests.factories import CenterFactory
    from tongban.selfservice.tests.factories import mini_catalog

    mini_catalog()
    CenterFactory(code="C-E2E", name="长白新村街道社区事务受理服务中心")
    resident_get_or_create_by_phone(
        phone="13800000001", display_name="王小明", id_number="310110195103070014"
    )
    guide_search(q="warm")
    settings.DEMO = True  # the dev SMS outbox page is open in demo mode
    settings.KIOSK_IDLE_SECONDS = 3
    settings.KIOSK_COUNTDOWN_SECONDS = 2
    lease = tmp_path / "lease.pdf"
    lease.write_bytes(PDF)
    page = browser_page

    # sign in from the apply button, with the code from the SMS outbox
    page.goto(live_server.url + "/portal/matters/T-RESIDENCE/")
    page.locator("#apply-online").click()
    expect(page).to_have_url(re.compile(r"/accounts/resident/login/"))
    page.locator("#id_phone").fill("13800000001")
    page.get_by_role("button", name="获取验证码").click()
    outbox = page.context.new_page()
    outbox.goto(live_server.url + "/notifications/outbox/")
    code = re.search(r"\b(\d{6})\b", outbox.locator("tbody").inner_text()).group(1)
    outbox.close()
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name="登录").click()

    # back on the apply form: the lease alone is not enough, and the form says what else is needed
    expect(page).to_have_url(live_server.url + "/portal/apply/T-RESIDENCE/")
    page.get_by_label("租赁合同").set_input_files(str(lease))
    page.locator("#apply-submit").click()
    expect(page.get_by_role("alert").filter(has_text="还缺")).to_contain_text(
        "还缺 2 项必需材料：居民身份证、照片"
    )
    for label in ("居民身份证", "租赁合同", "照片"):
        page.get_by_label(label).set_input_files(str(lease))
    page.locator("#apply-submit").click()
    expect(page.locator("#case-status")).to_have_text("已提交")
    expect(page.locator("main")).to_contain_text("lease.pdf")
    number = page.locator("#case-number").inner_text()
    app = Application.objects.get(number=number)
    assert (app.channel, app.status, app.attachments.count()) == ("online", "submitted", 3)
    page.goto(live_server.url + "/portal/cases/")
    expect(page.locator("main")).to_contain_text(number)

    # at the kiosk: receipt number + last four, then idle wipe
    page.goto(live_server.url + "/kiosk/progress/")
    page.locator("#k-number").fill(number)
    page.locator("#k-last4").fill("0014")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#progress-status")).to_have_text("已提交")
    expect(page.locator("#progress-result")).to_contain_text("王*明")
    expect(page).to_have_url(live_server.url + "/kiosk/", timeout=12000)
    expect(page.locator("#progress-result")).to_have_count(0)
    response = page.request.get(live_server.url + "/kiosk/print/receipt.pdf")
    assert response.status == 404  # the verified case went with the wiped session
