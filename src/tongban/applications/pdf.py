"""Server-side PDFs (ReportLab): acceptance receipt with a QR code, one-time supplement notice,
refusal notice, result notice.

Every PDF subset-embeds one TrueType CJK font that also has Latin glyphs and digits
(WenQuanYi Micro Hei, vendored in ``fonts/``; ``settings.PDF_FONT_PATH`` overrides),
so it prints the same on a machine without Chinese fonts. ReportLab's CID fonts
(STSong-Light) are never used: they are not embedded.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import qrcode
import qrcode.constants
from django.conf import settings
from django.utils import timezone, translation
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from tongban.applications.models import Application, ApplicationMaterial, Status
from tongban.applications.selectors import application_deadline
from tongban.core.crypto import mask_id_number
from tongban.core.errors import Unavailable

P = ParamSpec("P")
R = TypeVar("R")

FONT_NAME = "TongbanCJK"
VENDORED_FONT = Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttc"
SYSTEM_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def font_path() -> Path:
    configured = getattr(settings, "PDF_FONT_PATH", "")
    for candidate in ([Path(configured)] if configured else []) + [VENDORED_FONT, SYSTEM_FONT]:
        if candidate.is_file():
            return candidate
    raise Unavailable(
        "未找到PDF中文字体", "No CJK font for PDFs (set TONGBAN_PDF_FONT)", code="pdf.font_missing"
    )


@lru_cache(maxsize=4)
def _register(path: str) -> str:
    kwargs = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
    pdfmetrics.registerFont(TTFont(FONT_NAME, path, **kwargs))
    return FONT_NAME


class _Doc:
    """A tiny flowing writer over a canvas: title, label/value rows, paragraphs that wrap."""

    def __init__(self, title: str) -> None:
        self.buffer = io.BytesIO()
        self.font = _register(str(font_path()))
        self.canvas = Canvas(
            self.buffer, pagesize=A4, pageCompression=1, initialFontName=self.font, initialFontSize=11
        )
        self.canvas.setTitle(title)
        self.canvas.setAuthor("tongban")
        self.width, self.height = A4
        self.left = 22 * mm
        self.right = self.width - 22 * mm
        self.y = self.height - 28 * mm

    def _ensure(self, needed: float) -> None:
        if self.y - needed < 25 * mm:
            self.canvas.showPage()
            self.y = self.height - 25 * mm

    def title(self, text: str, sub: str = "") -> None:
        self.canvas.setFont(self.font, 20)
        self.canvas.drawCentredString(self.width / 2, self.y, text)
        self.y -= 9 * mm
        if sub:
            self.canvas.setFont(self.font, 10.5)
            self.canvas.drawCentredString(self.width / 2, self.y, sub)
            self.y -= 8 * mm
        self.y -= 3 * mm

    def row(self, label: str, value: str) -> None:
        self.canvas.setFont(self.font, 11)
        self._ensure(7 * mm)
        self.canvas.drawString(self.left, self.y, f"{label}：")
        self.wrap(value, indent=32 * mm, size=11)

    def wrap(self, text: str, *, indent: float = 0, size: float = 11, gap: float = 1.6) -> None:
        self.canvas.setFont(self.font, size)
        max_width = self.right - self.left - indent
        for para in (text or "—").split("\n"):
            line = ""
            for ch in para:
                if pdfmetrics.stringWidth(line + ch, self.font, size) > max_width:
                    self._ensure(size * gap)
                    self.canvas.drawString(self.left + indent, self.y, line)
                    self.y -= size * gap
                    line = ch
                else:
                    line += ch
            self._ensure(size * gap)
            self.canvas.drawString(self.left + indent, self.y, line)
            self.y -= size * gap

    def heading(self, text: str) -> None:
        self.y -= 3 * mm
        self._ensure(10 * mm)
        self.canvas.setFont(self.font, 13)
        self.canvas.drawString(self.left, self.y, text)
        self.y -= 7 * mm

    def qr(self, data: str, caption: str) -> None:
        """Draw the QR modules as filled squares (no Graphics drawing: that would pull in Helvetica)."""
        code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(data)
        code.make(fit=True)
        matrix = code.get_matrix()
        size = 32 * mm
        cell = size / len(matrix)
        self._ensure(size + 10 * mm)
        x0, top = self.right - size, self.y + 6 * mm
        self.canvas.setFillColorRGB(0, 0, 0)
        for r, line in enumerate(matrix):
            for c, dark in enumerate(line):
                if dark:
                    self.canvas.rect(x0 + c * cell, top - (r + 1) * cell, cell, cell, stroke=0, fill=1)
        self.canvas.setFont(self.font, 9)
        self.canvas.drawRightString(self.right, top - size - 4 * mm, caption)
        self.y = top - size - 8 * mm

    def stamp(self, center_name: str, when: str) -> None:
        self.y -= 8 * mm
        self._ensure(20 * mm)
        self.canvas.setFont(self.font, 11.5)
        self.canvas.drawRightString(self.right, self.y, center_name)
        self.y -= 7 * mm
        self.canvas.drawRightString(self.right, self.y, when)
        self.y -= 7 * mm

    def footer(self, text: str) -> None:
        """One line, or two when it does not fit (split at the double spaces between parts)."""
        self.canvas.setFont(self.font, 8.5)
        width = self.right - self.left
        if pdfmetrics.stringWidth(text, self.font, 8.5) <= width or "  " not in text:
            self.canvas.drawString(self.left, 14 * mm, text)
            return
        parts = text.split("  ")
        first, rest = parts[0], parts[1:]
        while rest and pdfmetrics.stringWidth(first + "  " + rest[0], self.font, 8.5) <= width:
            first += "  " + rest.pop(0)
        self.canvas.drawString(self.left, 17.5 * mm, first)
        self.canvas.drawString(self.left, 13.5 * mm, "  ".join(rest))

    def bytes(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def _official(render: Callable[P, R]) -> Callable[P, R]:
    """Official documents are Chinese whatever language the page is in: the choice labels
    (送达方式, 材料状态, 意见 …) come from gettext, so render under the site's default language."""

    @wraps(render)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override(settings.LANGUAGE_CODE):
            return render(*args, **kwargs)

    return wrapper


