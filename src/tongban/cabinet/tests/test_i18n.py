"""The cabinet screens in English (django_language=en): labels, choices, flash and error messages."""

from __future__ import annotations

import pytest

from tongban.accounts.tests.factories import PASSWORD
from tongban.cabinet.tests.conftest import deposited

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_touch_screen_in_english(english, cabinet):
    response = english.get(f"/cabinet/{cabinet.code}/")
    html = response.content.decode()
    assert response.status_code == 200
    for label in (
        "Enter your pickup or drop-off code",
        "I am collecting for someone else",
        "Open door",
        "Start over",
        "Drop off missing documents",
    ):
        assert label in html
    for chinese in ("请输入取件码或投递码", "我是代他人取件", "开 门", "重新开始", "投递补正材料"):
        assert chinese not in html


def test_touch_screen_wrong_code_in_english(english, cabinet):
    html = english.post(f"/cabinet/{cabinet.code}/code", {"code": "123456"}).content.decode()
    assert "Wrong or expired code; check the SMS and try again" in html
    assert "4 attempts left" in html
    assert "取件码不正确" not in html and "还可尝试" not in html


def test_staff_page_in_english(english, cabinet, clerk, device):
    deposited(cabinet, clerk, device, label="Residence permit")
    english.login(username=clerk.username, password=PASSWORD)
    html = english.get(f"/cabinet/{cabinet.code}/staff/").content.decode()
    for label in (
        "Cabinet management",
        "Deposit for pickup (deliver an application)",
        "Reserve a compartment and open it",
        "Issue a drop-off code (missing documents)",
        "Items in the cabinet",
        "Recall to counter",
        "Resend pickup code",
        "In cabinet",  # Item.State choice
        "Small",  # size choice on the deposit form
    ):
        assert label in html
    for chinese in ("文件柜管理", "放入待取件", "预留格口并开门", "柜内物品", "重发取件码", "在柜", "小格"):
        assert chinese not in html


def test_staff_flash_messages_in_english(english, cabinet, clerk, device):
    english.login(username=clerk.username, password=PASSWORD)
    response = english.post(
        f"/cabinet/{cabinet.code}/staff/deposit",
        {"size": "S", "label": "Residence permit", "phone": "13912345678"},
        follow=True,
    )
    html = response.content.decode()
    assert "Compartment 1 (Small) is reserved and the open command has been sent." in html
    assert "已预留" not in html
    response = english.post(
        f"/cabinet/{cabinet.code}/staff/deposit", {"size": "S", "phone": "13912345678"}, follow=True
    )
    html = response.content.decode()
    assert "Give a label or an application number" in html
    assert "请填写物品说明或办件号" not in html
