import re

import pytest

from tongban.accounts.models import Role, User


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_resident_reads_the_code_in_the_outbox_and_signs_in(browser_page, live_server, settings):
    settings.DEMO = True
    page = browser_page
    page.goto(live_server.url + "/accounts/resident/login/?next=/healthz")
    assert page.locator("h1").inner_text() == "居民登录"
    page.get_by_label("请输入您的手机号码").fill("138 0000 0001")
    page.get_by_role("button", name="获取验证码").click()
    assert "验证码已发送到 138****0001" in page.locator("main").inner_text()
    assert page.get_by_role("button", name=re.compile("重新获取")).is_disabled()  # counts down first

    outbox = page.context.new_page()
    outbox.goto(live_server.url + "/notifications/outbox/")
    code = re.search(r"验证码是 (\d{6})", outbox.locator("#outbox-rows").inner_text()).group(1)
    outbox.close()

    page.get_by_label("请输入短信里的6位数字").fill(code)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/healthz")
    assert User.objects.filter(role=Role.RESIDENT).count() == 1