def _date(value: object) -> str:
    if value is None:
        return "—"
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)  # type: ignore[arg-type]
    return value.strftime("%Y年%m月%d日")  # type: ignore[attr-defined]


def _header(doc: _Doc, app: Application) -> None:
    doc.row("受理编号", app.number)
    doc.row("申请人", app.applicant_name)
    id_number = app.applicant.id_number or app.applicant.credit_code
    doc.row("证件号码", mask_id_number(id_number) if id_number else "—")
    doc.row("申请事项", f"{app.matter.name}（{app.matter.code}）")
    doc.row("实施主体", app.department.name)
    doc.row("办事指南版本", f"第{app.guide.version}版")


def _footer_text(app: Application) -> str:
    phone = app.guide.consult_phone or app.center.phone or "12345"
    return f"{app.center.name}  地址：{app.center.address}  咨询电话：{phone}  投诉电话：{app.guide.complaint_phone}"


@_official
def render_receipt_pdf(application: Application, *, progress_url: str = "") -> bytes:
    """受理回执: what was accepted, the materials received, the due date, a QR code for the progress lookup.
    Before acceptance, an online application gets a 申请回执 instead (submitted, waiting to be accepted: no
    deadline runs yet); a draft, nothing."""
    app = application
    accepted = app.accepted_at is not None
    if not accepted and app.submitted_at is None:
        raise Unavailable(
            "该办件尚未提交或受理，没有回执",
            "This application is neither submitted nor accepted: no receipt",
            code="pdf.no_receipt",
        )
    title = "受理回执" if accepted else "申请回执"
    doc = _Doc(f"{title} {app.number}")
    doc.title(title, app.center.name)
    _header(doc, app)
    if accepted:
        doc.row("受理时间", _date(app.accepted_at))
        due, _, provisional = application_deadline(application=app)
        limit = f"{app.promised_days}个工作日" if app.promised_days is not None else "—"
        doc.row("承诺时限", limit)
        doc.row("办结期限", _date(due) + ("（按暂定节假日安排计算）" if provisional else ""))
    else:
        doc.row("提交时间", _date(app.submitted_at))
        doc.row("办理状态", "待受理：受理后开始计算办结期限")
    doc.row("送达方式", app.get_delivery_display())
    doc.qr(progress_url or app.number, "扫码查询办理进度")
    doc.heading("已收取材料" if accepted else "已提交材料")
    for i, row in enumerate(app.materials.all(), start=1):
        state = dict(ApplicationMaterial.State.choices).get(row.state, row.state)
        form = row.received_form or row.form
        doc.wrap(
            f"{i}. {row.name}  {form and _form_label(form)} {row.received_count or row.count}份  [{state}]",
            size=10.5,
        )
    doc.heading("温馨提示")
    doc.wrap(
        "请妥善保管本回执。可凭受理编号和证件号码后四位在自助终端、一网通办或扫描二维码查询办理进度。"
        "办结期限按工作日计算，不含法定节假日；依法需要听证、检验检测、专家评审的时间不计算在内。",
        size=10.5,
    )
    doc.stamp(app.center.name, _date(app.accepted_at if accepted else app.submitted_at))
    doc.footer(_footer_text(app))
    return doc.bytes()


