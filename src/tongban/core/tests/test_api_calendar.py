import pytest

pytestmark = pytest.mark.django_db

ADD = "/api/v1/calendar/add-workdays"
BETWEEN = "/api/v1/calendar/workdays-between"


def test_add_workdays_contract(client, official_notices):
    response = client.get(ADD, {"start": "2026-09-30", "days": "3"})
    assert response.status_code == 200
    assert response.json() == {"date": "2026-10-10", "provisional": False}


def test_add_workdays_provisional_and_negative(client, official_notices):
    assert client.get(ADD, {"start": "2023-07-12", "days": "9"}).json() == {
        "date": "2023-07-25",
        "provisional": True,
    }
    assert client.get(ADD, {"start": "2026-10-08", "days": "-1"}).json() == {
        "date": "2026-09-30",
        "provisional": False,
    }


def test_workdays_between_contract(client, official_notices):
    response = client.get(BETWEEN, {"start": "2026-09-30", "end": "2026-10-10"})
    assert response.status_code == 200
    assert response.json() == {"workdays": 3, "provisional": False}
    assert client.get(BETWEEN, {"start": "2026-12-31", "end": "2027-01-08"}).json() == {
        "workdays": 6,
        "provisional": True,
    }


def test_public_no_sign_in_and_no_csrf(client, official_notices, django_assert_max_num_queries):
    client.get(ADD, {"start": "2026-01-05", "days": "1"})  # warm the index
    with django_assert_max_num_queries(0):
        assert client.get(ADD, {"start": "2026-01-05", "days": "1"}).status_code == 200


@pytest.mark.parametrize(
    ("url", "params", "code", "message"),
    [
        (ADD, {"days": "3"}, "calendar.bad_date", "缺少参数 start（日期，格式YYYY-MM-DD）"),
        (
            ADD,
            {"start": "2026-02-30", "days": "3"},
            "calendar.bad_date",
            "参数 start 不是有效日期，应为YYYY-MM-DD：2026-02-30",
        ),
        (
            ADD,
            {"start": "20260201", "days": "3"},
            "calendar.bad_date",
            "参数 start 不是有效日期，应为YYYY-MM-DD：20260201",
        ),
        (
            ADD,
            {"start": "2026-02-01", "days": "three"},
            "calendar.bad_days",
            "参数 days 应为整数（-3650到3650）",
        ),
        (ADD, {"start": "2026-02-01"}, "calendar.bad_days", "参数 days 应为整数（-3650到3650）"),
        (
            ADD,
            {"start": "2026-02-01", "days": "99999"},
            "calendar.bad_days",
            "参数 days 超出范围（-3650到3650）：99999",
        ),
        (
            ADD,
            {"start": "1999-02-01", "days": "1"},
            "calendar.out_of_range",
            "日期超出工作日历范围（2000–2100年）：1999-02-01",
        ),
        (
            BETWEEN,
            {"start": "2026-10-10", "end": "2026-10-01"},
            "calendar.bad_range",
            "结束日期 2026-10-01 早于开始日期 2026-10-10",
        ),
        (BETWEEN, {"start": "2026-10-10"}, "calendar.bad_date", "缺少参数 end（日期，格式YYYY-MM-DD）"),
        (
            BETWEEN,
            {"start": "2026-10-10", "end": "2101-01-01"},
            "calendar.out_of_range",
            "日期超出工作日历范围（2000–2100年）：2101-01-01",
        ),
    ],
)
def test_bad_input_is_400_in_our_error_shape(client, url, params, code, message):
    response = client.get(url, params)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == code
    assert body["message"] == message
    assert body["message_en"]


def test_post_is_not_allowed(client):
    response = client.post(ADD, {})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
