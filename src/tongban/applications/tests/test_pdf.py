"""PDFs: the Chinese text reads back, the CJK font is embedded (subset), the QR is there."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from pypdf import PdfReader

from tongban.applications import services as s
from tongban.applications.pdf import (
    render_receipt_pdf,
    render_refusal_notice_pdf,
    render_result_notice_pdf,
    render_supplement_notice_pdf,
)
from tongban.applications.tests.factories import clerk_at, draft, resident
from tongban.catalog.tests.factories import CenterFactory, MatterFactory
from tongban.core.errors import Unavailable

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def text_and_fonts(data: bytes) -> tuple[str, list[dict]]:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.append(font.get_object())
    return text, fonts


def assert_embedded_subset(fonts: list[dict]) -> None:
    assert fonts
    for font in fonts:
        name = str(font["/BaseFont"])
        # ReportLab names subsets like /AAAAAA+TongbanCJK-0 (a subset tag) and embeds FontFile2
        assert "+" in name, name
        descriptor = (
            font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        )
        assert "/FontFile2" in descriptor.get_object(), name


@pytest.fixture
def clerk():
    return clerk_at(CenterFactory(code="YP-CBXC", name="长白新村街道社区事务受理服务中心"))


@freeze_time(datetime(2026, 11, 26, 10, tzinfo=SH))
def test_receipt_reads_back_in_chinese_with_embedded_font(clerk):
    applicant = resident(display_name="李梅")
    matter = MatterFactory(name="生育医疗费用报销", guide__promised_days=5)
    app = s.application_accept(
        application=draft(clerk=clerk, applicant=applicant, matter=matter), actor=clerk
    )
    data = render_receipt_pdf(app, progress_url="http://example.test/cases/progress/?n=" + app.number)
    assert data.startswith(b"%PDF")
    text, fonts = text_and_fonts(data)
    assert "受理回执" in text
    assert "长白新村街道社区事务受理服务中心" in text
    assert "生育医疗费用报销" in text
    assert "李梅" in text
    assert app.number in text  # digits and Latin letters come out of the same font
    assert "2026年12月03日" in text
    assert applicant.id_number not in text  # masked
    assert applicant.id_number[:6] + "********" + applicant.id_number[-4:] in text
    assert_embedded_subset(fonts)
    assert b"STSong" not in data


@freeze_time(datetime(2026, 11, 26, 10, tzinfo=SH))
def test_before_acceptance_a_submission_gets_an_application_receipt_and_a_draft_none(clerk):
    """A receipt with '受理时间 —' for a case nobody accepted misleads: an online submission gets a 申请回执
    (submitted, no deadline running yet), a window draft gets nothing."""
    app = draft(clerk=clerk)
    with pytest.raises(Unavailable):
        render_receipt_pdf(app)
    app.submitted_at = datetime(2026, 11, 26, 9, 30, tzinfo=SH)
    text, _ = text_and_fonts(render_receipt_pdf(app))
    assert "申请回执" in text and "受理回执" not in text
    assert "受理后开始计算" in text and "2026年11月26日" in text and "办结期限：" not in text


def test_supplement_refusal_result_notices(clerk):
    app = draft(clerk=clerk, received=False)
    with pytest.raises(Unavailable):
        render_supplement_notice_pdf(app)
    s.application_request_supplement(application=app, actor=clerk, items=[], note="请携带原件")
    app.refresh_from_db()
    text, fonts = text_and_fonts(render_supplement_notice_pdf(app))
    assert "补正材料一次性告知书" in text
    for row in app.materials.all():
        assert row.name in text
    assert_embedded_subset(fonts)

    refused = draft(clerk=clerk)
    s.application_refuse(
        application=refused,
        actor=clerk,
        reason="申请事项不属于本机关职权范围",
        legal_basis="《行政许可法》第三十二条第一款第二项",
    )
    refused.refresh_from_db()
    text, _ = text_and_fonts(render_refusal_notice_pdf(refused))
    assert "不予受理通知书" in text and "申请事项不属于本机关职权范围" in text and "第三十二条" in text

    ok = draft(clerk=clerk)
    s.application_accept(application=ok, actor=clerk)
    with pytest.raises(Unavailable):
        render_result_notice_pdf(ok)
    s.application_decide(application=ok, actor=clerk, outcome="approved", reason="符合条件")
    ok.refresh_from_db()
    text, _ = text_and_fonts(render_result_notice_pdf(ok))
    assert "办理结果告知书" in text and "准予" in text and "符合条件" in text
