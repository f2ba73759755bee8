"""End to end in Debian's Chromium: the 百事通 answers a colloquial question; the kiosk wipes itself when idle."""

import re

import pytest
from playwright.sync_api import expect

from tongban.selfservice.selectors import guide_search

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_guide_answers_a_colloquial_question(browser_page, live_server):
    from tongban.selfservice.tests.factories import mini_catalog

    mini_catalog()
    guide_search(q="warm")  # build the index (segmenter dictionary) before the clock of expect() starts
    page = browser_page
    page.goto(live_server.url + "/guide/")
    page.get_by_label("您的问题").fill("老人病历本用完了")
    page.get_by_role("button", name="问一问").click()
    first = page.locator(".guide-result").first
    expect(first).to_contain_text("退休人员门急诊就医记录册调换")
    expect(first).to_contain_text("“病历本”即“门急诊就医记录册”")
    expect(page).to_have_url(re.compile(r"/guide/\?q="))
    page.get_by_label("您的问题").fill("护照过期了怎么换")
    page.get_by_role("button", name="问一问").click()
    expect(page.locator(".guide-referral")).to_contain_text("12367")


def test_kiosk_wipes_screen_and_session_after_idling(browser_page, live_server, settings):
    from tongban.selfservice.tests.factories import mini_catalog

    mini_catalog()
    settings.KIOSK_IDLE_SECONDS = 2
    settings.KIOSK_COUNTDOWN_SECONDS = 2
    page = browser_page
    page.goto(live_server.url + "/kiosk/")
    page.locator("#tile-guide").click()
    page.get_by_label("您的问题").fill("居住正怎么办")
    page.get_by_role("button", name="问", exact=True).click()
    expect(page.locator(".guide-result").first).to_contain_text("居住证")
    session_before = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    expect(page.locator("#kiosk-idle")).to_be_visible(timeout=6000)  # the countdown warns first
    expect(page).to_have_url(live_server.url + "/kiosk/", timeout=8000)  # then the wipe
    expect(page.locator(".guide-result")).to_have_count(0)
    session_after = next((c["value"] for c in page.context.cookies() if c["name"] == "sessionid"), None)
    assert session_after != session_before


def test_kiosk_touch_keeps_the_screen(browser_page, live_server, settings):
    settings.KIOSK_IDLE_SECONDS = 2
    settings.KIOSK_COUNTDOWN_SECONDS = 3
    page = browser_page
    page.goto(live_server.url + "/kiosk/guide/")
    expect(page.locator("#kiosk-idle")).to_be_visible(timeout=6000)
    page.locator("#kiosk-stay").click()
    expect(page.locator("#kiosk-idle")).to_be_hidden()
    assert page.url.endswith("/kiosk/guide/")
