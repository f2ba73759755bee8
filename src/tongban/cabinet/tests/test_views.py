"""Pages: the list, the cabinet's touch screen (no login, shows nothing about whose item is where), staff."""

from __future__ import annotations

import pytest

from tongban.accounts.tests.factories import PASSWORD, ResidentFactory
from tongban.cabinet.models import Item
from tongban.cabinet.tests.conftest import deposited

pytestmark = pytest.mark.django_db


def test_home_lists_cabinets(client, cabinet):
    response = client.get("/cabinet/")
    assert response.status_code == 200
    html = response.content.decode()
    assert cabinet.name in html and f"/cabinet/{cabinet.code}/" in html
    assert "工作人员管理" not in html


def test_screen_shows_nothing_about_items(client, cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device, label="居住证（张三）")
    html = client.get(f"/cabinet/{cabinet.code}/").content.decode()
    assert "请输入取件码" in html
    assert "张三" not in html and "居住证" not in html and "1391234" not in html and "5678" not in html


def test_screen_code_opens_and_reports(client, cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device)
    response = client.post(f"/cabinet/{cabinet.code}/code", {"code": code}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'class="door-number text-primary">1<' in html
    assert "正在开门" in html
    command = device.last_command(item)
    device.open(1, str(command.request_id))
    door = client.get(f"/cabinet/{cabinet.code}/door/{command.request_id}").content.decode()
    assert "柜门已打开" in door
    device.close(1)
    door = client.get(f"/cabinet/{cabinet.code}/door/{command.request_id}").content.decode()
    assert "已完成" in door and "hx-trigger" not in door
    assert client.get(f"/cabinet/{cabinet.code}/door/not-a-uuid").status_code == 404


def test_screen_wrong_code_and_lock(client, cabinet):
    url = f"/cabinet/{cabinet.code}/code"
    # empty taps and a few digits are told what to type, and are no wrong code: five of them lock nothing
    for _ in range(6):
        for incomplete in ("", "12"):
            response = client.post(url, {"code": incomplete})
            assert response.status_code == 400 and "请输入短信中的6位取件码" in response.content.decode()
    html = client.post(url, {"code": "123456"}).content.decode()
    assert "取件码不正确" in html and "还可尝试 4 次" in html
    for _ in range(4):
        last = client.post(url, {"code": "123456"})
    assert last.status_code == 429 and last["Retry-After"] == "600"
    assert "键盘已锁定" in last.content.decode()
    assert "请 10 分钟后再试" in last.content.decode()  # minutes, not "600 秒"
    page = client.get(f"/cabinet/{cabinet.code}/").content.decode()
    assert "键盘已锁定" in page and "disabled" in page


def test_staff_page_requires_staff(client, cabinet):
    assert client.get(f"/cabinet/{cabinet.code}/staff/").status_code == 302
    resident = ResidentFactory()
    client.login(username=resident.username, password=PASSWORD)
    assert client.get(f"/cabinet/{cabinet.code}/staff/").status_code == 403


def test_staff_deposit_and_recall(client, cabinet, clerk, device):
    client.login(username=clerk.username, password=PASSWORD)
    response = client.post(
        f"/cabinet/{cabinet.code}/staff/deposit",
        {"label": "营业执照", "phone": "13912345678", "size": "S"},
        follow=True,
    )
    html = response.content.decode()
    assert "已预留 1 号格口" in html and "139****5678" in html and "13912345678" not in html
    item = Item.objects.get()
    device.obey(item)
    response = client.post(f"/cabinet/{cabinet.code}/staff/items/{item.reference}/recall", follow=True)
    assert "回收指令已发出" in response.content.decode()
    item.refresh_from_db()
    assert item.state == Item.State.UNLOADING
    again = client.post(f"/cabinet/{cabinet.code}/staff/items/{item.reference}/recall", follow=True)
    assert "物品当前不在柜中" in again.content.decode()


def test_staff_page_says_offline(client, cabinet, clerk):
    type(cabinet).objects.filter(pk=cabinet.pk).update(online=False)
    client.login(username=clerk.username, password=PASSWORD)
    html = client.get(f"/cabinet/{cabinet.code}/staff/").content.decode()
    assert "柜子离线" in html
    response = client.post(
        f"/cabinet/{cabinet.code}/staff/deposit",
        {"label": "x", "phone": "13912345678", "size": "S"},
        follow=True,
    )
    assert "开门指令已排队" in response.content.decode()


def test_a_refused_deposit_keeps_what_the_clerk_typed(client, cabinet, clerk):
    """A mistyped phone: the clerk corrects that one field; the label and the size stay as they were."""
    client.login(username=clerk.username, password=PASSWORD)
    response = client.post(
        f"/cabinet/{cabinet.code}/staff/deposit",
        {"label": "营业执照正本", "phone": "1391234567", "size": "M"},
    )
    html = response.content.decode()
    assert response.status_code == 400 and "手机号" in html
    assert 'value="营业执照正本"' in html and 'value="1391234567"' in html
    assert '<details class="mb-2" open>' in html
    assert 'id="dep-size-M" value="M" checked' in html and 'id="dep-size-S" value="S" >' in html
    # the other form is left empty, at its own default size
    assert 'id="drop-label" name="label"' in html and 'id="drop-size-M" value="M" checked' in html
    assert not Item.objects.exists()

    unknown = client.post(f"/cabinet/{cabinet.code}/staff/dropoff", {"application": "TB-NOPE", "size": "L"})
    html = unknown.content.decode()
    assert unknown.status_code == 404 and 'id="drop-app" name="application"' in html
    assert 'value="TB-NOPE"' in html and 'id="drop-size-L" value="L" checked' in html
    assert not Item.objects.exists()
