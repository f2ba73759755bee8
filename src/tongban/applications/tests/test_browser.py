"""The clerk's flow in a real browser: the newborn bundle from intake to cabinet delivery."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tongban.applications import demo
from tongban.applications.models import Application
from tongban.applications.tests.factories import demo_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"


def login(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state()


def test_newborn_bundle_through_notice_review_and_delivery(browser_page, live_server):
    page, base = browser_page, live_server.url
    world = demo_world()
    demo.load(io.StringIO())
    part1 = Application.objects.filter(bundle_case__isnull=False).order_by("number").first()

    login(page, base, "window1")
    page.goto(base + "/cases/workbench/")
    assert page.locator("h1").inner_text() == "窗口工作台"
    page.click(f"text={part1.number}")
    assert page.locator("#case-status").get_attribute("data-status") == "draft"
    # issue the one-time notice (the birth certificate is missing)
    dialogs = []
    page.once(
        "dialog", lambda d: (dialogs.append(d.message), d.accept())
    )  # asked once more: it cannot be undone
    page.click("button[value=supplement]")
    assert "已出具一次性告知书" in page.locator(".alert").inner_text()
    assert dialogs and "发出后不能修改" in dialogs[0]
    assert page.locator("#case-status").get_attribute("data-status") == "supplement"
    notice = page.request.get(base + f"/cases/{part1.number}/pdf/supplement/")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(notice.body())).pages)
    assert "出生医学证明" in text and "一次性告知书" in text
    # the document is brought in; accept
    page.click("button[value=supplement_received]")
    assert page.locator("#case-status").get_attribute("data-status") == "submitted"
    page.click("button[value=accept]")
    assert "已受理" in page.locator(".alert").inner_text()
    assert page.locator("#case-status").get_attribute("data-status") == "under_review"
    assert page.locator("#reviews tr").count() == 2
    receipt = page.request.get(base + f"/cases/{part1.number}/pdf/receipt/")
    assert receipt.headers["content-type"] == "application/pdf"
    assert "受理回执" in PdfReader(io.BytesIO(receipt.body())).pages[0].extract_text()

    # both departments answer from their inboxes
    for reviewer in ("reviewer", "reviewer-rs"):
        login(page, base, reviewer)
        page.goto(base + "/cases/reviews/")
        card = page.locator("article", has_text=part1.number)
        card.locator("select[name=opinion]").select_option("agree")
        card.locator("button").click()
        assert "已提交" in page.locator(".alert").inner_text()

    # decide and hand over to the cabinet
    login(page, base, "window1")
    page.goto(base + f"/cases/{part1.number}/")
    page.click("#decide-form button[value=decide]")
    assert page.locator("#case-status").get_attribute("data-status") == "decided"
    page.select_option("select[name=method]", "cabinet")
    page.click("button[value=ready]")
    assert page.locator("#case-status").get_attribute("data-status") == "ready"
    part1.refresh_from_db()
    assert (part1.status, part1.delivery, part1.outcome) == ("ready", "cabinet", "approved")
    assert part1.applicant_id == world["li_mei"].pk


def test_reading_the_id_card_keeps_the_phone_already_typed(browser_page, live_server):
    """The clerk often types the phone the resident dictates while the card is still in their hand: reading
    the card then fills the ID number and the name, and leaves the phone alone."""
    page, base = browser_page, live_server.url
    demo_world()
    demo.load(io.StringIO())
    login(page, base, "window1")
    page.goto(base + "/cases/workbench/")
    page.fill("#phone", "13900001234")
    page.get_by_role("button", name="读卡").click()
    page.wait_for_selector("#applicant-card .text-success")
    assert page.input_value("#id_number") != "" and page.input_value("#name") != ""
    assert page.input_value("#phone") == "13900001234"
