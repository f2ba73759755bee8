"""The three API contracts."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tongban.accounts.tests.factories import AdminFactory, ClerkFactory, ResidentFactory
from tongban.cabinet.models import DeviceCommand, Item
from tongban.cabinet.tests.conftest import deposited
from tongban.cabinet.tests.factories import CabinetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(clerk):
    client = APIClient()
    client.force_authenticate(clerk)
    return client


def test_list_cabinets_shape_and_query_count(api, cabinet, django_assert_num_queries):
    CabinetFactory(center=cabinet.center, layout=["L"], online=False)
    CabinetFactory(layout=["S"])  # another center: not shown to this clerk
    with django_assert_num_queries(2):
        response = api.get("/api/v1/cabinets")
    assert response.status_code == 200
    body = response.json()
    assert [c["code"] for c in body] == sorted(c["code"] for c in body) and len(body) == 2
    first = next(c for c in body if c["code"] == cabinet.code)
    assert first == {
        "code": cabinet.code,
        "center": cabinet.center.code,
        "online": True,
        "compartments": [
            {"number": 1, "size": "S", "state": "free"},
            {"number": 2, "size": "S", "state": "free"},
            {"number": 3, "size": "S", "state": "free"},
            {"number": 4, "size": "M", "state": "free"},
            {"number": 5, "size": "M", "state": "free"},
            {"number": 6, "size": "L", "state": "free"},
        ],
    }


def test_admin_sees_every_cabinet(cabinet):
    CabinetFactory(layout=["S"])
    client = APIClient()
    client.force_authenticate(AdminFactory())
    assert len(client.get("/api/v1/cabinets").json()) == 2


def test_list_is_staff_only(cabinet):
    client = APIClient()
    assert client.get("/api/v1/cabinets").status_code in (401, 403)
    client.force_authenticate(ResidentFactory())
    response = client.get("/api/v1/cabinets")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_deposit_free_standing_item(api, cabinet):
    response = api.post(
        f"/api/v1/cabinets/{cabinet.code}/deposits",
        {"label": "营业执照副本", "phone": "13912345678", "size": "M"},
    )
    assert response.status_code == 201, response.json()
    item = Item.objects.get()
    assert response.json() == {"item": str(item.reference), "compartment": 4, "state": "reserved"}
    assert DeviceCommand.objects.get().purpose == "deposit"


def test_deposit_errors(api, cabinet):
    url = f"/api/v1/cabinets/{cabinet.code}/deposits"
    bad_size = api.post(url, {"label": "x", "phone": "13912345678", "size": "XL"})
    assert bad_size.status_code == 400 and bad_size.json()["error"]["code"] == "invalid"
    no_phone = api.post(url, {"label": "x", "size": "S"})
    assert no_phone.status_code == 400 and no_phone.json()["error"]["code"] == "cabinet.phone_required"
    unknown = api.post(url, {"application": "NOPE-1", "size": "S"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "cabinet.application_not_found"
    assert api.post("/api/v1/cabinets/NOPE/deposits", {"label": "x", "size": "S"}).status_code == 404
    for _ in range(1):
        assert api.post(url, {"label": "x", "phone": "13912345678", "size": "L"}).status_code == 201
    full = api.post(url, {"label": "x", "phone": "13912345678", "size": "L"})
    assert full.status_code == 409 and full.json()["error"]["code"] == "cabinet.full"
    other = APIClient()
    other.force_authenticate(ClerkFactory())  # a clerk of another center
    assert other.post(url, {"label": "x", "phone": "13912345678", "size": "S"}).status_code == 403


def test_pickup_contract(cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device)
    client = APIClient()  # no login: the cabinet's keypad
    url = f"/api/v1/cabinets/{cabinet.code}/pickup"
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(url, {"code": wrong})
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "cabinet.wrong_code",
        "message": "取件码不正确或已失效，请核对短信后重新输入",
        "message_en": "Wrong or expired code; check the SMS and try again",
        "details": {"attempts_left": 4},
    }
    # nothing typed, or a few digits: said at once, not counted (five empty taps must not lock everyone out)
    assert client.post(url, {"code": ""}).status_code == 400  # the serializer's "required"
    for incomplete in ("12", "12 34", "1234567890123"):
        response = client.post(url, {"code": incomplete})
        assert response.status_code == 400, incomplete
        assert response.json()["error"]["code"] == "cabinet.code_incomplete"
        assert response.json()["error"]["message"] == "请输入短信中的6位取件码"
    assert client.post(url, {"code": wrong}).json()["error"]["details"] == {"attempts_left": 3}
    ok = client.post(url, {"code": code})
    assert ok.status_code == 200 and ok.json() == {"compartment": 1}
    for _ in range(2):
        client.post(url, {"code": wrong})
    locked = client.post(url, {"code": wrong})
    assert locked.status_code == 429
    assert locked["Retry-After"] == "600"
    assert locked.json()["error"]["code"] == "cabinet.locked"
    assert client.post(url, {"code": wrong})["Retry-After"] in {"600", "599"}


def test_pickup_offline_is_503(cabinet, clerk, device):
    _, code = deposited(cabinet, clerk, device)
    type(cabinet).objects.filter(pk=cabinet.pk).update(online=False)
    response = APIClient().post(f"/api/v1/cabinets/{cabinet.code}/pickup", {"code": code})
    assert response.status_code == 503 and response.json()["error"]["code"] == "cabinet.offline"


def test_pickup_validation(cabinet):
    response = APIClient().post(f"/api/v1/cabinets/{cabinet.code}/pickup", {}, format="json")
    assert response.status_code == 400


def test_source_behind_our_proxy_is_the_forwarded_client(cabinet):
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    url = f"/api/v1/cabinets/{cabinet.code}/pickup"
    for n in range(4):
        client.post(url, {"code": "123456"}, HTTP_X_FORWARDED_FOR=f"1.2.3.4, 198.51.100.{n}")
    from tongban.cabinet.models import CodeAttempt

    assert sorted(CodeAttempt.objects.values_list("source", flat=True)) == [
        f"198.51.100.{n}" for n in range(4)
    ]
    direct = APIClient(REMOTE_ADDR="8.8.4.4")  # a public peer is taken at its word
    direct.post(url, {"code": "123456"}, HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert CodeAttempt.objects.filter(source="8.8.4.4").count() == 1