def _form_label(form: str) -> str:
    return {"original": "原件", "copy": "复印件", "both": "原件及复印件", "electronic": "电子材料"}.get(
        form, form
    )


@_official
def render_supplement_notice_pdf(application: Application) -> bytes:
    """一次性告知书: every missing or defective item at once."""
    app = application
    notice = getattr(app, "supplement_notice", None)
    if notice is None:
        raise Unavailable(
            "该办件没有一次性告知书", "This application has no supplement notice", code="pdf.no_notice"
        )
    doc = _Doc(f"一次性告知书 {app.number}")
    doc.title("补正材料一次性告知书", app.center.name)
    _header(doc, app)
    doc.row("告知时间", _date(notice.issued_at))
    doc.heading("经审查，您提交的申请材料不齐全或不符合法定形式，请补正以下全部内容：")
    for i, item in enumerate(notice.items, start=1):
        doc.wrap(f"{i}. {item['name']}：{item['problem']}", size=11)
    if notice.note:
        doc.heading("说明")
        doc.wrap(notice.note, size=11)
    doc.heading("告知")
    doc.wrap(
        "根据《中华人民共和国行政许可法》第三十二条，本告知书一次性告知您需要补正的全部内容。"
        "补正材料齐全后，请携带本告知书到窗口提交，我中心将依法受理；补正前办理时限不开始计算。",
        size=10.5,
    )
    doc.stamp(app.center.name, _date(notice.issued_at))
    doc.footer(_footer_text(app))
    return doc.bytes()


@_official
def render_refusal_notice_pdf(application: Application) -> bytes:
    """不予受理通知书: the reason, the legal basis and the right to appeal."""
    app = application
    if app.status != Status.REFUSED:
        raise Unavailable("该办件未被不予受理", "This application was not refused", code="pdf.not_refused")
    doc = _Doc(f"不予受理通知书 {app.number}")
    doc.title("不予受理通知书", app.center.name)
    _header(doc, app)
    doc.row("决定时间", _date(app.closed_at))
    doc.heading("不予受理理由")
    doc.wrap(app.refusal_reason)
    doc.heading("依据")
    doc.wrap(app.refusal_basis)
    doc.heading("救济途径")
    doc.wrap(
        "如对本决定不服，可以自收到本通知书之日起六十日内依法申请行政复议，或者在六个月内依法向人民法院提起行政诉讼。",
        size=10.5,
    )
    doc.stamp(app.center.name, _date(app.closed_at))
    doc.footer(_footer_text(app))
    return doc.bytes()


@_official
def render_result_notice_pdf(application: Application) -> bytes:
    """办理结果告知书 (approved or denied, with reasons and the department opinions)."""
    app = application
    if not app.outcome:
        raise Unavailable("该办件尚未办结", "This application has not been decided", code="pdf.not_decided")
    doc = _Doc(f"办理结果告知书 {app.number}")
    doc.title("办理结果告知书", app.center.name)
    _header(doc, app)
    doc.row("受理时间", _date(app.accepted_at))
    doc.row("办结时间", _date(app.decided_at))
    doc.row("办理结果", "准予" if app.outcome == "approved" else "不予许可")
    if app.outcome_reason:
        doc.heading("结果说明")
        doc.wrap(app.outcome_reason)
    reviews = list(app.reviews.select_related("department"))
    if reviews:
        doc.heading("部门审查意见")
        for r in reviews:
            doc.wrap(f"{r.department.name}：{r.get_opinion_display() or '未答复'}  {r.text}", size=10.5)
    doc.row("领取方式", app.get_delivery_display())
    if app.outcome != "approved":
        doc.heading("救济途径")
        doc.wrap(
            "如对本决定不服，可以自收到本告知书之日起六十日内依法申请行政复议，或者在六个月内依法向人民法院提起行政诉讼。",
            size=10.5,
        )
    doc.stamp(app.center.name, _date(app.decided_at))
    doc.footer(_footer_text(app))
    return doc.bytes()


RENDERERS: dict[str, Callable[[Application], bytes]] = {
    "receipt": render_receipt_pdf,
    "supplement": render_supplement_notice_pdf,
    "refusal": render_refusal_notice_pdf,
    "result": render_result_notice_pdf,
}
