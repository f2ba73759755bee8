import pytest

from tongban.catalog.demo import DEMO_FILE
from tongban.catalog.transfer import catalog_import, catalog_parse


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_searches_in_plain_words_and_reads_the_checklist(browser_page, live_server):
    catalog_import(data=catalog_parse(DEMO_FILE.read_text(encoding="utf-8"), fmt="yaml"))
    page = browser_page
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="事项目录").click()
    page.get_by_role("searchbox").fill("病历本")
    page.get_by_role("button", name="搜索").click()
    # the bundle that contains it is offered too (退休一件事); open the matter itself
    assert page.get_by_role("link", name="退休一件事").count() == 1
    page.locator("a[href='/catalog/matters/YB-RECORD-BOOK/']").click()
    assert page.get_by_role("heading", level=1).inner_text() == "门急诊就医记录册申领、调换"
    assert page.locator("section[aria-labelledby=materials-h] li").count() == 3
    page.get_by_label("社会保障卡").check()
    assert page.get_by_label("社会保障卡").is_checked()
    assert page.get_by_text("当场办结").is_visible()

    page.goto(live_server.url + "/catalog/bundles/BD-BIRTH/")
    assert page.get_by_text("4 件事共用").count() == 2  # 出生医学证明 and 居民身份证, each listed once
