import base64

import pytest
from django_otp.oath import totp

from tongban.accounts.tests.factories import PASSWORD, AdminFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_enrols_an_authenticator_and_reaches_the_admin(browser_page, live_server, settings):
    settings.STAFF_2FA_REQUIRED = True
    AdminFactory(username="root")
    page = browser_page
    page.goto(live_server.url + "/admin/")
    assert page.locator("h1").inner_text() == "工作人员登录"
    page.get_by_label("用户名").fill("root")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/accounts/otp/setup/**")
    assert page.locator(".qr svg").count() == 1
    key = base64.b32decode(page.locator("#otp-secret").inner_text().replace(" ", "").strip())
    page.get_by_label("6位动态码").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="完成绑定").click()
    page.wait_for_url("**/admin/")
    assert "身份验证器已绑定" in page.locator("body").inner_text()
    assert page.locator("#site-name").inner_text() == "通办 后台管理"
