"""English pages: the workbench, the case page and the progress page read in English with the
language cookie; service messages come in English; the PDFs stay Chinese (official documents)."""

from __future__ import annotations

import io
import re
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from freezegun import freeze_time
from pypdf import PdfReader

from tongban.applications import services as s
from tongban.applications.tests.factories import clerk_at, draft
from tongban.catalog.tests.factories import CenterFactory, MatterFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
# UI chrome: headings, labels, table headers, buttons, links, select options, placeholders
# the brand and the button that switches back to Chinese are Chinese on purpose
BILINGUAL = ["通办 tongban", "中文"]
CHROME_TAGS = {"h1", "h2", "label", "th", "button", "a", "option", "summary", "caption", "title"}


class _Chrome(HTMLParser):
    """Collects the text of the page's chrome (not the data cells) and its placeholders/aria labels."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in CHROME_TAGS:
            self.open.append(tag)
            self.texts.append("")
        for name, value in attrs:
            if name in ("placeholder", "aria-label", "title") and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open:
            self.texts[-1] += data


def chrome_texts(html: str) -> list[str]:
    parser = _Chrome()
    parser.feed(html)
    return [" ".join(t.split()) for t in parser.texts if t.strip()]


def english(user=None) -> Client:
    c = Client()
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture
def clerk():
    return clerk_at(CenterFactory(code="YP-EN", name="长白新村街道社区事务受理服务中心"))


def test_workbench_in_english(clerk):
    app = draft(clerk=clerk, matter=MatterFactory(name="生育医疗费用报销"))
    html = english(clerk).get("/cases/workbench/").content.decode()
    assert '<html lang="en">' in html
    for text in (
        "Window workbench",
        f"Window {clerk.default_window.number}",
        "Case board",
        "Progress lookup",
        "New application",
        "Read ID card",
        "Resident ID number",
        "Mobile (for SMS notices)",
        "Start intake",
        "My open cases",
        ">Number<",
        "Applicant",
        "Due",
        "Draft",  # the case's status label
        "Collect at the window",  # a delivery choice
        "provisional calendar",
    ):
        assert text in html, text
    for chinese in (
        "窗口工作台",
        "办件看板",
        "进度查询",
        "新办件受理",
        "读卡",
        "开始受理",
        "我的在办件",
        "草稿",
    ):
        assert chinese not in html, chinese
    chrome = chrome_texts(html)
    assert "Start intake" in chrome
    assert [t for t in chrome if CJK.search(t)] == BILINGUAL
    assert app.number in html  # data stays data
    assert "生育医疗费用报销" in html


def test_workbench_is_still_chinese_by_default(clerk):
    c = Client()
    c.force_login(clerk)
    html = c.get("/cases/workbench/").content.decode()
    assert '<html lang="zh-CN">' in html
    assert "窗口工作台" in html and "开始受理" in html
    assert "Window workbench" not in html and "Start intake" not in html


@freeze_time(datetime(2026, 11, 26, 10, tzinfo=SH))
def test_progress_page_in_english(clerk):
    matter = MatterFactory(name="生育医疗费用报销", guide__promised_days=5)
    app = s.application_accept(application=draft(clerk=clerk, matter=matter), actor=clerk)
    c = english()
    html = c.get(
        "/cases/progress/", {"number": app.number, "id_last4": app.applicant_id_last4}
    ).content.decode()
    for text in (
        "Check application progress",
        "Receipt number",
        "Look up",
        "Applicant: ",
        "Promised completion date: 3 December 2026",
        ">Accepted<",  # the status badge
        "2026-11-26 10:00 Accepted",  # a history step
    ):
        assert text in html, text
    assert "生育医疗费用报销" in html
    assert [t for t in chrome_texts(html) if CJK.search(t)] == BILINGUAL
    for chinese in ("办件进度查询", "受理编号", "查询", "申请人", "承诺办结日期", "已受理", "年"):
        assert chinese not in html, chinese

    wrong = c.get("/cases/progress/", {"number": app.number, "id_last4": "0000"}).content.decode()
    assert "No matching application" in wrong
    assert "未找到办件" not in wrong


def test_case_page_buttons_and_service_messages_in_english(clerk):
    app = draft(clerk=clerk, received=False)
    c = english(clerk)
    html = c.get(f"/cases/{app.number}/").content.decode()
    for text in ("Workbench", "Material checklist", "Save checklist", "Accept", "Issue one-time notice"):
        assert text in html, text
    assert "Refuse to accept" in html  # the <summary>, while the status label says "Refused"
    assert "Issue refusal notice" in html
    chrome = [t for t in chrome_texts(html) if CJK.search(t)]
    # material names (data) appear in aria labels; everything else is English
    names = set(app.materials.values_list("name", flat=True))
    assert [t for t in chrome if t not in BILINGUAL and not any(n in t for n in names)] == []

    r = c.post(f"/cases/{app.number}/act/", {"action": "accept", "version": str(app.version)}, follow=True)
    body = r.content.decode()
    assert "Required material missing: " in body
    assert "缺少必需材料" not in body

    r = c.post(f"/cases/{app.number}/act/", {"action": "tick", "version": str(app.version)}, follow=True)
    assert "Checklist saved" in r.content.decode()


def test_pdfs_stay_chinese_on_an_english_page(clerk):
    app = s.application_accept(application=draft(clerk=clerk), actor=clerk)
    r = english(clerk).get(f"/cases/{app.number}/pdf/receipt/")
    assert r.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert "受理回执" in text
    assert "窗口领取" in text  # the delivery method's choice label, not "Collect at the window"
    assert "已收取" in text  # a material state label
    assert "Collect" not in text and "Received" not in text
