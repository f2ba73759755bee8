"""Kiosk progress lookup: receipt number + last four of the ID, attempt-limited; printing only the verified case."""

import pytest

from tongban.accounts.tests.factories import ResidentFactory
from tongban.applications.services import application_create, application_submit
from tongban.catalog.models import Matter
from tongban.catalog.tests.factories import CenterFactory
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(catalog):
    resident = ResidentFactory(display_name="张三丰", id_number="310110195103070019")
    center = CenterFactory(code="C-KIOSK")
    (app,) = application_create(
        actor=resident,
        applicant=resident,
        center=center,
        channel="online",
        matter=Matter.objects.get(code="T-RESIDENCE"),
    )
    return application_submit(application=app, actor=resident)


def _lookup(client, number, last4):
    return client.post("/kiosk/progress/", {"number": number, "last4": last4})


def test_right_number_and_digits_show_the_masked_progress(client, case):
    response = _lookup(client, case.number, "0019")
    html = response.content.decode()
    assert response.status_code == 200
    assert "居住证申领" in html and "已提交" in html and "张*丰" in html
    assert "张三丰" not in html and "310110195103070019" not in html
    assert (
        AuditEntry.objects.filter(action="selfservice.kiosk.progress_lookup", object_id=case.number).count()
        == 1
    )


def test_scanned_qr_text_works_like_the_typed_number(client, case):
    response = _lookup(client, f"https://tongban.example/kiosk/progress/?number={case.number}", "0019")
    assert "已提交" in response.content.decode()


def test_wrong_digits_and_unknown_numbers_get_the_same_answer(client, case):
    wrong = _lookup(client, case.number, "1234")
    unknown = _lookup(client, "YP-NOPE-20260101-0001", "0019")
    assert wrong.status_code == unknown.status_code == 404
    assert "未找到办件，请核对受理编号和证件号后四位" in wrong.content.decode()
    assert "未找到办件，请核对受理编号和证件号后四位" in unknown.content.decode()
    assert "居住证申领" not in wrong.content.decode()


def test_five_wrong_guesses_lock_the_number_even_for_the_right_digits(client, case):
    for guess in ("0001", "0002", "0003", "0004", "0005"):
        assert _lookup(client, case.number, guess).status_code == 404
    locked = _lookup(client, case.number, "0019")
    assert locked.status_code == 429
    assert "尝试次数过多" in locked.content.decode()
    assert "居住证申领" not in locked.content.decode()


def test_a_terminal_probing_many_numbers_is_locked(client, case):
    for i in range(10):
        assert _lookup(client, f"YP-NOPE-20260101-{i:04d}", "0019").status_code == 404
    assert _lookup(client, case.number, "0019").status_code == 429


def test_malformed_input_is_a_400_and_not_counted(client, case):
    for _ in range(6):
        assert _lookup(client, case.number, "12").status_code == 400
    assert _lookup(client, case.number, "0019").status_code == 200


def test_print_serves_only_the_case_verified_in_this_session(client, case):
    assert client.get("/kiosk/print/receipt.pdf").status_code == 404
    _lookup(client, case.number, "0019")
    response = client.get("/kiosk/print/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get("/kiosk/print/result.pdf").status_code == 404  # not decided yet
    page = client.get("/kiosk/print/receipt/").content.decode()
    assert (
        'src="/kiosk/print/receipt.pdf"' in page and 'class="touch kiosk"' in page
    )  # idle wipe runs around it
    assert client.get("/kiosk/print/result/").status_code == 404
    client.get("/kiosk/reset/")
    assert client.get("/kiosk/print/receipt/").status_code == 404
    assert client.get("/kiosk/print/receipt.pdf").status_code == 404  # wiped


def test_a_failed_lookup_forgets_the_previous_verification(client, case):
    _lookup(client, case.number, "0019")
    _lookup(client, case.number, "9999")
    assert client.get("/kiosk/print/receipt.pdf").status_code == 404


def test_a_case_waiting_for_materials_prints_its_one_time_notice_at_the_kiosk(client, case):
    """The resident sent to fetch what is missing can print the list at any hour, not 'not available'."""
    from tongban.accounts.tests.factories import ClerkFactory
    from tongban.applications.services import application_request_supplement

    application_request_supplement(application=case, actor=ClerkFactory(center=case.center), items=[])
    page = _lookup(client, case.number, "0019").content.decode()
    assert 'id="print-supplement"' in page and "没有可打印" not in page
    response = client.get("/kiosk/print/supplement.pdf")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert "补正告知书" in client.get("/kiosk/print/supplement/").content.decode()
    assert client.get("/kiosk/print/refusal.pdf").status_code == 404  # not refused
