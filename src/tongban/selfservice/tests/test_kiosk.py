"""Kiosk: start screen, elderly mode, idle wipe (server side), receipt-number parsing."""

import time

import pytest

from tongban.selfservice.services import extract_receipt_number
from tongban.selfservice.views.kiosk import SESSION_SEEN

pytestmark = pytest.mark.django_db


def test_home_is_a_touch_screen_with_four_tasks(client):
    html = client.get("/kiosk/").content.decode()
    assert 'class="touch kiosk"' in html
    for label in ("查办件进度", "打印回执", "取号", "问百事通", "长者模式", "重新开始"):
        assert label in html
    assert 'data-idle-seconds="60"' in html


def test_elderly_mode_is_bigger_slower_and_sticks_to_the_session(client, settings):
    settings.KIOSK_IDLE_SECONDS = 45
    html = client.get("/kiosk/?elderly=1").content.decode()
    assert 'class="touch kiosk elderly"' in html
    assert 'data-idle-seconds="90"' in html
    assert 'class="touch kiosk elderly"' in client.get("/kiosk/guide/").content.decode()
    assert 'class="touch kiosk"' in client.get("/kiosk/?elderly=0").content.decode()


def test_reset_wipes_the_session(client):
    client.get("/kiosk/?elderly=1")
    session = client.session
    session["kiosk_verified_number"] = "YP-20260101-0001"
    session.save()
    old_key = client.session.session_key
    response = client.get("/kiosk/reset/")
    assert response.status_code == 302 and response["Location"] == "/kiosk/"
    assert "kiosk_verified_number" not in client.session
    assert client.session.session_key != old_key
    assert 'class="touch kiosk"' in client.get("/kiosk/").content.decode()


def test_reset_can_keep_elderly_mode_only(client):
    client.get("/kiosk/?elderly=1")
    client.get("/kiosk/reset/?elderly=1")
    assert client.session.get("kiosk_elderly") is True
    assert "kiosk_verified_number" not in client.session


def test_server_wipes_a_session_idle_longer_than_the_timeout(client, settings):
    settings.KIOSK_IDLE_SECONDS = 30
    client.get("/kiosk/")
    session = client.session
    session["kiosk_verified_number"] = "YP-20260101-0001"
    session[SESSION_SEEN] = time.time() - 30 - 16
    session.save()
    client.get("/kiosk/")
    assert "kiosk_verified_number" not in client.session


def test_server_keeps_an_active_session(client, settings):
    settings.KIOSK_IDLE_SECONDS = 30
    client.get("/kiosk/")
    session = client.session
    session["kiosk_verified_number"] = "YP-20260101-0001"
    session[SESSION_SEEN] = time.time() - 20
    session.save()
    client.get("/kiosk/")
    assert client.session["kiosk_verified_number"] == "YP-20260101-0001"


def test_kiosk_guide_answers_in_big_type_without_portal_links(client, catalog):
    html = client.get("/kiosk/guide/", {"q": "居住正怎么办"}).content.decode()
    assert "居住证申领" in html
    assert "/portal/" not in html.split("guide-results", 1)[1]


def test_print_without_a_verified_case_is_404(client):
    assert client.get("/kiosk/print/receipt.pdf").status_code == 404
    assert client.get("/kiosk/print/anything.pdf").status_code == 404


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("YP-CBXC-20261126-0007", "YP-CBXC-20261126-0007"),
        ("  yp-cbxc-20261126-0007 ", "YP-CBXC-20261126-0007"),
        ("http://127.0.0.1:8000/kiosk/progress/?number=YP-CBXC-20261126-0007&x=1", "YP-CBXC-20261126-0007"),
        ("https://tongban.example/p/YP-CBXC-20261126-0007", "YP-CBXC-20261126-0007"),
        ("", ""),
        ("!!", ""),
    ],
)
def test_receipt_number_from_typed_or_scanned_text(raw, number):
    assert extract_receipt_number(raw) == number


def test_kiosk_in_english_when_chosen(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/kiosk/").content.decode()
    assert '<html lang="en">' in html
    for label in ("Case progress", "Ask the 百事通", "Elderly mode", "Start over"):
        assert label in html
    assert "查办件进度" not in html
