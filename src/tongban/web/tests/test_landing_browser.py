import pytest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_landing_renders_in_chromium_with_chinese_text(browser_page, live_server, tmp_path):
    page = browser_page
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text().startswith("通办")
    page.screenshot(path=str(tmp_path / "landing.png"), full_page=True)
    page.get_by_role("link", name="后台管理").click()
    assert "/admin/" in page.url
